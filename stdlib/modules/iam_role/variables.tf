variable "name" {
  description = "The role's name."
  type        = string
}

variable "description" {
  description = "What the role is for."
  type        = string
}

variable "services" {
  description = "Service principals that may assume the role, such as ec2.amazonaws.com."
  type        = list(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for service in var.services : endswith(service, ".amazonaws.com")])
    error_message = "services lists at least one service principal, each ending in .amazonaws.com."
  }
}

variable "managed_policy_arns" {
  description = "ARNs of managed policies to attach."
  type        = list(string)
  default     = []
}

variable "statements" {
  description = "Statements of the role's inline policy."
  type = list(object({
    actions   = list(string)
    resources = list(string)
    effect    = optional(string, "Allow")
  }))
  default = []

  validation {
    condition     = alltrue([for statement in var.statements : length(statement.actions) > 0 && length(statement.resources) > 0 && contains(["Allow", "Deny"], statement.effect)])
    error_message = "Every statement names at least one action and one resource; its effect is Allow or Deny."
  }
}

variable "instance_profile" {
  description = "Also create an EC2 instance profile for the role."
  type        = bool
  default     = false
}

variable "max_session_hours" {
  description = "The longest session, in hours."
  type        = number
  default     = 1
}

variable "permissions_boundary" {
  description = "The ARN of a permissions boundary policy (empty for none)."
  type        = string
  default     = ""
}
