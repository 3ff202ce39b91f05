variable "name" {
  description = "The node group's name."
  type        = string
}

variable "cluster_name" {
  description = "The cluster's name."
  type        = string
}

variable "node_role_arn" {
  description = "The nodes' role."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the nodes."
  type        = list(string)
}

variable "instance_types" {
  description = "Instance types, tried in order for capacity."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "capacity_type" {
  description = "ON_DEMAND or SPOT capacity."
  type        = string
  default     = "ON_DEMAND"
}

variable "ami_type" {
  description = "The node image."
  type        = string
  default     = "AL2023_x86_64_STANDARD"
}

variable "min" {
  description = "Fewest nodes."
  type        = number
  default     = 1
}

variable "max" {
  description = "Most nodes."
  type        = number
  default     = 3
}

variable "desired" {
  description = "Nodes at creation; the cluster autoscaler owns the number afterwards."
  type        = number
  default     = 1

  validation {
    condition     = var.min <= var.desired && var.desired <= var.max
    error_message = "min <= desired <= max."
  }
}

variable "disk_size" {
  description = "The root volume's size in GiB."
  type        = number
  default     = 50
}

variable "labels" {
  description = "Kubernetes labels of the nodes."
  type        = map(string)
  default     = {}
}

variable "taints" {
  description = "Kubernetes taints of the nodes."
  type = list(object({
    key    = string
    value  = optional(string, "")
    effect = string
  }))
  default = []
}
