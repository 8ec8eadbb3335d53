package deploy

import (
	"fmt"
	"path"
	"strings"
)

// matchRunning is the index of the newest release (records newest first) whose revisions of every
// service are the ones the services run (live: service → ARN); -1 when none is.
func matchRunning(rs []Release, services []string, live map[string]string) int {
	for i, r := range rs {
		if r.Problem == "" && r.Complete(services) && sameRevisions(r.TaskDefinitions, live, services) {
			return i
		}
	}
	return -1
}

func sameRevisions(a, b map[string]string, services []string) bool {
	for _, s := range services {
		if a[s] == "" || a[s] != b[s] {
			return false
		}
	}
	return true
}

// pickTarget chooses the release a release-level roll-back serves again. rs are the records,
// newest first; running is the index of the one the services run (matchRunning; -1: none).
//
// With to, it is the record named by its key (or the key's base name, with or without .json), else
// the newest successful release whose commit starts with to. Without to, it is the previous
// successful release: the newest successful one, older than the release running now (for a
// roll-back's record: older than the record of the release it served again — a second roll-back
// goes further back, never forward), that names every service's revision and is not what runs now.
// Failed, rolled-back, refused and partial (--stages) runs are passed over; skipped says which and why.
func pickTarget(rs []Release, services []string, running int, to string) (target int, skipped []string, err error) {
	if to = strings.TrimSpace(to); to != "" {
		i, err := findNamed(rs, services, to)
		return i, nil, err
	}
	if running < 0 {
		hint := ""
		if i := newestGood(rs, services); i >= 0 {
			hint = fmt.Sprintf(" (the newest successful release is %s, commit %s)", rs[i].Name(), Short(rs[i].GitSHA))
		}
		return -1, nil, fmt.Errorf("the services run revisions no deploy record names (changed by hand?), so there is no \"previous\" release: name the release to return to with --to <commit or record>%s", hint)
	}
	origin := running
	if rt := rs[running].RollbackTo; rt != nil {
		for i := running + 1; i < len(rs); i++ {
			if rs[i].Key == rt.Record {
				origin = i
				break
			}
		}
	}
	for i := 0; i < origin; i++ {
		if i != running {
			skipped = append(skipped, fmt.Sprintf("%s (commit %s, %s): newer than the release running now", rs[i].Name(), Short(rs[i].GitSHA), rs[i].Outcome))
		}
	}
	cur := rs[running]
	for i := origin + 1; i < len(rs); i++ {
		r := rs[i]
		why := ""
		switch {
		case r.Problem != "":
			why = "unreadable record"
		case !r.Succeeded():
			why = r.Outcome
		case !r.Complete(services):
			why = "names no revision of every service (a partial run: --stages)"
		case sameRevisions(r.TaskDefinitions, cur.TaskDefinitions, services):
			why = "the revisions running now"
		default:
			return i, skipped, nil
		}
		skipped = append(skipped, fmt.Sprintf("%s (commit %s): %s", r.Name(), Short(r.GitSHA), why))
	}
	return -1, skipped, fmt.Errorf("no successful release older than the one running now (%s, commit %s) in the deploy records: nothing to roll back to (name one with --to)",
		cur.Name(), Short(cur.GitSHA))
}

// findNamed resolves --to: a record key (or its base name), else a commit prefix.
func findNamed(rs []Release, services []string, to string) (int, error) {
	for i, r := range rs {
		if r.Key == to || path.Base(r.Key) == to || r.Name() == to {
			switch {
			case r.Problem != "":
				return -1, fmt.Errorf("--to %s: the record is unreadable: %s", to, r.Problem)
			case !r.Succeeded():
				return -1, fmt.Errorf("--to %s: that run did not succeed (%s): only a successful release is served again", to, r.Outcome)
			case !r.Complete(services):
				return -1, fmt.Errorf("--to %s: the record names no revision of every service (%s): not a whole release", to, strings.Join(services, ", "))
			}
			return i, nil
		}
	}
	to = strings.ToLower(to)
	if len(to) < 4 || strings.Trim(to, "0123456789abcdef") != "" {
		return -1, fmt.Errorf("--to %q: no deploy record has that key, and it is not a commit prefix (4 or more hex digits)", to)
	}
	commits := map[string]bool{}
	var found []string
	pick := -1
	for i, r := range rs {
		if r.Problem != "" || !strings.HasPrefix(strings.ToLower(r.GitSHA), to) {
			continue
		}
		commits[r.GitSHA] = true
		found = append(found, r.Name()+" "+r.Outcome)
		if pick < 0 && r.Succeeded() && r.Complete(services) {
			pick = i
		}
	}
	switch {
	case len(commits) > 1:
		var list []string
		for c := range commits {
			list = append(list, Short(c))
		}
		return -1, fmt.Errorf("--to %s: ambiguous, it starts %d commits (%s): give more digits", to, len(commits), strings.Join(list, ", "))
	case len(found) == 0:
		return -1, fmt.Errorf("--to %s: no deploy record of a commit starting %s", to, to)
	case pick < 0:
		return -1, fmt.Errorf("--to %s: the commit has no successful, whole release in the records (%s)", to, strings.Join(found, "; "))
	}
	return pick, nil
}

// newestGood is the index of the newest release (rs newest first) that succeeded and recorded every
// service; -1 when there is none.
func newestGood(rs []Release, services []string) int {
	for i, r := range rs {
		if r.Succeeded() && r.Complete(services) {
			return i
		}
	}
	return -1
}
