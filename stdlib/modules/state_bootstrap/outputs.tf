output "bucket_arn" {
  description = "The state bucket's ARN."
  value       = aws_s3_bucket.state.arn
}

output "kms_key_arn" {
  description = "The KMS key that encrypts the state."
  value       = aws_kms_key.state.arn
}
