resource "aws_secretsmanager_secret" "this" {
  name                    = var.name
  description             = var.description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

# Secrets Manager makes the password; it reaches the state, as every secret value managed by
# Terraform does, but never the code. The data source answers anew on every plan, so later
# values are ignored: the first one stays until it is rotated outside Terraform.
data "aws_secretsmanager_random_password" "this" {
  count                      = var.generate ? 1 : 0
  password_length            = var.password_length
  exclude_punctuation        = var.exclude_punctuation
  require_each_included_type = true
}

resource "aws_secretsmanager_secret_version" "generated" {
  count         = var.generate ? 1 : 0
  secret_id     = aws_secretsmanager_secret.this.id
  secret_string = data.aws_secretsmanager_random_password.this[0].random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret_rotation" "this" {
  count               = var.rotation_lambda_arn == "" ? 0 : 1
  secret_id           = aws_secretsmanager_secret.this.id
  rotation_lambda_arn = var.rotation_lambda_arn

  rotation_rules {
    automatically_after_days = var.rotation_days
  }
}
