output "service_name" {
  description = "The service's name."
  value       = aws_ecs_service.this.name
}

output "task_role_arn" {
  description = "The task role, to grant the application access to AWS."
  value       = aws_iam_role.task.arn
}

output "security_group_id" {
  description = "The tasks' security group."
  value       = aws_security_group.this.id
}
