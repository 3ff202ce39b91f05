output "endpoint" {
  description = "The connection endpoint, host:port."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "The host name."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "The port."
  value       = aws_db_instance.this.port
}

output "arn" {
  description = "The instance's ARN."
  value       = aws_db_instance.this.arn
}

output "master_user_secret_arn" {
  description = "The Secrets Manager secret that holds the master password."
  value       = try(aws_db_instance.this.master_user_secret[0].secret_arn, "")
  sensitive   = true
}

output "security_group_id" {
  description = "The database's security group."
  value       = aws_security_group.this.id
}
