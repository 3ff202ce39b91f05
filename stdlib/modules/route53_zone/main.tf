resource "aws_route53_zone" "this" {
  name = var.domain

  vpc {
    vpc_id = var.vpc_id
  }
}
