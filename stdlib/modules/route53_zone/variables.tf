variable "domain" {
  description = "The zone's domain name."
  type        = string
}

variable "vpc_id" {
  description = "The VPC that resolves the zone."
  type        = string
}
