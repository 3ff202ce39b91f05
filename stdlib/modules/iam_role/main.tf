resource "aws_iam_role" "this" {
  name                 = var.name
  description          = var.description
  max_session_duration = var.max_session_hours * 3600
  permissions_boundary = var.permissions_boundary == "" ? null : var.permissions_boundary

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = sort(var.services) }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "this" {
  count      = length(var.managed_policy_arns)
  role       = aws_iam_role.this.name
  policy_arn = var.managed_policy_arns[count.index]
}

resource "aws_iam_role_policy" "this" {
  count = length(var.statements) > 0 ? 1 : 0
  name  = "${var.name}-inline"
  role  = aws_iam_role.this.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for statement in var.statements : {
      Effect   = statement.effect
      Action   = statement.actions
      Resource = statement.resources
    }]
  })
}

resource "aws_iam_instance_profile" "this" {
  count = var.instance_profile ? 1 : 0
  name  = var.name
  role  = aws_iam_role.this.name
}
