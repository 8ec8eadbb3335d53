# The security group every application task joins (API, worker, migration, shell). The database,
# the cache and the load balancer open their ports to this group, never to CIDR ranges.

resource "aws_security_group" "app" {
  name        = "${var.name}-app"
  description = "ECS tasks of the application (API, worker, one-off tasks)"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-app" }
}

resource "aws_vpc_security_group_egress_rule" "app_all" {
  security_group_id = aws_security_group.app.id
  description       = "Outbound to AWS APIs, the database, the cache and third parties (SendGrid)"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
