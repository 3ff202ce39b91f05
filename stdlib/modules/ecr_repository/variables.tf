variable "name" {
  description = "The repository's name."
  type        = string
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts images."
  type        = string
}

variable "keep_images" {
  description = "How many images to keep."
  type        = number
  default     = 50
}
