resource "aws_security_group" "this" {
  name        = var.name
  description = var.description
  vpc_id      = var.vpc_id

  tags = {
    Name = var.name
  }
}

# One resource per rule (not inline rules), so rules can be added and removed one at a time.
resource "aws_vpc_security_group_ingress_rule" "this" {
  count                        = length(var.ingress)
  security_group_id            = aws_security_group.this.id
  description                  = var.ingress[count.index].description
  ip_protocol                  = var.ingress[count.index].protocol
  from_port                    = var.ingress[count.index].protocol == "-1" ? null : var.ingress[count.index].port
  to_port                      = var.ingress[count.index].protocol == "-1" ? null : max(var.ingress[count.index].port, var.ingress[count.index].to_port)
  cidr_ipv4                    = var.ingress[count.index].cidr == "" ? null : var.ingress[count.index].cidr
  referenced_security_group_id = var.ingress[count.index].source_security_group_id == "" ? null : var.ingress[count.index].source_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "this" {
  count                        = length(var.egress)
  security_group_id            = aws_security_group.this.id
  description                  = var.egress[count.index].description
  ip_protocol                  = var.egress[count.index].protocol
  from_port                    = var.egress[count.index].protocol == "-1" ? null : var.egress[count.index].port
  to_port                      = var.egress[count.index].protocol == "-1" ? null : max(var.egress[count.index].port, var.egress[count.index].to_port)
  cidr_ipv4                    = var.egress[count.index].cidr == "" ? null : var.egress[count.index].cidr
  referenced_security_group_id = var.egress[count.index].source_security_group_id == "" ? null : var.egress[count.index].source_security_group_id
}
