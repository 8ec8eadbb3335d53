# The load balancer takes HTTP/HTTPS from anywhere and talks only to the targets' port;
# the targets' security group accepts that port only from the load balancer.

resource "aws_security_group" "this" {
  name        = "${var.name}-alb"
  description = "Public HTTP/HTTPS to the API load balancer"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "public" {
  for_each = { http = 80, https = 443 }

  security_group_id = aws_security_group.this.id
  description       = each.key
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "to_targets" {
  security_group_id            = aws_security_group.this.id
  description                  = "To the API tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.target_port
  to_port                      = var.target_port
  referenced_security_group_id = var.target_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "targets_from_alb" {
  security_group_id            = var.target_security_group_id
  description                  = "API port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.target_port
  to_port                      = var.target_port
  referenced_security_group_id = aws_security_group.this.id
}
