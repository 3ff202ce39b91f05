variable "bucket" {
  description = "The bucket's globally unique name."
  type        = string
}

variable "kms_key_arn" {
  description = "The KMS key for server-side encryption."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days to keep noncurrent object versions."
  type        = number
  default     = 90
}

variable "access_log_bucket" {
  description = "A bucket that receives this bucket's access logs (empty for none)."
  type        = string
  default     = ""
}

variable "force_destroy" {
  description = "Whether terraform destroy may delete a bucket that still holds objects."
  type        = bool
  default     = false
}
