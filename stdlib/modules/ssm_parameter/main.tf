resource "aws_ssm_parameter" "this" {
  name        = var.name
  description = var.description
  type        = var.secure ? "SecureString" : "String"
  key_id      = var.secure ? var.kms_key_arn : null
  value       = var.value
}
