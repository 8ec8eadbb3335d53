package cdn

import (
	"fmt"
	"strings"
)

// Text prints exactly what Apply would do (the dry-run form).
func (p *Plan) Text() string {
	if len(p.Paths) == 0 {
		return fmt.Sprintf("cdn: distribution %s (%s): nothing changed, no invalidation\n", p.DistributionID, p.DomainName)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cdn: invalidate %d path(s) in distribution %s (%s), caller reference %s\n", len(p.Paths), p.DistributionID, p.DomainName, p.CallerReference)
	if p.Collapsed {
		fmt.Fprintf(&b, "  %d changed paths collapsed into a wildcard\n", p.Changed)
	}
	for _, path := range p.Paths {
		fmt.Fprintf(&b, "  %s\n", path)
	}
	return b.String()
}

// Text is the human summary of Apply.
func (r *Result) Text() string {
	if r.InvalidationID == "" {
		return fmt.Sprintf("cdn: no invalidation needed for %s\n", r.DistributionID)
	}
	return fmt.Sprintf("cdn: invalidation %s (%s) of %s: %s\n", r.InvalidationID, r.Status, r.DistributionID, strings.Join(r.Paths, " "))
}
