output "arn" {
  description = "The secret's ARN."
  value       = aws_secretsmanager_secret.this.arn
}

output "name" {
  description = "The secret's name."
  value       = aws_secretsmanager_secret.this.name
}

output "value_from" {
  description = "The reference that consumers read the value through: the secret's ARN."
  value       = aws_secretsmanager_secret.this.arn
  sensitive   = true
}
