package emulator

import _ "embed"

// MotoPatch is a sitecustomize.py for the moto process (put its directory on PYTHONPATH): it fills
// the gaps of moto 5.2.1 a whole-stack rehearsal runs into (ElastiCache replication-group members).
//
//go:embed sitecustomize.py
var MotoPatch string
