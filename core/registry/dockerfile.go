package registry

import (
	"fmt"
	"slices"
	"strings"
)

// ProductionStage is the Dockerfile target the deploy builds.
const ProductionStage = "production"

// Stages returns the named stages of a Dockerfile (`FROM … AS name`, case-insensitive, with
// line continuations and comments handled), in order.
func Stages(dockerfile []byte) []string {
	var stages []string
	var logical strings.Builder
	flush := func() {
		fields := strings.Fields(logical.String())
		logical.Reset()
		if len(fields) < 2 || !strings.EqualFold(fields[0], "FROM") {
			return
		}
		for i := 1; i+1 < len(fields); i++ {
			if strings.EqualFold(fields[i], "AS") {
				stages = append(stages, strings.ToLower(fields[i+1]))
				return
			}
		}
	}
	for _, line := range strings.Split(string(dockerfile), "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		if logical.Len() == 0 && strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			logical.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		logical.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

// CheckTarget fails unless the Dockerfile has a stage named target (case-insensitive).
func CheckTarget(dockerfile []byte, target string) error {
	stages := Stages(dockerfile)
	if slices.Contains(stages, strings.ToLower(target)) {
		return nil
	}
	found := "none"
	if len(stages) > 0 {
		found = strings.Join(stages, ", ")
	}
	return fmt.Errorf("the Dockerfile has no %q stage (named stages: %s): add `FROM … AS %s`", target, found, target)
}

// CheckProductionStage is CheckTarget(dockerfile, "production").
func CheckProductionStage(dockerfile []byte) error { return CheckTarget(dockerfile, ProductionStage) }
