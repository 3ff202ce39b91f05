variable "name" {
  description = "The alias, without `alias/`."
  type        = string
}

variable "description" {
  description = "What the key protects."
  type        = string
}

variable "deletion_window_days" {
  description = "Days before a scheduled deletion takes effect."
  type        = number
  default     = 30
}
