package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pinnedRow is one row of the "Pinned actions" table in docs/github-actions.md.
type pinnedRow struct{ tag, sha, status string }

// pinnedTableRow matches | `owner/repo` | vX.Y.Z | `<40 hex>` | status | evidence |.
var pinnedTableRow = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|\\s*(v\\d+\\.\\d+\\.\\d+)\\s*\\|\\s*`([0-9a-f]{40})`\\s*\\|\\s*([^|]+?)\\s*\\|\\s*(.*?)\\s*\\|\\s*$")

// pinnedActionsTable reads the "## Pinned actions" section of docs/github-actions.md, keyed by action.
func pinnedActionsTable(t *testing.T) map[string]pinnedRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "github-actions.md"))
	if err != nil {
		t.Fatalf("docs/github-actions.md cannot be read (%v): it must hold the \"Pinned actions\" table", err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Pinned actions\n")
	if !ok {
		t.Fatal("docs/github-actions.md has no \"## Pinned actions\" section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	rows := map[string]pinnedRow{}
	for _, line := range strings.Split(section, "\n") {
		m := pinnedTableRow.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		if m[5] == "" {
			t.Errorf("docs/github-actions.md: the row of %s says nowhere where its SHA was confirmed", m[1])
		}
		rows[m[1]] = pinnedRow{tag: m[2], sha: m[3], status: m[4]}
	}
	return rows
}

// TestPinnedActionsAreDocumented checks that every action a workflow pins appears in the "Pinned actions"
// table with the same SHA and tag, so a pin cannot change without its evidence being recorded.
func TestPinnedActionsAreDocumented(t *testing.T) {
	table := pinnedActionsTable(t)
	if len(table) == 0 {
		t.Fatal("the \"Pinned actions\" table of docs/github-actions.md has no rows")
	}
	used := map[string]bool{}
	all := loadWorkflows(t)
	for _, file := range sortedKeys(all) {
		for _, u := range usesNodes(&all[file].node) {
			m := pinned.FindStringSubmatch(u.Value)
			if m == nil {
				continue // TestActionsArePinnedToCommits reports it
			}
			action, sha := m[1]+m[2], m[3]
			tag := strings.TrimPrefix(u.LineComment, "# ")
			used[action] = true
			row, ok := table[action]
			switch {
			case !ok:
				t.Errorf("%s:%d: %s is not in the \"Pinned actions\" table of docs/github-actions.md: add it with where its SHA was confirmed", file, u.Line, action)
			case row.sha != sha || row.tag != tag:
				t.Errorf("%s:%d: %s pinned to %s %s, but docs/github-actions.md lists %s %s", file, u.Line, action, sha, tag, row.sha, row.tag)
			}
		}
	}
	for action := range table {
		if !used[action] {
			t.Errorf("docs/github-actions.md lists %s, which no workflow uses: remove the row", action)
		}
	}
}
