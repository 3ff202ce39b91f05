locals {
  alias = var.alias_name != ""
}

resource "aws_route53_health_check" "this" {
  count             = var.health_check_path == "" ? 0 : 1
  fqdn              = var.name
  type              = "HTTPS"
  port              = 443
  resource_path     = var.health_check_path
  request_interval  = 30
  failure_threshold = 3
  enable_sni        = true

  tags = {
    Name = var.name
  }
}

resource "aws_route53_record" "this" {
  zone_id         = var.zone_id
  name            = var.name
  type            = var.type
  ttl             = local.alias ? null : var.ttl
  records         = local.alias ? null : var.records
  health_check_id = var.health_check_path == "" ? null : aws_route53_health_check.this[0].id

  dynamic "alias" {
    for_each = local.alias ? [1] : []
    content {
      name                   = var.alias_name
      zone_id                = var.alias_zone_id
      evaluate_target_health = var.evaluate_target_health
    }
  }

  lifecycle {
    precondition {
      condition     = local.alias != (length(var.records) > 0)
      error_message = "A record has either an alias (alias_name and alias_zone_id) or plain records, not both, and not neither."
    }
  }
}
