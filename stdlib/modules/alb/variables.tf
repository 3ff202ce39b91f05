variable "name" {
  description = "The load balancer's name."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the load balancer and its targets."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's CIDR block."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "internal" {
  description = "An internal load balancer instead of an internet-facing one."
  type        = bool
  default     = false
}

variable "allowed_cidrs" {
  description = "Networks that may connect."
  type        = list(string)
}

variable "certificate_arn" {
  description = "The certificate of the HTTPS listener."
  type        = string
}

variable "http_redirect" {
  description = "Answer HTTP on port 80 with a redirect to HTTPS."
  type        = bool
  default     = true
}

variable "target_port" {
  description = "The port the targets listen on."
  type        = number
  default     = 8080
}

variable "health_check_path" {
  description = "The path of the targets' health check."
  type        = string
  default     = "/health"
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
  default     = true
}

variable "waf" {
  description = "Protect the load balancer with a WAF web ACL."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days to keep WAF logs."
  type        = number
  default     = 90
}

variable "kms_key_arn" {
  description = "The KMS key for WAF logs."
  type        = string
}
