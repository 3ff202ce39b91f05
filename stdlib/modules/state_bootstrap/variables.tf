variable "bucket" {
  description = "The state bucket's name."
  type        = string
}

variable "lock_table" {
  description = "A DynamoDB table for state locking (empty for none)."
  type        = string
  default     = ""
}
