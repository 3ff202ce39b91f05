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
