# Settings shared by the three stacks of the production environment.
# tofu plan -var-file=../../environments/production.tfvars -var-file=../../environments/production.<stack>.tfvars
project            = "book-me"
environment        = "prod"
region             = "eu-central-1"
dns_zone_name      = "book-me.example.com"
api_domain_name    = "api.book-me.example.com"
client_domain_name = "app.book-me.example.com"
