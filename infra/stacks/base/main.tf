# The base stack: everything that lives longer than a release and that the other stacks and the
# pipeline build on — network, database, cache, image repository, buckets, bastion, app secret.
# One component per file: network.tf, database.tf, cache.tf, registry.tf, buckets.tf,
# bastion.tf, secrets.tf.

locals {
  name          = "${var.project}-${var.environment}"
  bucket_prefix = coalesce(var.bucket_name_prefix, local.name)

  # Who may reach the database and the cache (keys must be known at plan time).
  data_clients = {
    for k, v in {
      app     = module.network.app_security_group_id
      bastion = one(module.bastion[*].security_group_id)
    } : k => v if k != "bastion" || var.bastion_enabled
  }
}
