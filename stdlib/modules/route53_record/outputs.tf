output "fqdn" {
  description = "The record's full name."
  value       = aws_route53_record.this.fqdn
}

output "health_check_id" {
  description = "The health check's id (empty without health_check_path)."
  value       = try(aws_route53_health_check.this[0].id, "")
}
