package workflows

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// This file holds the helpers that find `dagger call` command lines in shell scripts and Markdown, and the rule
// that decides whether a workflow's line is "the same" as one of the README's.
//
// The shape of a line (the module's constructor takes what every verb shares):
//
//	dagger call [constructor flags] [with-… [its flags]]… <verb> [verb flags] [<function on the result> [flags]]… ["$@"]
//
// A flag is a constructor flag when it comes before the first function name (e.g. --env, --region, the AWS
// credentials), a flag of a chain step when it follows a `with-*` function before the verb (e.g.
// `with-provider-mirror --dir DIR`), and a verb flag when it follows the verb (the first function that is not a
// `with-*` one). Functions after the verb's flags (`export --path X`) are called on its result. A flag's value is
// the next word unless that word starts with "--" (or the flag is written --name=value), so a boolean flag is
// written last, before another flag, or as --name=true.
//
// The rule: same verb, same chain, same constructor flags and same verb flags (each set compared on its own, so
// a flag moved across the function name is a different call), same literal values, except that — for
// constructor and verb flags alike —
//   - --env, --region, --source-url and --run-url may take their value from a GitHub expression (directly or through a
//     shell variable set in the step/job/workflow `env:`), e.g. `--env "$DEPLOY_ENV"` with
//     DEPLOY_ENV: ${{ inputs.environment }}, or `--source-url "$SOURCE_URL"` with
//     SOURCE_URL: ${{ github.server_url }}/${{ github.repository }} (the README shows an example value);
//   - a credential value may use another secret source (env:NAME, file:PATH, cmd:...), but must be one;
//   - verb flags listed in allowExtra (only --detailed-exitcode, only in drift.yml) may be added;
//   - --who and --run-url (who deploys and the CI run's link: recorded in the lock and the deploy record, not
//     deployed) may be added to the flags of deploy, history and unlock when their value is a GitHub expression — a laptop's deploy
//     records "local".

// callStep is one function of a `dagger call` chain with the flags given to it.
type callStep struct {
	Name  string
	Flags map[string]string // flag name (without --) → value; "" for a boolean flag
}

// daggerCall is one parsed `dagger call` invocation.
type daggerCall struct {
	Raw         string            // the command as written (continuations joined)
	Constructor map[string]string // flags before the first function name: the module constructor's
	Chain       []callStep        // `with-*` functions between the constructor and the verb
	Function    string            // the verb, e.g. "deploy"
	Flags       map[string]string // the verb's flags
	Then        []callStep        // functions called on the verb's result, e.g. export --path X
	Passthrough bool              // the line ends in "$@" (a script handing on its arguments)
}

// flagMaps returns every flag map of the call (constructor, chain steps, verb, result functions), for
// rewriting values in place.
func (c daggerCall) flagMaps() []map[string]string {
	out := []map[string]string{c.Constructor, c.Flags}
	for _, s := range c.Chain {
		out = append(out, s.Flags)
	}
	for _, s := range c.Then {
		out = append(out, s.Flags)
	}
	return out
}

// recordFlags may be added by a workflow, with a GitHub expression as value: they describe the run.
var recordFlags = map[string]bool{"who": true, "run-url": true}

// flags whose value may come from a GitHub expression in a workflow.
var expressionFlags = map[string]bool{"env": true, "region": true, "source-url": true, "run-url": true}

// secretRef matches a Dagger secret reference such as env:AWS_SECRET_ACCESS_KEY or file:./key.
var secretRef = regexp.MustCompile(`^(env|file|cmd|op|vault|libsecret):\S+$`)

// ghExpr matches a value that is entirely one GitHub expression.
var ghExpr = regexp.MustCompile(`^\$\{\{.*\}\}$`)

// shellVar matches $NAME or ${NAME}.
var shellVar = regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`)

// functionName matches a Dagger function name as the CLI spells it.
var functionName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

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
			return nil, fmt.Errorf("only `dagger call [constructor flags] <function> ...` may be run (global flags go in the environment), found %q", trimmed)
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

// parseFlags reads the --flags starting at words[i] into a map and returns the index of the first word that is
// not a flag.
func parseFlags(words []string, i int) (map[string]string, int, error) {
	flags := map[string]string{}
	for ; i < len(words) && strings.HasPrefix(words[i], "-") && words[i] != "-"; i++ {
		w := words[i]
		if !strings.HasPrefix(w, "--") {
			return nil, i, fmt.Errorf("short flag %q: spell flags out (--name)", w)
		}
		name, value, hasEq := strings.Cut(strings.TrimPrefix(w, "--"), "=")
		if !hasEq && i+1 < len(words) && !strings.HasPrefix(words[i+1], "--") {
			value = words[i+1]
			i++
		}
		if _, dup := flags[name]; dup {
			return nil, i, fmt.Errorf("flag --%s given twice", name)
		}
		flags[name] = value
	}
	return flags, i, nil
}

// parseCall turns ["dagger","call","--env","x","with-a","--b","y","fn","--c"] into a daggerCall (the shape at
// the top of this file).
func parseCall(words []string) (daggerCall, error) {
	c := daggerCall{}
	var err error
	i := 2
	if c.Constructor, i, err = parseFlags(words, i); err != nil {
		return c, err
	}
	for i < len(words) {
		name := words[i]
		if name == "$@" || name == "$*" {
			if i != len(words)-1 {
				return c, fmt.Errorf("%q must be the last word", name)
			}
			c.Passthrough = true
			break
		}
		if !functionName.MatchString(name) {
			return c, fmt.Errorf("%q is not a function name (a boolean flag followed by a value? write --flag=value)", name)
		}
		var flags map[string]string
		if flags, i, err = parseFlags(words, i+1); err != nil {
			return c, err
		}
		switch {
		case c.Function == "" && strings.HasPrefix(name, "with-"):
			c.Chain = append(c.Chain, callStep{Name: name, Flags: flags})
		case c.Function == "":
			c.Function, c.Flags = name, flags
		default:
			c.Then = append(c.Then, callStep{Name: name, Flags: flags})
		}
	}
	if c.Function == "" {
		return c, fmt.Errorf("no function to call after the constructor flags and `with-*` steps")
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

// sameValue reports why a workflow's value of --name differs from the README's, or "".
func sameValue(name, wv, rv string) string {
	switch {
	case wv == rv:
	case expressionFlags[name] && ghExpr.MatchString(wv):
	case secretRef.MatchString(rv) && secretRef.MatchString(wv):
	case secretRef.MatchString(rv):
		return fmt.Sprintf("--%s %q is not a secret reference (env:, file:, cmd:)", name, wv)
	default:
		return fmt.Sprintf("--%s %q, README has %q", name, wv, rv)
	}
	return ""
}

// sameFlags compares one set of flags (where: "constructor", "verb deploy", "with-provider-mirror", …).
// extra(name, value) says whether a flag the README lacks may be added.
func sameFlags(where string, wf, readme map[string]string, extra func(name, value string) bool) []string {
	var problems []string
	for name, rv := range readme {
		wv, ok := wf[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: missing --%s", where, name))
			continue
		}
		if why := sameValue(name, wv, rv); why != "" {
			problems = append(problems, where+": "+why)
		}
	}
	for name, wv := range wf {
		if _, ok := readme[name]; !ok && (extra == nil || !extra(name, wv)) {
			problems = append(problems, fmt.Sprintf("%s: extra --%s", where, name))
		}
	}
	return problems
}

// sameSteps compares chains of functions (the `with-*` steps, or the functions called on the result).
func sameSteps(what string, wf, readme []callStep) []string {
	names := func(steps []callStep) string {
		var n []string
		for _, s := range steps {
			n = append(n, s.Name)
		}
		return strings.Join(n, " ")
	}
	if names(wf) != names(readme) {
		return []string{fmt.Sprintf("%s [%s], README has [%s]", what, names(wf), names(readme))}
	}
	var problems []string
	for i := range wf {
		problems = append(problems, sameFlags(wf[i].Name, wf[i].Flags, readme[i].Flags, nil)...)
	}
	return problems
}

// sameCall reports why a workflow call differs from a README call, or "" when it is the same under the rule at
// the top of this file. The workflow call's shell variables must already be resolved.
func sameCall(wf, readme daggerCall, allowExtra map[string]bool) string {
	if wf.Function != readme.Function {
		return fmt.Sprintf("function %q, README has %q", wf.Function, readme.Function)
	}
	var problems []string
	problems = append(problems, sameFlags("constructor", wf.Constructor, readme.Constructor, nil)...)
	problems = append(problems, sameSteps("chain", wf.Chain, readme.Chain)...)
	problems = append(problems, sameFlags(wf.Function, wf.Flags, readme.Flags, func(name, value string) bool {
		return allowExtra[name] || (recordFlags[name] && (wf.Function == "deploy" || wf.Function == "history" || wf.Function == "unlock") && ghExpr.MatchString(value))
	})...)
	problems = append(problems, sameSteps("functions on the result", wf.Then, readme.Then)...)
	if wf.Passthrough != readme.Passthrough {
		problems = append(problems, fmt.Sprintf("passes on \"$@\": %v, README: %v", wf.Passthrough, readme.Passthrough))
	}
	// A flag on the wrong side of the function name: say so plainly instead of "missing" on one side and
	// "extra" on the other.
	moved := map[string]bool{}
	for name := range wf.Flags {
		if _, ok := readme.Constructor[name]; ok {
			if _, also := wf.Constructor[name]; !also {
				moved["constructor: missing --"+name], moved[wf.Function+": extra --"+name] = true, true
				problems = append(problems, fmt.Sprintf("--%s is a constructor flag in the README: it goes between `dagger call` and %s", name, wf.Function))
			}
		}
	}
	for name := range wf.Constructor {
		if _, ok := readme.Flags[name]; ok {
			if _, also := wf.Flags[name]; !also {
				moved["constructor: extra --"+name], moved[wf.Function+": missing --"+name] = true, true
				problems = append(problems, fmt.Sprintf("--%s is a flag of %s in the README: it goes after the function name", name, wf.Function))
			}
		}
	}
	problems = slices.DeleteFunc(problems, func(p string) bool { return moved[p] })
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
