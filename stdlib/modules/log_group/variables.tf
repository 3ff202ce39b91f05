variable "name" {
  description = "The log group's name."
  type        = string
}

variable "retention_days" {
  description = "Days to keep log events."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts the log events."
  type        = string
}
