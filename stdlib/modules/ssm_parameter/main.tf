resource "aws_ssm_parameter" "this" {
  name        = var.name
  description = var.description
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = var.value
}
