variable "name" {
  description = "The instance's Name tag."
  type        = string
}

variable "ami" {
  description = "The AMI id (empty for the latest Amazon Linux 2023 of architecture)."
  type        = string
  default     = ""
}

variable "architecture" {
  description = "The processor architecture of the default AMI: x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture is x86_64 or arm64."
  }
}

variable "instance_type" {
  description = "The instance type."
  type        = string
  default     = "t3.small"
}

variable "subnet_ids" {
  description = "Candidate subnets, normally a network's private subnets."
  type        = list(string)
}

variable "subnet_index" {
  description = "Which of subnet_ids the instance runs in."
  type        = number
  default     = 0

  validation {
    condition     = var.subnet_index < length(var.subnet_ids)
    error_message = "subnet_index must name one of subnet_ids."
  }
}

variable "vpc_id" {
  description = "The VPC of the instance's security group."
  type        = string
}

variable "ingress" {
  description = "Inbound rules of the instance's security group: a port (or port..to_port), a protocol, and exactly one of cidr or source_security_group_id."
  type = list(object({
    description              = string
    port                     = number
    to_port                  = optional(number, 0)
    protocol                 = optional(string, "tcp")
    cidr                     = optional(string, "")
    source_security_group_id = optional(string, "")
  }))
  default = []

  validation {
    condition     = alltrue([for rule in var.ingress : (rule.cidr == "") != (rule.source_security_group_id == "")])
    error_message = "Every ingress rule needs exactly one of cidr and source_security_group_id."
  }
}

variable "https_egress_cidrs" {
  description = "Networks the instance may reach on HTTPS."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "security_group_ids" {
  description = "More security groups of the instance."
  type        = list(string)
  default     = []
}

variable "instance_profile" {
  description = "The instance profile's name."
  type        = string
}

variable "root_volume_size" {
  description = "The root volume's size in GiB."
  type        = number
  default     = 20
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts the root volume."
  type        = string
}

variable "spot" {
  description = "Run on spot capacity (stopped, not terminated, when AWS reclaims it)."
  type        = bool
  default     = false
}

variable "user_data" {
  description = "A script or cloud-config document run at first boot."
  type        = string
  default     = ""
}

variable "detailed_monitoring" {
  description = "One-minute CloudWatch metrics instead of five-minute ones."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse API termination."
  type        = bool
  default     = true
}
