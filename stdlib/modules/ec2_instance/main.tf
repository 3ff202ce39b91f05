data "aws_ssm_parameter" "ami" {
  count = var.ami == "" ? 1 : 0
  name  = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

resource "aws_instance" "this" {
  ami                         = var.ami == "" ? nonsensitive(data.aws_ssm_parameter.ami[0].value) : var.ami
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_ids[var.subnet_index]
  vpc_security_group_ids      = concat([aws_security_group.this.id], var.security_group_ids)
  iam_instance_profile        = var.instance_profile
  associate_public_ip_address = false
  monitoring                  = var.detailed_monitoring
  ebs_optimized               = true
  disable_api_termination     = var.deletion_protection
  user_data                   = var.user_data == "" ? null : var.user_data

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  dynamic "instance_market_options" {
    for_each = var.spot ? [1] : []
    content {
      market_type = "spot"

      spot_options {
        spot_instance_type             = "persistent"
        instance_interruption_behavior = "stop"
      }
    }
  }

  tags = {
    Name = var.name
  }

  # A newer default AMI must not replace a running instance.
  lifecycle {
    ignore_changes = [ami]
  }
}

resource "aws_security_group" "this" {
  name        = "${var.name}-instance"
  description = "Instance ${var.name}"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${var.name}-instance"
  }
}

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

resource "aws_vpc_security_group_egress_rule" "https" {
  count             = length(var.https_egress_cidrs)
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to Session Manager, AWS APIs and package mirrors"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.https_egress_cidrs[count.index]
}
