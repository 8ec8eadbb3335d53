package envfile

import (
	"sort"
	"strings"
)

// A release's env file lives under a content-addressed key (docs: "A release"): the key names the
// content, so an object is never overwritten — a new content is a new key, and a running release's
// task definitions keep reading the object they name.

// KeyHashLen is how many hex digits of the content's sha256 name a release env file.
const KeyHashLen = 16

// ReleasePrefix is where an environment's release env files live: service-config/api/<env>/.
func ReleasePrefix(environment string) string {
	return "service-config/api/" + environment + "/"
}

// ReleaseKey is the key of an env file whose content has the sha256 sha256Hex (64 hex digits):
// service-config/api/<env>/<first 16 hex digits>.env.
func ReleaseKey(environment, sha256Hex string) string {
	h := strings.ToLower(sha256Hex)
	if len(h) > KeyHashLen {
		h = h[:KeyHashLen]
	}
	return ReleasePrefix(environment) + h + ".env"
}

// IsReleaseKey says whether key is a release env file of environment (its prefix, 16 hex digits, .env).
func IsReleaseKey(environment, key string) bool {
	rest, ok := strings.CutPrefix(key, ReleasePrefix(environment))
	if !ok {
		return false
	}
	h, ok := strings.CutSuffix(rest, ".env")
	if !ok || len(h) != KeyHashLen {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Retention is what PruneKeys decides from.
type Retention struct {
	// Environment names the prefix (ReleasePrefix); listed keys outside it are never deleted.
	Environment string
	// Listed are the keys under the prefix now.
	Listed []string
	// Releases are the env-file keys of the environment's successful releases, newest first (the
	// release just deployed first); "" entries (records without the field) are skipped.
	Releases []string
	// Referenced are the keys a service's current task definition (or any revision the caller must
	// keep) references: always kept.
	Referenced []string
	// Keep is how many of the newest releases keep their env file (≤ 0: 1, the newest).
	Keep int
}

// PruneKeys returns the listed release env files to delete, sorted: every one that is neither the
// env file of one of the Keep newest releases nor referenced. The fixed key of the layout before
// releases (ObjectKey: service-config/api/<env>.env, overwritten by every deploy), when listed, goes
// only once each of the Keep newest releases names its own release key: a release recorded without
// the field may have run with it. Other keys are never returned.
func PruneKeys(r Retention) []string {
	keep := r.Keep
	if keep <= 0 {
		keep = 1
	}
	kept := map[string]bool{}
	for _, k := range r.Referenced {
		kept[k] = true
	}
	n := 0
	for _, k := range r.Releases {
		if n == keep {
			break
		}
		if k == "" {
			continue
		}
		kept[k] = true
		n++
	}
	legacy := ObjectKey(r.Environment)
	legacyGoes := len(r.Releases) >= keep
	for _, k := range r.Releases[:min(keep, len(r.Releases))] {
		legacyGoes = legacyGoes && k != "" && k != legacy
	}
	var del []string
	seen := map[string]bool{}
	for _, k := range r.Listed {
		if kept[k] || seen[k] || !IsReleaseKey(r.Environment, k) && !(k == legacy && legacyGoes) {
			continue
		}
		seen[k] = true
		del = append(del, k)
	}
	sort.Strings(del)
	return del
}
