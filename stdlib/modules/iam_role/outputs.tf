output "arn" {
  description = "The role's ARN."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "The role's name."
  value       = aws_iam_role.this.name
}

output "instance_profile_name" {
  description = "The instance profile's name (empty without instance_profile)."
  value       = try(aws_iam_instance_profile.this[0].name, "")
}

output "instance_profile_arn" {
  description = "The instance profile's ARN (empty without instance_profile)."
  value       = try(aws_iam_instance_profile.this[0].arn, "")
}
