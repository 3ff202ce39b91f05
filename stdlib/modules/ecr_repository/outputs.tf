output "url" {
  description = "The repository's URL."
  value       = aws_ecr_repository.this.repository_url
}

output "arn" {
  description = "The repository's ARN."
  value       = aws_ecr_repository.this.arn
}
