# ElastiCache RBAC: the application's user and the replacement of the built-in "default" user
# (AWS requires every user group to hold a user named "default"; this one is switched off).

ephemeral "aws_secretsmanager_random_password" "app" {
  password_length     = var.password_length
  exclude_punctuation = true # the password goes into a URL
}

# Nobody ever needs the default user's password: it is generated, sent once and forgotten.
ephemeral "aws_secretsmanager_random_password" "default" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_elasticache_user" "app" {
  user_id       = "${var.name}-app"
  user_name     = var.app_user_name
  engine        = "redis"
  access_string = var.app_access_string

  passwords_wo         = ephemeral.aws_secretsmanager_random_password.app.random_password
  passwords_wo_version = var.password_wo_version
}

resource "aws_elasticache_user" "default" {
  user_id       = "${var.name}-default"
  user_name     = "default"
  engine        = "redis"
  access_string = "off -@all" # disabled: no connection can use it

  passwords_wo         = ephemeral.aws_secretsmanager_random_password.default.random_password
  passwords_wo_version = 1
}

resource "aws_elasticache_user_group" "this" {
  user_group_id = var.name
  engine        = "redis"
  user_ids      = [aws_elasticache_user.default.user_id, aws_elasticache_user.app.user_id]
}
