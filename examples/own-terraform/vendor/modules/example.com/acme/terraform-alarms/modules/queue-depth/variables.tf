variable "queue_name" {
  description = "The SQS queue to watch."
  type        = string
}

variable "threshold" {
  description = "Visible messages at which the alarm fires."
  type        = number
}

variable "periods" {
  description = "Minutes the depth must stay at or above the threshold."
  type        = number
  default     = 5
}

variable "alarm_actions" {
  description = "ARNs notified when the alarm fires."
  type        = set(string)
  default     = []
}
