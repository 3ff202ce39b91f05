variable "name" {
  description = "The security group's name."
  type        = string
}

variable "description" {
  description = "What the group protects, shown in the console."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the group."
  type        = string
}

variable "ingress" {
  description = "Inbound rules: a port (or port..to_port), a protocol, and exactly one of cidr or source_security_group_id."
  type = list(object({
    description              = string
    port                     = number
    to_port                  = optional(number, 0)
    protocol                 = optional(string, "tcp")
    cidr                     = optional(string, "")
    source_security_group_id = optional(string, "")
  }))
  default = []

  validation {
    condition     = alltrue([for rule in var.ingress : (rule.cidr == "") != (rule.source_security_group_id == "")])
    error_message = "Every ingress rule needs exactly one of cidr and source_security_group_id."
  }

  validation {
    condition     = alltrue([for rule in var.ingress : contains(["tcp", "udp", "icmp", "-1"], rule.protocol)])
    error_message = "The protocol of an ingress rule is tcp, udp, icmp or -1."
  }
}

variable "egress" {
  description = "Outbound rules: a port (or port..to_port), a protocol, and exactly one of cidr or source_security_group_id."
  type = list(object({
    description              = string
    port                     = number
    to_port                  = optional(number, 0)
    protocol                 = optional(string, "tcp")
    cidr                     = optional(string, "")
    source_security_group_id = optional(string, "")
  }))
  default = []

  validation {
    condition     = alltrue([for rule in var.egress : (rule.cidr == "") != (rule.source_security_group_id == "")])
    error_message = "Every egress rule needs exactly one of cidr and source_security_group_id."
  }

  validation {
    condition     = alltrue([for rule in var.egress : contains(["tcp", "udp", "icmp", "-1"], rule.protocol)])
    error_message = "The protocol of an egress rule is tcp, udp, icmp or -1."
  }
}
