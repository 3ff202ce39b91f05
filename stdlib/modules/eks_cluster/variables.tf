variable "name" {
  description = "The cluster's name."
  type        = string
}

variable "kubernetes_version" {
  description = "The Kubernetes version."
  type        = string
  default     = "1.32"
}

variable "subnet_ids" {
  description = "Private subnets of the control plane's network interfaces and of the nodes."
  type        = list(string)
}

variable "public_endpoint" {
  description = "Also expose the API endpoint on the internet (to public_access_cidrs only)."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "Networks that may reach a public API endpoint."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.public_access_cidrs, "0.0.0.0/0")
    error_message = "public_access_cidrs must not admit the whole internet."
  }
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts Kubernetes secrets and the control-plane logs."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep control-plane logs."
  type        = number
  default     = 90
}

variable "addons" {
  description = "EKS managed add-ons, at their default versions."
  type        = list(string)
  default     = ["vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"]
}

variable "node_groups" {
  description = "Managed node groups by name."
  type = map(object({
    instance_types = optional(list(string), ["m6i.large"])
    capacity_type  = optional(string, "ON_DEMAND")
    ami_type       = optional(string, "AL2023_x86_64_STANDARD")
    min            = optional(number, 1)
    max            = optional(number, 3)
    desired        = optional(number, 1)
    disk_size      = optional(number, 50)
    labels         = optional(map(string), {})
    taints = optional(list(object({
      key    = string
      value  = optional(string, "")
      effect = string
    })), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for group in values(var.node_groups) : group.min <= group.desired && group.desired <= group.max])
    error_message = "Every node group has min <= desired <= max."
  }
}

variable "admin_role_arns" {
  description = "IAM roles that get cluster-admin access."
  type        = list(string)
  default     = []
}
