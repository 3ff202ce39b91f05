variable "name" {
  description = "The secret's name."
  type        = string
}

variable "description" {
  description = "What the secret holds."
  type        = string
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts the secret."
  type        = string
}

variable "generate" {
  description = "Store a generated random password as the first value."
  type        = bool
  default     = false
}

variable "password_length" {
  description = "The generated password's length."
  type        = number
  default     = 32
}

variable "exclude_punctuation" {
  description = "Leave punctuation out of the generated password."
  type        = bool
  default     = false
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once)."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_days == 0 || (var.recovery_window_days >= 7 && var.recovery_window_days <= 30)
    error_message = "recovery_window_days is 0 or between 7 and 30."
  }
}

variable "rotation_lambda_arn" {
  description = "A Lambda function that rotates the secret (empty for no rotation)."
  type        = string
  default     = ""
}

variable "rotation_days" {
  description = "Days between rotations, when a rotation function is given."
  type        = number
  default     = 30
}
