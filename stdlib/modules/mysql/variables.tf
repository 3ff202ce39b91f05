variable "name" {
  description = "The instance identifier."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the database's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets for the subnet group."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may connect."
  type        = list(string)
  default     = []
}

variable "allowed_cidrs" {
  description = "CIDR blocks that may connect."
  type        = list(string)
  default     = []
}

variable "engine_version" {
  description = "The engine's major version."
  type        = string
  default     = "8.4"

  validation {
    condition     = contains(["8.0", "8.4"], var.engine_version)
    error_message = "engine_version is 8.0 or 8.4."
  }
}

variable "instance_class" {
  description = "The instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "allocated_storage" {
  description = "Allocated storage in GiB."
  type        = number
  default     = 20
}

variable "database_name" {
  description = "The name of the database created with the instance."
  type        = string
  default     = "app"
}

variable "master_username" {
  description = "The master user's name."
  type        = string
  default     = "app_admin"
}

variable "multi_az" {
  description = "A standby in another availability zone."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the database."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days to keep automated backups."
  type        = number
  default     = 7
}

variable "monitoring_interval" {
  description = "Seconds between enhanced monitoring samples."
  type        = number
  default     = 60
}

variable "performance_insights" {
  description = "Performance Insights (not offered on db.t4g.micro and db.t4g.small)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "The KMS key for storage, Performance Insights and the master secret."
  type        = string
}
