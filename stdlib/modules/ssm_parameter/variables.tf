variable "name" {
  description = "The parameter's name."
  type        = string
}

variable "description" {
  description = "What the parameter holds."
  type        = string
}

variable "value" {
  description = "The value."
  type        = string
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts the value."
  type        = string
}

variable "secure" {
  description = "Store the value as a SecureString encrypted with kms_key_arn (false: a plain String)."
  type        = bool
  default     = true
}
