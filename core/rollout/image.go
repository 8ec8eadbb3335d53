package rollout

import (
	"fmt"
	"regexp"
	"strings"
)

var digestRef = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)

// CheckImage accepts only digest references (`repo@sha256:<64 hex>`, optionally `repo:tag@sha256:…`):
// a tag can move, a digest cannot, so the revision we register runs exactly the image we built.
func CheckImage(ref string) error {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return fmt.Errorf("rollout: image is empty: pass the pushed image as repo@sha256:<64 hex>")
	}
	if !strings.Contains(ref, "@") {
		return fmt.Errorf("rollout: image %q has no digest: pass repo@sha256:<64 hex> (the digest the publish step printed), not a tag", ref)
	}
	if !digestRef.MatchString(ref) {
		return fmt.Errorf("rollout: image %q is not a digest reference: expected repo@sha256:<64 lower-case hex>", ref)
	}
	return nil
}
