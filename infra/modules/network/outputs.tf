output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (ALB, NAT gateway, bastion), one per AZ."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (ECS tasks), one per AZ."
  value       = aws_subnet.private[*].id
}

output "database_subnet_ids" {
  description = "Isolated subnets for RDS, one per AZ."
  value       = aws_subnet.database[*].id
}

output "elasticache_subnet_ids" {
  description = "Isolated subnets for ElastiCache, one per AZ."
  value       = aws_subnet.elasticache[*].id
}

output "app_security_group_id" {
  description = "Security group of every application task."
  value       = aws_security_group.app.id
}

output "nat_public_ips" {
  description = "Public IPs the tasks' outbound traffic leaves from (for third-party allow lists)."
  value       = aws_eip.nat[*].public_ip
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
