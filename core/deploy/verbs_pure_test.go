package deploy

// Unit tests of the operator verbs' pure parts (run, logs, exec): argv, --since, log ordering, the
// exec line. No server, no build tag.

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		"python manage.py createsuperuser --noinput":                   {"python", "manage.py", "createsuperuser", "--noinput"},
		"  python   manage.py\tloaddata  fixtures/a.json ":             {"python", "manage.py", "loaddata", "fixtures/a.json"},
		`python manage.py shell -c 'from x import y; print(y("a b"))'`: {"python", "manage.py", "shell", "-c", `from x import y; print(y("a b"))`},
		`sh -c "echo \"quoted\" \$HOME and \\ done"`:                   {"sh", "-c", `echo "quoted" $HOME and \ done`},
		`a\ b c`:            {"a b", "c"},
		`''`:                {""},
		`x'y'"z"`:           {"xyz"},
		`echo $HOME *`:      {"echo", "$HOME", "*"},
		`'it'\''s'`:         {"it's"},
		"a \\\nb":           {"a", "b"},
		`"a,b" c,d`:         {"a,b", "c,d"},
		`"don't"`:           {"don't"},
		"echo 'two\nlines'": {"echo", "two\nlines"},
	} {
		got, err := SplitCommand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":               "no command",
		"   ":            "no command",
		`echo 'oops`:     "unterminated single quote",
		`echo "oops`:     "unterminated double quote",
		`echo "a\"`:      "unterminated double quote",
		`echo trailing\`: "ends with a backslash",
	} {
		if _, err := SplitCommand(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SplitCommand(%q): error %v, want one saying %q", in, err, want)
		}
	}
}

// QuoteArgv's line splits back into the same words, by SplitCommand and by a real sh.
func TestQuoteArgvRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh: %v", err)
	}
	for _, argv := range [][]string{
		{"python", "manage.py", "createsuperuser", "--noinput"},
		{"python", "manage.py", "shell", "-c", `from django.contrib.auth import get_user_model; print(get_user_model().objects.count())`},
		{"sh", "-c", `echo "$HOME" 'single' \back`},
		{"", "it's", "a\nb", "tab\there", "$(rm -rf /)", "*", "~"},
	} {
		line := QuoteArgv(argv)
		got, err := SplitCommand(line)
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Errorf("SplitCommand(QuoteArgv(%q)) = %q (%v), line %s", argv, got, err, line)
		}
		// sh itself splits the line: eval it into "$@" and print each word NUL-terminated.
		out, err := exec.Command(sh, "-c", `eval "set -- $1"; for a in "$@"; do printf '%s\0' "$a"; done`, "sh", line).Output()
		if err != nil {
			t.Fatalf("sh on %s: %v", line, err)
		}
		words := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if !reflect.DeepEqual(words, argv) {
			t.Errorf("sh splits %s into %q, want %q", line, words, argv)
		}
	}
	if got := QuoteArgv([]string{"python", "manage.py", "migrate"}); got != "python manage.py migrate" {
		t.Errorf("plain words are quoted: %s", got)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                          now.Add(-10 * time.Minute),
		"10m":                       now.Add(-10 * time.Minute),
		" 2h ":                      now.Add(-2 * time.Hour),
		"90s":                       now.Add(-90 * time.Second),
		"1h30m":                     now.Add(-90 * time.Minute),
		"1d":                        now.Add(-24 * time.Hour),
		"2d12h":                     now.Add(-60 * time.Hour),
		"2026-03-04T10:30:00Z":      time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC),
		"2026-03-04T11:00:00+01:00": time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC),
		"2026-03-01":                time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"10":                   "not a duration or a time",
		"ten minutes":          "not a duration or a time",
		"10x":                  "not a duration or a time",
		"-5m":                  "more than zero",
		"0s":                   "more than zero",
		"0d":                   "more than zero",
		"1d-30h":               "more than zero",
		"2026-03-05":           "in the future",
		"2027-01-01T00:00:00Z": "in the future",
		"99999d":               "too many days",
		"2026-13-01":           "not a duration or a time",
	} {
		_, err := ParseSince(in, now)
		if err == nil || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "such as 10m") {
			t.Errorf("ParseSince(%q): error %v, want one saying %q and what is accepted", in, err, why)
		}
	}
}

// Lines of several streams come back ordered by stream, not time (moto without interleaving; a
// page of real AWS): they are printed by time, a stream's own order kept within one millisecond.
func TestSortLogLinesAndFormat(t *testing.T) {
	at := func(ms int) time.Time {
		return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	a, b := "ecs/app/aaaa", "ecs/app/bbbb"
	lines := []LogLine{
		{Time: at(5), Stream: b, Message: "b1"}, {Time: at(9), Stream: b, Message: "b2"},
		{Time: at(1), Stream: a, Message: "a1"}, {Time: at(5), Stream: a, Message: "a2"}, {Time: at(5), Stream: a, Message: "a3"},
		{Time: at(12), Stream: a, Message: "a4\n"},
	}
	SortLogLines(lines)
	var got []string
	for _, l := range lines {
		got = append(got, l.Message)
	}
	if want := []string{"a1", "a2", "a3", "b1", "b2", "a4\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	if f := lines[5].Format(); f != "2026-01-01T12:00:00.012Z aaaa a4" {
		t.Errorf("Format = %q", f)
	}
}

func TestExecLine(t *testing.T) {
	got := ExecLine("eu-central-1", "book-me-prod", "0123abcd", "app", "/bin/sh")
	want := "aws ecs execute-command --region eu-central-1 --cluster book-me-prod --task 0123abcd --container app --interactive --command /bin/sh"
	if got != want {
		t.Errorf("ExecLine = %s\nwant       %s", got, want)
	}
	got = ExecLine("", "c", "t", "app", "python manage.py shell")
	if want := "aws ecs execute-command --cluster c --task t --container app --interactive --command 'python manage.py shell'"; got != want {
		t.Errorf("ExecLine = %s\nwant       %s", got, want)
	}
}

func TestAwslogsOf(t *testing.T) {
	td := &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String("arn:aws:ecs:eu-central-1:1:task-definition/bookme-api:4"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("app"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{"awslogs-group": "/ecs/bookme-api", "awslogs-stream-prefix": "ecs", "awslogs-region": "eu-west-1"}}},
			{Name: aws.String("side"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverJsonFile}},
			{Name: aws.String("half"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{"awslogs-group": "/ecs/x"}}},
		}}
	g, p, r, err := awslogsOf(td, "app")
	if err != nil || g != "/ecs/bookme-api" || p != "ecs/app/" || r != "eu-west-1" {
		t.Errorf("awslogsOf(app) = %q %q %q %v", g, p, r, err)
	}
	for c, want := range map[string]string{"side": "does not log with the awslogs driver", "half": "lack awslogs-group or awslogs-stream-prefix",
		"nope": `bookme-api:4 has no container "nope"`} {
		if _, _, _, err := awslogsOf(td, c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("awslogsOf(%s): %v, want %q", c, err, want)
		}
	}
}

func TestServiceNamed(t *testing.T) {
	s := Site{Cluster: "c", APIService: "book-me-prod-api", WorkerService: "book-me-prod-worker"}
	for in, want := range map[string]string{"api": s.APIService, "": s.APIService, "worker": s.WorkerService, "book-me-prod-worker": s.WorkerService} {
		if got, err := s.serviceNamed(in); err != nil || got != want {
			t.Errorf("serviceNamed(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := s.serviceNamed("web"); err == nil || !strings.Contains(err.Error(), "want api or worker") {
		t.Errorf("serviceNamed(web): %v", err)
	}
}

func TestExitError(t *testing.T) {
	var err error = &ExitError{Code: 3, Task: "abc", Reason: "Essential container in task exited"}
	ee, ok := err.(interface{ ExitCode() int })
	if !ok || ee.ExitCode() != 3 || !strings.Contains(err.Error(), "exited 3") {
		t.Errorf("ExitError: %v", err)
	}
}
