variable "name" {
  description = "The table's name."
  type        = string
}

variable "hash_key" {
  description = "The partition key attribute (a string)."
  type        = string
  default     = "pk"
}

variable "range_key" {
  description = "The sort key attribute (a string), or empty for none."
  type        = string
  default     = "sk"
}

variable "deletion_protection" {
  description = "Refuse to delete the table."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts the table."
  type        = string
}
