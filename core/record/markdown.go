package record

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Markdown is the summary for people (and for GitHub's job summary, which the workflow fills):
// outcome, commit, image, the step table, task definitions, plan hashes and the bundle. It is
// redacted with the Redactor of the last Redact (or Save); before either, with the patterns only.
func (r *Record) Markdown() string { return r.redactor.String(r.markdown()) }

func (r *Record) markdown() string {
	var b strings.Builder
	mode := ""
	if r.DryRun {
		mode = " (dry-run, emulated account)"
	}
	icon := "✅"
	switch {
	case r.Cancelled():
		icon = "⊘"
	case !r.Succeeded():
		icon = "❌"
	}
	verb := "Deploy"
	switch {
	case r.Recovered != nil:
		verb = "Recovery (rollback)"
	case r.RollbackTo != nil:
		verb = "Rollback"
	}
	fmt.Fprintf(&b, "## %s %s %s %s%s\n\n", icon, verb, cell(r.Environment), r.Outcome(), mode)
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Commit | `%s` |\n", cell(r.GitSHA))
	fmt.Fprintf(&b, "| By | %s |\n", cell(r.Who))
	if r.RunURL != "" {
		fmt.Fprintf(&b, "| Run | %s |\n", cell(r.RunURL))
	}
	if r.ImageRef != "" {
		fmt.Fprintf(&b, "| Image | `%s` |\n", cell(r.ImageRef))
	}
	fmt.Fprintf(&b, "| Started | %s |\n", r.Started.UTC().Format(time.RFC3339))
	if d := r.Duration(); d > 0 {
		fmt.Fprintf(&b, "| Duration | %s |\n", round(d))
	}
	b.WriteString("\n### Steps\n\n| Step | Status | Duration | Detail |\n|---|---|---|---|\n")
	for _, s := range r.Steps {
		dur := ""
		if s.Status != Skipped {
			dur = round(s.Duration)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(s.Name), statusCell(s.Status), dur, cell(s.Detail))
	}
	if len(r.TaskDefinitions) > 0 {
		b.WriteString("\n### Task definitions\n\n")
		for _, k := range sortedKeys(r.TaskDefinitions) {
			fmt.Fprintf(&b, "- %s: `%s`\n", cell(k), cell(r.TaskDefinitions[k]))
		}
	}
	if r.EnvFileKey != "" {
		fmt.Fprintf(&b, "\n### Env file\n\n- `%s`\n", cell(r.EnvFileKey))
	}
	if rc := r.Recovered; rc != nil {
		b.WriteString("\n### Recovered a dead run\n\n")
		fmt.Fprintf(&b, "- the run was deploying commit `%s`\n- %s\n", cell(rc.GitSHA), cell(rc.Reason))
	}
	if rt := r.RollbackTo; rt != nil {
		b.WriteString("\n### Roll-back to a release\n\n")
		fmt.Fprintf(&b, "- served again: commit `%s` (record `%s`)\n", cell(rt.GitSHA), cell(rt.Record))
		if rt.FromGitSHA != "" || rt.FromRecord != "" {
			fmt.Fprintf(&b, "- replaced: commit `%s` (record `%s`)\n", cell(rt.FromGitSHA), cell(rt.FromRecord))
		} else {
			b.WriteString("- replaced: a live state no record names (changed by hand?)\n")
		}
		for _, n := range rt.NotRolledBack {
			fmt.Fprintf(&b, "- not rolled back: %s\n", cell(n))
		}
	}
	if len(r.PlanHashes) > 0 {
		b.WriteString("\n### OpenTofu plans\n\n")
		for _, k := range sortedKeys(r.PlanHashes) {
			fmt.Fprintf(&b, "- %s: `sha256:%s`\n", cell(k), cell(strings.TrimPrefix(r.PlanHashes[k], "sha256:")))
		}
	}
	if c := r.Cancellation; c != nil {
		b.WriteString("\n### Cancelled\n\n")
		fmt.Fprintf(&b, "- reason: %s\n", cell(c.Reason))
		for _, s := range c.Interrupted {
			fmt.Fprintf(&b, "- interrupted: %s\n", cell(s))
		}
	}
	if rb := r.Rollback; rb != nil {
		b.WriteString("\n### Roll-back to the previous release\n\n")
		fmt.Fprintf(&b, "- reason: %s\n", cell(rb.Reason))
		for _, s := range rb.Services {
			if s.RolledBack {
				fmt.Fprintf(&b, "- service %s: rolled back `%s` → `%s`\n", cell(s.Service), cell(s.From), cell(s.To))
			} else {
				fmt.Fprintf(&b, "- service %s: **not rolled back** (still `%s`, wanted `%s`): %s\n", cell(s.Service), cell(s.From), cell(s.To), cell(s.Error))
			}
		}
		if sp := rb.SPA; sp != nil {
			if sp.RolledBack {
				fmt.Fprintf(&b, "- SPA: release %s served again instead of %s (restored: %s)\n", cell(sp.To), cell(sp.From), cell(strings.Join(sp.Restored, ", ")))
			} else {
				fmt.Fprintf(&b, "- SPA: **not rolled back** (release %s stays served): %s\n", cell(sp.From), cell(sp.Error))
			}
			if len(sp.Left) > 0 {
				fmt.Fprintf(&b, "- SPA: left in place (not in the previous release): %s\n", cell(strings.Join(sp.Left, ", ")))
			}
		}
		if rb.Invalidation != "" {
			fmt.Fprintf(&b, "- CDN: %s\n", cell(rb.Invalidation))
		}
		for _, n := range rb.NotRolledBack {
			fmt.Fprintf(&b, "- not rolled back: %s\n", cell(n))
		}
	}
	if bu := r.Bundle; bu != nil {
		b.WriteString("\n### Client bundle\n\n")
		fmt.Fprintf(&b, "- entry `%s`, %d files, %s, %d uploaded, %d deleted\n", cell(bu.Entry), bu.Files, size(bu.Bytes), bu.Uploaded, bu.Deleted)
		if bu.ManifestSHA256 != "" {
			fmt.Fprintf(&b, "- manifest `sha256:%s`\n", cell(bu.ManifestSHA256))
		}
	}
	return b.String()
}

func statusCell(s Status) string {
	switch s {
	case Succeeded:
		return "✅ succeeded"
	case Failed:
		return "❌ failed"
	case Skipped:
		return "⏭️ skipped"
	case Cancelled:
		return "⊘ cancelled"
	}
	return cell(string(s))
}

// cell makes a string safe in a Markdown table cell: one line, pipes escaped.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "`", "'")
	return s
}

func round(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
