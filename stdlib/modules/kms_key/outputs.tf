output "arn" {
  description = "The key's ARN."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "The key's id."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "The alias name, `alias/NAME`."
  value       = aws_kms_alias.this.name
}

output "alias_arn" {
  description = "The alias's ARN."
  value       = aws_kms_alias.this.arn
}
