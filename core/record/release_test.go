package record

import (
	"strings"
	"testing"
)

func TestReleaseOutcomeAndRollbackToMarkdown(t *testing.T) {
	r := New("staging", "alice", "c0ffee0123456789abcdef0123456789abcdef01")
	r.EnvFileKey = "service-config/api/staging.env"
	r.RollbackTo = &RollbackTo{Record: "deploy/records/1-a.json", GitSHA: r.GitSHA, FromRecord: "deploy/records/2-b.json",
		FromGitSHA: "feedface0123456789abcdef0123456789abcdef", NotRolledBack: []string{"database migrations: never reversed"}}
	r.Add(Step{Name: "roll-services", Status: Succeeded})
	if o := r.ReleaseOutcome(); o != "rollback to c0ffee012345" {
		t.Errorf("outcome %q", o)
	}
	md := r.Markdown()
	for _, want := range []string{"## ✅ Rollback staging succeeded", "### Env file", "`service-config/api/staging.env`",
		"served again: commit `c0ffee0123456789abcdef0123456789abcdef01`", "replaced: commit `feedface", "not rolled back: database migrations"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	back, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(back)
	if err != nil || p.RollbackTo == nil || p.RollbackTo.FromGitSHA != r.RollbackTo.FromGitSHA || p.EnvFileKey != r.EnvFileKey {
		t.Errorf("round trip: %+v %v", p, err)
	}
}
