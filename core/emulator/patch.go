package emulator

import _ "embed"

// MotoPatch is a sitecustomize.py for the moto process (put its directory on PYTHONPATH): it fills
// the gaps of moto 5.2.1 a whole-stack rehearsal runs into (ElastiCache replication-group members,
// ElastiCache RBAC user groups and ModifyUser/ModifyReplicationGroup, Application Auto Scaling tags,
// CreateService's enableExecuteCommand), and makes S3's conditional writes atomic, as AWS's are (the
// deploy lock and OpenTofu's lock files rely on them).
// With PasswordMarkEnv set in moto's environment, every password moto generates starts with its value.
//
//go:embed sitecustomize.py
var MotoPatch string

// PasswordMarkEnv names the environment variable of the moto process that marks every password
// Secrets Manager's GetRandomPassword returns (its value is the prefix), so that leak scans find
// generated passwords wherever they could appear — also those generated while planning and discarded.
const PasswordMarkEnv = "BOOKME_MOTO_PASSWORD_MARK"

// ReplayRetriesEnv, set to "1" in moto's environment, makes moto answer an AWS SDK retry of a change
// it already answered (same amz-sdk-invocation-id) with that answer instead of running it again, and
// list such retries at ReplaysPath. Every moto of a rehearsal (MotoEnv) and of the end-to-end tests
// sets it: answers get lost between a container and moto under load, and through the Dagger engine's
// tunnel to a host service. See sitecustomize.py, patch 7.
const ReplayRetriesEnv = "BOOKME_MOTO_REPLAY_RETRIES"
