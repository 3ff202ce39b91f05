output "arn" {
  description = "The certificate's ARN; with wait_for_validation, known only once the certificate is issued."
  value       = var.wait_for_validation ? aws_acm_certificate_validation.this[0].certificate_arn : aws_acm_certificate.this.arn
}
