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

# 3. ElastiCache RBAC: moto 5.2.1 has users (CreateUser, DescribeUsers, DeleteUser) but neither
#    ModifyUser nor any user-group call (CreateUserGroup, DescribeUserGroups, ModifyUserGroup,
#    DeleteUserGroup: HTTP 500, which the AWS provider retries for ever), no ModifyReplicationGroup,
#    and its tag calls refuse a user group's ARN. The patch keeps user groups per backend and checks
#    what AWS checks: a group needs a member named "default", its users must exist, a group in use
#    by a replication group cannot be deleted, a replication group's user groups must exist and
#    need encryption in transit. Every change is immediate (status "active").
try:
    from moto.elasticache import responses as _ecr
    from moto.elasticache import exceptions as _ecx
    from moto.core.responses import ActionResult as _AR
    import re as _re
except Exception:
    _ecr = None

if _ec is not None and _ecr is not None:

    class _ECError(_ecx.ElastiCacheException):
        def __init__(self, code, message):
            self.code = code
            super().__init__(message)

    _ec_init = _ec.ElastiCacheBackend.__init__

    def _ec_backend_init(self, *args, **kwargs):
        _ec_init(self, *args, **kwargs)
        self.arn_regex = _re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:(cluster|snapshot|subnetgroup|replicationgroup|user|usergroup):.*$")

    _ec.ElastiCacheBackend.__init__ = _ec_backend_init

    def _groups(backend):
        if not hasattr(backend, "bookme_user_groups"):
            backend.bookme_user_groups = {}
        return backend.bookme_user_groups

    def _group_view(backend, g):
        rgs = [rg_id for rg_id, rg in backend.replication_groups.items()
               if g["UserGroupId"] in (getattr(rg, "user_group_ids", None) or [])]
        return dict(g, ReplicationGroups=rgs, MinimumEngineVersion="6.0", ServerlessCaches=[])

    def _user(backend, uid):
        u = backend.users.get(uid)
        if u is None or u.status == "deleting":
            raise _ecx.UserNotFound(uid)
        return u

    def _sync_user_groups(backend):
        member = {}
        for gid, g in _groups(backend).items():
            for uid in g["UserIds"]:
                member.setdefault(uid, []).append(gid)
        for uid, u in backend.users.items():
            u.user_group_ids = sorted(member.get(uid, []))

    def _create_user_group(self):
        b = self.elasticache_backend
        gid = self._get_param("UserGroupId")
        engine = (self._get_param("Engine") or "").lower()
        uids = self._get_param("UserIds", []) or []
        if gid in _groups(b):
            raise _ECError("UserGroupAlreadyExists", f"User group {gid} already exists.")
        users = [_user(b, uid) for uid in uids]
        if not any(u.name == "default" for u in users):
            raise _ECError("DefaultUserRequired", "You must add default user to a user group.")
        arn = f"arn:aws:elasticache:{b.region_name}:{b.account_id}:usergroup:{gid}"
        g = {"UserGroupId": gid, "Status": "active", "Engine": engine, "UserIds": list(uids), "ARN": arn}
        _groups(b)[gid] = g
        tags = self._get_param("Tags", []) or []
        if tags:
            b.tagging_service.tag_resource(arn, tags)
        _sync_user_groups(b)
        return _AR(_group_view(b, g))

    def _describe_user_groups(self):
        b = self.elasticache_backend
        gid = self._get_param("UserGroupId")
        if gid:
            if gid not in _groups(b):
                raise _ECError("UserGroupNotFound", f"User group {gid} not found.")
            return _AR({"UserGroups": [_group_view(b, _groups(b)[gid])]})
        return _AR({"UserGroups": [_group_view(b, g) for g in _groups(b).values()]})

    def _modify_user_group(self):
        b = self.elasticache_backend
        gid = self._get_param("UserGroupId")
        g = _groups(b).get(gid)
        if g is None:
            raise _ECError("UserGroupNotFound", f"User group {gid} not found.")
        ids = list(g["UserIds"])
        for uid in self._get_param("UserIdsToAdd", []) or []:
            _user(b, uid)
            if uid not in ids:
                ids.append(uid)
        for uid in self._get_param("UserIdsToRemove", []) or []:
            if uid not in ids:
                raise _ecx.InvalidParameterValueException(f"User {uid} is not a member of user group {gid}.")
            ids.remove(uid)
        if not any(b.users[uid].name == "default" for uid in ids if uid in b.users):
            raise _ECError("DefaultUserRequired", "You must add default user to a user group.")
        g["UserIds"] = ids
        _sync_user_groups(b)
        return _AR(_group_view(b, g))

    def _delete_user_group(self):
        b = self.elasticache_backend
        gid = self._get_param("UserGroupId")
        g = _groups(b).get(gid)
        if g is None:
            raise _ECError("UserGroupNotFound", f"User group {gid} not found.")
        view = _group_view(b, g)
        if view["ReplicationGroups"]:
            raise _ECError("InvalidUserGroupState", f"User group {gid} is in use by {', '.join(view['ReplicationGroups'])}.")
        del _groups(b)[gid]
        _sync_user_groups(b)
        return _AR(dict(view, Status="deleting"))

    def _modify_user(self):
        b = self.elasticache_backend
        u = _user(b, self._get_param("UserId"))
        params = self._get_params()
        if params.get("AccessString") is not None:
            u.access_string = params["AccessString"]
        passwords = params.get("Passwords") or (params.get("AuthenticationMode") or {}).get("Passwords") or []
        if any(len(p) < 16 or len(p) > 128 for p in passwords):
            raise _ecx.PasswordTooShort()
        if passwords:
            u.passwords = list(passwords)
            u.no_password_required = False
            u.authentication_type = "password"
        if self._get_bool_param("NoPasswordRequired"):
            u.no_password_required = True
            u.passwords = []
        return _AR(u)

    _delete_user_orig = _ecr.ElastiCacheResponse.delete_user

    def _delete_user(self):
        b = self.elasticache_backend
        uid = self._get_param("UserId")
        for gid, g in _groups(b).items():
            if uid in g["UserIds"]:
                raise _ECError("InvalidUserState", f"User {uid} belongs to user group {gid}.")
        return _delete_user_orig(self)

    _create_rg_response = _ecr.ElastiCacheResponse.create_replication_group

    def _create_replication_group_checked(self):
        b = self.elasticache_backend
        gids = self._get_param("UserGroupIds", []) or []
        for gid in gids:
            if gid not in _groups(b):
                raise _ECError("UserGroupNotFound", f"User group {gid} not found.")
        if gids and not self._get_bool_param("TransitEncryptionEnabled"):
            raise _ecx.InvalidParameterCombinationException(
                "Encryption in transit must be enabled for the replication group to use user groups.")
        if gids and self._get_param("AuthToken"):
            raise _ecx.InvalidParameterCombinationException("AuthToken and UserGroupIds are mutually exclusive.")
        return _create_rg_response(self)

    def _modify_replication_group(self):
        b = self.elasticache_backend
        rg_id = self._get_param("ReplicationGroupId")
        rg = b.replication_groups.get(rg_id)
        if rg is None:
            raise _ECError("ReplicationGroupNotFoundFault", f"Replication group {rg_id} not found.")
        ids = list(getattr(rg, "user_group_ids", None) or [])
        for gid in self._get_param("UserGroupIdsToAdd", []) or []:
            if gid not in _groups(b):
                raise _ECError("UserGroupNotFound", f"User group {gid} not found.")
            if not rg.transit_encryption_enabled:
                raise _ecx.InvalidParameterCombinationException(
                    "Encryption in transit must be enabled for the replication group to use user groups.")
            if gid not in ids:
                ids.append(gid)
        for gid in self._get_param("UserGroupIdsToRemove", []) or []:
            if gid in ids:
                ids.remove(gid)
        rg.user_group_ids = ids
        if self._get_param("AuthTokenUpdateStrategy") == "DELETE":
            rg.auth_token_enabled = False
        return _AR({"ReplicationGroup": rg})

    _ecr.ElastiCacheResponse.create_user_group = _create_user_group
    _ecr.ElastiCacheResponse.describe_user_groups = _describe_user_groups
    _ecr.ElastiCacheResponse.modify_user_group = _modify_user_group
    _ecr.ElastiCacheResponse.delete_user_group = _delete_user_group
    _ecr.ElastiCacheResponse.modify_user = _modify_user
    _ecr.ElastiCacheResponse.delete_user = _delete_user
    _ecr.ElastiCacheResponse.create_replication_group = _create_replication_group_checked
    _ecr.ElastiCacheResponse.modify_replication_group = _modify_replication_group

# 4. Leak scans (not a gap): with BOOKME_MOTO_PASSWORD_MARK set, every password GetRandomPassword
#    returns starts with that mark (same length; the rest is moto's random characters), so a test can
#    search state, plan files and logs for any generated password, including the ones OpenTofu's
#    ephemeral resources generate while planning and then discard. Unset: moto's behaviour.
import os as _os
import json as _json

_MARK = _os.environ.get("BOOKME_MOTO_PASSWORD_MARK", "")
if _MARK:
    try:
        from moto.secretsmanager import responses as _smr
    except Exception:
        _smr = None
    if _smr is not None:
        _get_random_password = _smr.SecretsManagerResponse.get_random_password

        def _marked_random_password(self):
            body = _get_random_password(self)
            out = _json.loads(body)
            pw = out.get("RandomPassword", "")
            if len(pw) > len(_MARK):
                out["RandomPassword"] = _MARK + pw[len(_MARK):]
            return _json.dumps(out)

        _smr.SecretsManagerResponse.get_random_password = _marked_random_password

# 5. moto's model dump (GET /moto-api/data.json, the only place a test can read back an ElastiCache
#    user's passwords) answers HTTP 500 as soon as an RDS instance exists: a write-only property
#    raises NotImplementedError, which the dump does not skip. The patch skips any attribute that
#    cannot be read or encoded.
try:
    from moto.moto_api._internal import responses as _mapi
except Exception:
    _mapi = None

if _mapi is not None:

    def _model_data(self, request, full_url, headers):
        from moto.core.model_instances import model_data

        results = {}
        for service in sorted(model_data):
            models = model_data[service]
            results[service] = {}
            for name in sorted(models):
                results[service][name] = []
                for instance in models[name].instances_tracked:
                    inst_result = {}
                    for attr in dir(instance):
                        if attr.startswith("_"):
                            continue
                        try:
                            value = getattr(instance, attr)
                            _json.dumps(value)
                        except Exception:
                            continue
                        inst_result[attr] = value
                    results[service][name].append(inst_result)
        return 200, {"Content-Type": "application/javascript"}, _json.dumps(results)

    _mapi.MotoAPIResponse.model_data = _model_data

# 6. ECS Exec: moto 5.2.1 drops CreateService's enableExecuteCommand (UpdateService's it keeps), so a
#    new service reads back without it and the AWS provider plans `enable_execute_command = false -> true`
#    after every apply (infra/stacks/backend turns ECS Exec on for the API). The patch keeps the flag
#    on the service, which DescribeServices then returns.
try:
    from moto.ecs import responses as _ecsr
except Exception:
    _ecsr = None

if _ecsr is not None:
    _ecs_create_service = _ecsr.EC2ContainerServiceResponse.create_service
    _ecs_update_service = _ecsr.EC2ContainerServiceResponse.update_service

    def _keep_exec_flag(self, name):
        flag = self._get_param("enableExecuteCommand")
        if flag is None or not name:
            return
        try:
            services, _ = self.ecs_backend.describe_services(self._get_param("cluster", "default"), [name])
            for svc in services:
                svc.enable_execute_command = bool(flag)
        except Exception:
            pass

    def _ecs_create_service_exec(self):
        res = _ecs_create_service(self)
        _keep_exec_flag(self, self._get_param("serviceName"))
        return res

    def _ecs_update_service_exec(self):
        res = _ecs_update_service(self)
        _keep_exec_flag(self, self._get_param("service"))
        return res

    _ecsr.EC2ContainerServiceResponse.create_service = _ecs_create_service_exec
    _ecsr.EC2ContainerServiceResponse.update_service = _ecs_update_service_exec

# 7. Retried calls whose answer was lost on the way (with BOOKME_MOTO_REPLAY_RETRIES=1: every moto a
#    rehearsal or an end-to-end test starts). Answers moto sent get lost: through the Dagger engine's
#    tunnel to a host service (the workflow-lines test: moto logged 200, and the AWS SDK sent the same
#    invocation again, its amz-sdk-invocation-id with "attempt=2"), and under CI's load also between a
#    container and the rehearsal's own moto service (a RevokeSecurityGroupEgress retried after it had
#    removed the default rule: InvalidPermission.NotFound failed a first apply). A create or delete
#    retried that way meets its own first attempt (InvalidSubnet.Conflict, a second route table, a rule
#    no longer there). With the variable set, a retry of a change moto already answered (same
#    invocation id, not GET/HEAD, a 2xx answer) gets that answer again instead of a second execution,
#    as if the first answer had arrived; GET /bookme-emulator/replays lists the replayed calls (JSON),
#    so a report can say that it happened. Unset: moto's behaviour.
import os as _os7

if _os7.environ.get("BOOKME_MOTO_REPLAY_RETRIES") == "1":
    try:
        import collections as _coll7
        import threading as _th7
        from moto.moto_server import werkzeug_app as _wapp7
    except Exception:
        _wapp7 = None

    if _wapp7 is not None:
        import json as _json7
        import urllib.parse as _up7

        _answered = _coll7.OrderedDict()  # invocation id -> (status, headers, body)
        _answered_lock = _th7.Lock()
        _replayed = []  # one entry per replayed retry: {"call": ..., "invocation": ...}
        _dispatch7 = _wapp7.DomainDispatcherApplication.__call__

        def _call_name7(environ, body):
            # The operation, as the AWS protocols name it: X-Amz-Target (JSON), Action= (query), else
            # the method and path (REST).
            target = environ.get("HTTP_X_AMZ_TARGET")
            if target:
                return target
            try:
                action = _up7.parse_qs(body.decode("utf-8", "replace")).get("Action")
            except Exception:
                action = None
            if action:
                return action[0]
            return environ.get("REQUEST_METHOD", "") + " " + environ.get("PATH_INFO", "")

        def _replaying(self, environ, start_response):
            if environ.get("PATH_INFO") == "/bookme-emulator/replays" and environ.get("REQUEST_METHOD") == "GET":
                with _answered_lock:
                    doc = _json7.dumps(list(_replayed)).encode()
                start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(doc)))])
                return [doc]
            inv = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
            if not inv or environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
                return _dispatch7(self, environ, start_response)
            with _answered_lock:
                seen = _answered.get(inv)
            if seen is not None:
                # The retry's body, unread, would be taken for the next request on the connection.
                n = int(environ.get("CONTENT_LENGTH") or 0)
                if n:
                    body = environ["wsgi.input"].read(n)
                elif environ.get("wsgi.input_terminated"):  # chunked: read to its end
                    body = environ["wsgi.input"].read()
                else:
                    body = b""
                with _answered_lock:
                    _replayed.append({"call": _call_name7(environ, body[:4096]), "invocation": inv})
                status, headers, body = seen
                start_response(status, headers)
                return [body]
            captured = {}

            def _capture(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, list(headers)
                if exc_info is not None:
                    return start_response(status, headers, exc_info)
                return start_response(status, headers)

            result = _dispatch7(self, environ, _capture)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            if captured.get("status", "").startswith("2"):
                with _answered_lock:
                    _answered[inv] = (captured["status"], captured["headers"], body)
                    while len(_answered) > 5000:
                        _answered.popitem(last=False)
            return [body]

        _wapp7.DomainDispatcherApplication.__call__ = _replaying

# 8. S3 conditional writes are not atomic in moto 5.2.1: PutObject and DeleteObject check If-Match /
#    If-None-Match against the stored object, then write, and another request's thread can run in
#    between. AWS applies a condition and its write as one step. Under load a deploy lock forced open
#    (DeleteObject If-Match) came back: the holder's renewal (PutObject If-Match, same ETag) had passed
#    its check before the delete and wrote after it; two OpenTofu lock files (If-None-Match: *) could
#    both be taken the same way. The patch runs every object write and delete (PutObject, CopyObject,
#    DeleteObject; their bodies are already read) under one lock, so a condition holds for its write.
try:
    import threading as _th8
    from moto.s3.responses import S3Response as _S3R8
except Exception:
    _S3R8 = None

if _S3R8 is not None:
    _s3_writes8 = _th8.RLock()

    def _atomic8(name):
        orig = getattr(_S3R8, name, None)
        if orig is None:
            return

        def wrapped(self, *args, **kwargs):
            with _s3_writes8:
                return orig(self, *args, **kwargs)

        wrapped.__name__ = name
        setattr(_S3R8, name, wrapped)

    for _name8 in ("put_object", "copy_object", "delete_object"):
        _atomic8(_name8)
