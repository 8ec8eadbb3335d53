package workflows

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// This file holds the helpers that find `dagger call` command lines in shell scripts and Markdown, and the rule
// that decides whether a workflow's line is "the same" as one of the README's.
//
// The rule: same function, same set of flags, same literal values, except that
//   - --env, --region and --source-url may take their value from a GitHub expression (directly or through a
//     shell variable set in the step/job/workflow `env:`), e.g. `--env "$DEPLOY_ENV"` with
//     DEPLOY_ENV: ${{ inputs.environment }}, or `--source-url "$SOURCE_URL"` with
//     SOURCE_URL: ${{ github.server_url }}/${{ github.repository }} (the README shows an example value);
//   - a credential value may use another secret source (env:NAME, file:PATH, cmd:...), but must be one;
//   - flags listed in allowExtra (only --detailed-exitcode, only in drift.yml) may be added;
//   - --who and --run-url (who deploys and the CI run's link: recorded in the lock and the deploy record, not
//     deployed) may be added when their value is a GitHub expression — a laptop's deploy records "local".

// daggerCall is one parsed `dagger call` invocation.
type daggerCall struct {
	Raw      string            // the command as written (continuations joined)
	Function string            // e.g. "deploy"
	Flags    map[string]string // flag name (without --) → value; "" for a boolean flag
	Order    []string          // flag names in the order written
}

// recordFlags may be added by a workflow, with a GitHub expression as value: they describe the run.
var recordFlags = map[string]bool{"who": true, "run-url": true}

// flags whose value may come from a GitHub expression in a workflow.
var expressionFlags = map[string]bool{"env": true, "region": true, "source-url": true}

// secretRef matches a Dagger secret reference such as env:AWS_SECRET_ACCESS_KEY or file:./key.
var secretRef = regexp.MustCompile(`^(env|file|cmd|op|vault|libsecret):\S+$`)

// ghExpr matches a value that is entirely one GitHub expression.
var ghExpr = regexp.MustCompile(`^\$\{\{.*\}\}$`)

// shellVar matches $NAME or ${NAME}.
var shellVar = regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`)

// joinContinuations turns backslash-newline continuations into spaces.
func joinContinuations(s string) string {
	return regexp.MustCompile(`\\\r?\n[ \t]*`).ReplaceAllString(s, " ")
}

// shellWords splits one shell command line into words, honouring single and double quotes, and stops at the
// first control or redirection operator (|, ||, &&, ;, &, >, >>, <, 2>...). It returns the words and the rest.
func shellWords(line string) ([]string, string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, "", fmt.Errorf("unterminated single quote in %q", line)
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
					cur.WriteByte(line[j])
					continue
				}
				cur.WriteByte(line[j])
			}
			if j >= len(line) {
				return nil, "", fmt.Errorf("unterminated double quote in %q", line)
			}
			inWord = true
			i = j
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			flush()
			return words, line[i:], nil
		case strings.ContainsRune("|&;<>", rune(c)):
			// "2>" and "&>": a digit glued to a redirection belongs to the operator, not to the command.
			if c == '>' && inWord && (cur.String() == "2" || cur.String() == "1") {
				cur.Reset()
				inWord = false
			}
			flush()
			return words, line[i:], nil
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, "", nil
}

// daggerLineStart finds `dagger` used as a command at the start of a line.
var daggerLineStart = regexp.MustCompile(`(?m)^[ \t]*dagger[ \t]`)

// extractDaggerCalls finds every `dagger call` command in a shell script. Any other `dagger` command than
// `dagger call`/`dagger version` is an error, and so is `dagger call` anywhere but at the start of a line
// (e.g. after `if` or `&&`), so that no invocation escapes the comparison with the README.
func extractDaggerCalls(script string) ([]daggerCall, error) {
	script = joinContinuations(script)
	var calls []daggerCall
	for _, line := range strings.Split(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if !daggerLineStart.MatchString(line) {
			if regexp.MustCompile(`\bdagger\s+(-\S+\s+)*call\b`).MatchString(trimmed) {
				return nil, fmt.Errorf("`dagger call` must start its line (found inside %q)", trimmed)
			}
			continue
		}
		words, _, err := shellWords(trimmed)
		if err != nil {
			return nil, err
		}
		if len(words) >= 2 && words[1] == "version" {
			continue
		}
		if len(words) < 3 || words[1] != "call" {
			return nil, fmt.Errorf("only `dagger call <function> ...` may be run (global flags go in the environment), found %q", trimmed)
		}
		c, err := parseCall(words)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", trimmed, err)
		}
		c.Raw = trimmed
		calls = append(calls, c)
	}
	return calls, nil
}

// parseCall turns ["dagger","call","fn","--a","x","--b"] into a daggerCall.
func parseCall(words []string) (daggerCall, error) {
	c := daggerCall{Function: words[2], Flags: map[string]string{}}
	if strings.HasPrefix(c.Function, "-") {
		return c, fmt.Errorf("flags before the function name are not allowed: %q", c.Function)
	}
	for i := 3; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "--") {
			return c, fmt.Errorf("unexpected positional argument %q", w)
		}
		name, value, hasEq := strings.Cut(strings.TrimPrefix(w, "--"), "=")
		if !hasEq {
			if i+1 < len(words) && !strings.HasPrefix(words[i+1], "--") {
				value = words[i+1]
				i++
			}
		}
		if _, dup := c.Flags[name]; dup {
			return c, fmt.Errorf("flag --%s given twice", name)
		}
		c.Flags[name] = value
		c.Order = append(c.Order, name)
	}
	return c, nil
}

// readmeDaggerCalls returns the `dagger call` lines of the fenced sh/bash/shell/console code blocks of a
// Markdown document (a leading "$ " prompt is removed).
func readmeDaggerCalls(markdown string) ([]daggerCall, error) {
	var calls []daggerCall
	var block []string
	in := false
	for _, line := range strings.Split(markdown, "\n") {
		t := strings.TrimSpace(line)
		if !in && (strings.HasPrefix(t, "```sh") || strings.HasPrefix(t, "```bash") ||
			strings.HasPrefix(t, "```shell") || strings.HasPrefix(t, "```console")) {
			in, block = true, nil
			continue
		}
		if in && strings.HasPrefix(t, "```") {
			in = false
			script := strings.Join(block, "\n")
			found, err := extractDaggerCalls(script)
			if err != nil {
				return nil, err
			}
			calls = append(calls, found...)
			continue
		}
		if in {
			block = append(block, strings.TrimPrefix(strings.TrimLeft(line, " \t"), "$ "))
		}
	}
	return calls, nil
}

// resolveValue replaces a shell variable ($NAME, ${NAME}) by its value from env (step, then job, then
// workflow). ok is false when the variable is set nowhere in the workflow (e.g. only at run time).
func resolveValue(v string, env ...map[string]string) (string, bool) {
	m := shellVar.FindStringSubmatch(v)
	if m == nil {
		return v, true
	}
	name := m[1] + m[2]
	for _, e := range env {
		if val, found := e[name]; found {
			return val, true
		}
	}
	return v, false
}

// sameCall reports why a workflow call differs from a README call, or "" when it is the same under the rule at
// the top of this file. The workflow call's shell variables must already be resolved.
func sameCall(wf, readme daggerCall, allowExtra map[string]bool) string {
	if wf.Function != readme.Function {
		return fmt.Sprintf("function %q, README has %q", wf.Function, readme.Function)
	}
	var problems []string
	for name, rv := range readme.Flags {
		wv, ok := wf.Flags[name]
		if !ok {
			problems = append(problems, "missing --"+name)
			continue
		}
		switch {
		case wv == rv:
		case expressionFlags[name] && ghExpr.MatchString(wv):
		case secretRef.MatchString(rv) && secretRef.MatchString(wv):
		case secretRef.MatchString(rv):
			problems = append(problems, fmt.Sprintf("--%s %q is not a secret reference (env:, file:, cmd:)", name, wv))
		default:
			problems = append(problems, fmt.Sprintf("--%s %q, README has %q", name, wv, rv))
		}
	}
	for name := range wf.Flags {
		if _, ok := readme.Flags[name]; !ok && recordFlags[name] && wf.Function == "deploy" && ghExpr.MatchString(wf.Flags[name]) {
			continue
		}
		if _, ok := readme.Flags[name]; !ok && !allowExtra[name] {
			problems = append(problems, "extra --"+name)
		}
	}
	sort.Strings(problems)
	return strings.Join(problems, "; ")
}

// matchReadme returns "" when wf equals one of the README calls, else the differences to the closest one
// (same function if any).
func matchReadme(wf daggerCall, readme []daggerCall, allowExtra map[string]bool) string {
	best := ""
	for _, r := range readme {
		why := sameCall(wf, r, allowExtra)
		if why == "" {
			return ""
		}
		if r.Function == wf.Function || best == "" {
			best = why
		}
	}
	if best == "" {
		best = "the README has no `dagger call` lines"
	}
	return best
}
