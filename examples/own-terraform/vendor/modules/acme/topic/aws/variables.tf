variable "name" {
  description = "The topic's name."
  type        = string
}

variable "kms_master_key_id" {
  description = "The KMS key that encrypts messages at rest."
  type        = string
}

variable "subscriptions" {
  description = "Endpoints that receive every message."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
}
