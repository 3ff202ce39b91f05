variable "domain" {
  description = "The zone's domain name."
  type        = string
}

variable "vpc_id" {
  description = "The VPC that resolves the zone, which makes it private (empty for a public zone)."
  type        = string
  default     = ""
}

variable "comment" {
  description = "What the zone is for."
  type        = string
}

variable "force_destroy" {
  description = "Whether terraform destroy may delete a zone that still holds records it does not manage."
  type        = bool
  default     = false
}

variable "records" {
  description = "Records of the zone: a name relative to the zone (empty for the apex), a type, a TTL and values."
  type = list(object({
    name    = string
    type    = string
    ttl     = optional(number, 300)
    records = list(string)
  }))
  default = []

  validation {
    condition     = length(distinct([for record in var.records : "${record.name} ${record.type}"])) == length(var.records)
    error_message = "Each name and type appear in at most one record."
  }
}
