output "name" {
  description = "The parameter's name."
  value       = aws_ssm_parameter.this.name
}

output "arn" {
  description = "The parameter's ARN."
  value       = aws_ssm_parameter.this.arn
}

output "value_from" {
  description = "The reference that consumers read the value through: the parameter's ARN."
  value       = aws_ssm_parameter.this.arn
  sensitive   = true
}
