variable "domain" {
  description = "The certificate's domain name."
  type        = string
}

variable "alternative_names" {
  description = "More names on the certificate."
  type        = list(string)
  default     = []
}

variable "zone_id" {
  description = "A public Route 53 zone for the validation records (empty to validate elsewhere)."
  type        = string
  default     = ""
}

variable "wait_for_validation" {
  description = "Wait until the certificate is issued before dependent resources use it."
  type        = bool
  default     = false
}
