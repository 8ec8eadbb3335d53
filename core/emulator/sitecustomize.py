# Emulator patches for moto 5.2.1, loaded by Python at start-up (PYTHONPATH) in the rehearsal's moto.
# Each patch fills a gap moto documents as a limitation; none changes what a request means.
#
# 1. ElastiCache: a replication group lists member clusters (<id>-001 …) but moto never creates
#    them, so DescribeCacheClusters answers 404 and the AWS provider cannot read the replication
#    group it just created. The patch registers each member as a cache cluster of the group.
try:
    from moto.elasticache import models as _ec
except Exception:  # moto without ElastiCache: nothing to patch
    _ec = None

if _ec is not None:
    _create_rg = _ec.ElastiCacheBackend.create_replication_group

    def _create_replication_group(self, *args, **kwargs):
        rg = _create_rg(self, *args, **kwargs)
        for cid in list(getattr(rg, "member_clusters", [])):
            if cid in self.cache_clusters:
                continue
            self.cache_clusters[cid] = _ec.CacheCluster(
                account_id=self.account_id, region_name=self.region_name, cache_cluster_id=cid,
                cache_node_type=rg.cache_node_type, replication_group_id=rg.replication_group_id,
                az_mode=None, preferred_availability_zone=None, num_cache_nodes=1,
                engine=rg.engine, engine_version=rg.engine_version,
                cache_parameter_group_name=None, cache_subnet_group_name=rg.cache_subnet_group_name,
                transit_encryption_enabled=rg.transit_encryption_enabled, network_type=None,
                ip_discovery=None, snapshot_name=None, preferred_maintenance_window=None,
                port=getattr(rg, "port", 6379), notification_topic_arn=None,
                auto_minor_version_upgrade=True, snapshot_retention_limit=0, snapshot_window=None,
                auth_token=None, outpost_mode=None, preferred_outpost_arn=None,
                preferred_availability_zones=None, cache_security_group_names=None,
                security_group_ids=rg.security_group_ids, tags=None, snapshot_arns=None,
                preferred_outpost_arns=None, log_delivery_configurations=[],
                cache_node_ids_to_remove=None, cache_node_ids_to_reboot=None,
            )
            self.cache_clusters[cid].at_rest_encryption_enabled = rg.at_rest_encryption_enabled
        return rg

    _ec.ElastiCacheBackend.create_replication_group = _create_replication_group

# 2. Application Auto Scaling: moto accepts Tags on RegisterScalableTarget but implements neither
#    ListTagsForResource nor TagResource/UntagResource (HTTP 500, which the AWS provider retries for
#    ever). The patch keeps the tags per scalable-target ARN and answers the three calls.
try:
    import json as _json
    from moto.applicationautoscaling import responses as _aas
except Exception:
    _aas = None

if _aas is not None:
    _AAS_TAGS = {}
    _register = _aas.ApplicationAutoScalingResponse.register_scalable_target

    def _register_scalable_target(self):
        body = _register(self)
        try:
            arn = _json.loads(body).get("ScalableTargetARN")
            tags = self._get_param("Tags")
            if arn and tags is not None:
                _AAS_TAGS[arn] = dict(tags)
        except Exception:
            pass
        return body

    def _list_tags_for_resource(self):
        return _json.dumps({"Tags": _AAS_TAGS.get(self._get_param("ResourceARN"), {})})

    def _tag_resource(self):
        _AAS_TAGS.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def _untag_resource(self):
        tags = _AAS_TAGS.setdefault(self._get_param("ResourceARN"), {})
        for k in self._get_param("TagKeys") or []:
            tags.pop(k, None)
        return "{}"

    _aas.ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target
    _aas.ApplicationAutoScalingResponse.list_tags_for_resource = _list_tags_for_resource
    _aas.ApplicationAutoScalingResponse.tag_resource = _tag_resource
    _aas.ApplicationAutoScalingResponse.untag_resource = _untag_resource
