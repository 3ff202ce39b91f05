output "arn" {
  description = "The certificate's ARN."
  value       = aws_acm_certificate.this.arn
}
