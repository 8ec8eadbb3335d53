# A small EC2 bastion for psql/redis-cli sessions, reachable only through EC2 Instance Connect:
# no key pair, SSH open only to the Instance Connect service's ranges, IMDSv2 only, encrypted disk.
# The ranges come from AWS's managed prefix list for the region, which AWS keeps current: no CIDR is
# written down here.

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

data "aws_region" "current" {}

data "aws_ec2_managed_prefix_list" "instance_connect" {
  name = "com.amazonaws.${data.aws_region.current.region}.ec2-instance-connect"
}

resource "aws_security_group" "this" {
  name        = "${var.name}-bastion"
  description = "SSH from EC2 Instance Connect only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-bastion" }
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.this.id
  description       = "SSH from EC2 Instance Connect"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  prefix_list_id    = data.aws_ec2_managed_prefix_list.instance_connect.id
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "To the database, the cache and package mirrors"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_instance" "this" {
  ami                         = data.aws_ssm_parameter.ami.insecure_value
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.this.id]
  associate_public_ip_address = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    encrypted   = true
    volume_type = "gp3"
    volume_size = var.root_volume_size
  }

  tags = { Name = "${var.name}-bastion" }

  # A newer AMI must not replace a running bastion by surprise; replace it deliberately.
  lifecycle {
    ignore_changes = [ami]
  }
}
