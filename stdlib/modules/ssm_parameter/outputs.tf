output "name" {
  description = "The parameter's name."
  value       = aws_ssm_parameter.this.name
}

output "arn" {
  description = "The parameter's ARN."
  value       = aws_ssm_parameter.this.arn
}
