output "id" {
  description = "The instance's id."
  value       = aws_instance.this.id
}

output "arn" {
  description = "The instance's ARN."
  value       = aws_instance.this.arn
}

output "private_ip" {
  description = "The instance's private IPv4 address."
  value       = aws_instance.this.private_ip
}

output "availability_zone" {
  description = "The instance's availability zone."
  value       = aws_instance.this.availability_zone
}

output "security_group_id" {
  description = "The instance's own security group."
  value       = aws_security_group.this.id
}
