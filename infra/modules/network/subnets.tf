# Four tiers of /24 subnets, one per AZ each: public (ALB, NAT, bastion), private (ECS tasks),
# database (RDS) and elasticache (Redis). Tier offsets 0, 10, 20, 30 leave room to add AZs.

resource "aws_subnet" "public" {
  count = local.az_count

  vpc_id            = aws_vpc.this.id
  availability_zone = var.azs[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, 8, count.index)

  tags = { Name = "${var.name}-public-${var.azs[count.index]}", Tier = "public" }
}

resource "aws_subnet" "private" {
  count = local.az_count

  vpc_id            = aws_vpc.this.id
  availability_zone = var.azs[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, 8, 10 + count.index)

  tags = { Name = "${var.name}-private-${var.azs[count.index]}", Tier = "private" }
}

resource "aws_subnet" "database" {
  count = local.az_count

  vpc_id            = aws_vpc.this.id
  availability_zone = var.azs[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, 8, 20 + count.index)

  tags = { Name = "${var.name}-database-${var.azs[count.index]}", Tier = "database" }
}

resource "aws_subnet" "elasticache" {
  count = local.az_count

  vpc_id            = aws_vpc.this.id
  availability_zone = var.azs[count.index]
  cidr_block        = cidrsubnet(var.cidr_block, 8, 30 + count.index)

  tags = { Name = "${var.name}-elasticache-${var.azs[count.index]}", Tier = "elasticache" }
}
