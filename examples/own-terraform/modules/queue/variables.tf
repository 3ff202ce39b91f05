variable "name" {
  description = "The queue's name; the dead-letter queue gets `-dlq` appended."
  type        = string
}

variable "kms_key_arn" {
  description = "The KMS key that encrypts messages at rest."
  type        = string
}

variable "message_retention_seconds" {
  description = "How long a message is kept, in seconds."
  type        = number
  default     = 345600
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other consumers."
  type        = number
  default     = 30
}

variable "redrive" {
  description = "When a message moves to the dead-letter queue."
  type = object({
    max_receive_count  = number
    dlq_retention_days = optional(number, 14)
  })
  default = null
}
