output "instance_id" {
  description = "Instance id (for `aws ec2-instance-connect ssh --instance-id`)."
  value       = aws_instance.this.id
}

output "security_group_id" {
  description = "Security group of the bastion (allowed into the database and the cache)."
  value       = aws_security_group.this.id
}
