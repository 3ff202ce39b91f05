variable "name" {
  description = "The name of the VPC and the prefix of its resources."
  type        = string
}

variable "cidr" {
  description = "The VPC's IPv4 CIDR block."
  type        = string
}

variable "azs" {
  description = "How many availability zones to spread subnets across."
  type        = number
  default     = 2
}

variable "nat" {
  description = "NAT gateways: single, per_az or none."
  type        = string
  default     = "single"

  validation {
    condition     = contains(["single", "per_az", "none"], var.nat)
    error_message = "nat must be single, per_az or none."
  }
}

variable "database_subnets" {
  description = "Whether to create isolated database subnets."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 90
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts the flow logs."
  type        = string
}

variable "interface_endpoints" {
  description = "Services that get an interface endpoint."
  type        = list(string)
  default     = []
}
