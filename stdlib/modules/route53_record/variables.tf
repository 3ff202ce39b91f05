variable "zone_id" {
  description = "The zone that holds the record."
  type        = string
}

variable "name" {
  description = "The record's full name."
  type        = string
}

variable "type" {
  description = "The record type; an alias record is A or AAAA."
  type        = string
  default     = "A"
}

variable "records" {
  description = "Plain values (when there is no alias)."
  type        = list(string)
  default     = []
}

variable "ttl" {
  description = "Seconds resolvers may cache plain values."
  type        = number
  default     = 300
}

variable "alias_name" {
  description = "The alias target's DNS name (empty for plain values)."
  type        = string
  default     = ""
}

variable "alias_zone_id" {
  description = "The alias target's hosted zone id."
  type        = string
  default     = ""
}

variable "evaluate_target_health" {
  description = "Check the health of an alias target."
  type        = bool
  default     = true
}

variable "health_check_path" {
  description = "Path of an HTTPS health check of name (empty for no health check)."
  type        = string
  default     = ""
}
