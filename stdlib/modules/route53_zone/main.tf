resource "aws_route53_zone" "this" {
  name          = var.domain
  comment       = var.comment
  force_destroy = var.force_destroy

  # A zone with a VPC is private: only that VPC resolves it.
  dynamic "vpc" {
    for_each = var.vpc_id == "" ? [] : [var.vpc_id]
    content {
      vpc_id = vpc.value
    }
  }
}

resource "aws_route53_record" "this" {
  for_each = { for record in var.records : "${record.name} ${record.type}" => record }
  zone_id  = aws_route53_zone.this.zone_id
  name     = each.value.name == "" ? var.domain : "${each.value.name}.${var.domain}"
  type     = each.value.type
  ttl      = each.value.ttl
  records  = each.value.records
}
