variable "name" {
  description = "Name prefix, e.g. book-me-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the bastion."
  type        = string
}

variable "subnet_id" {
  description = "Public subnet the bastion runs in."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type (x86_64, matching ami_ssm_parameter)."
  type        = string
  default     = "t3.micro"
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter naming the AMI (Amazon Linux 2023 ships the EC2 Instance Connect agent)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

variable "root_volume_size" {
  description = "Size of the encrypted root volume in GiB (explicit, so the instance never depends on the AMI's default)."
  type        = number
  default     = 8

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 100
    error_message = "root_volume_size must be between 8 and 100 GiB."
  }
}
