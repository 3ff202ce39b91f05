output "id" {
  description = "The security group's id."
  value       = aws_security_group.this.id
}

output "arn" {
  description = "The security group's ARN."
  value       = aws_security_group.this.arn
}

output "name" {
  description = "The security group's name."
  value       = aws_security_group.this.name
}
