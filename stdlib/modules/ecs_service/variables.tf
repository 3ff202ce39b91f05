variable "name" {
  description = "The service's name."
  type        = string
}

variable "cluster_arn" {
  description = "The cluster that runs the service."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the tasks."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "image" {
  description = "The container image."
  type        = string
}

variable "cpu" {
  description = "CPU units of a task."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Memory of a task in MiB."
  type        = number
  default     = 512
}

variable "container_port" {
  description = "The port the container listens on."
  type        = number
  default     = 8080
}

variable "environment" {
  description = "Plain environment variables of the container."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Secrets of the container: variable name to an SSM parameter or secret ARN."
  type        = map(string)
  default     = {}
}

variable "target_group_arn" {
  description = "The target group the service registers with."
  type        = string
}

variable "load_balancer_security_group_id" {
  description = "The load balancer's security group."
  type        = string
}

variable "min_tasks" {
  description = "Fewest running tasks."
  type        = number
  default     = 1
}

variable "max_tasks" {
  description = "Most running tasks."
  type        = number
  default     = 2
}

variable "autoscaling" {
  description = "Scale the number of tasks between min_tasks and max_tasks on CPU."
  type        = bool
  default     = true
}

variable "cpu_target" {
  description = "Average CPU utilisation that autoscaling aims for, in percent."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Days to keep container logs."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "The KMS key for logs and secrets."
  type        = string
}
