# Settings shared by the three stacks of the staging environment.
project            = "book-me"
environment        = "staging"
region             = "eu-central-1"
dns_zone_name      = "book-me.example.com"
api_domain_name    = "api.staging.book-me.example.com"
client_domain_name = "app.staging.book-me.example.com"
