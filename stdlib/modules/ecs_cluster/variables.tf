variable "name" {
  description = "The cluster's name."
  type        = string
}

variable "kms_key_arn" {
  description = "The KMS key for execute-command sessions and their logs."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep execute-command logs."
  type        = number
  default     = 90
}
