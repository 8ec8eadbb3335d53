package workflows

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// The Dagger module's functions, read from the Go sources of ci/: every flag a documented `dagger call` line
// passes must be a parameter of the function it is given to. Constructor flags (before the first function name)
// are parameters of `func New(` in ci/main.go; chain steps (`with-provider-mirror --dir X`) and the verb are
// methods of *Bookme, and their flags are that method's parameters. Functions called on the verb's result
// (`export --path X`) belong to Dagger's core types and are not checked.

// moduleAPI is what the CLI sees of the module: constructor parameters and methods with their parameters, all
// in the CLI's kebab-case.
type moduleAPI struct {
	constructor map[string]bool            // nil when ci/main.go declares no `func New(`
	functions   map[string]map[string]bool // function name → its parameters
}

// kebab turns a Go identifier into the CLI's spelling: awsAccessKeyId → aws-access-key-id,
// DryRunArtifacts → dry-run-artifacts, arm64 → arm64.
func kebab(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			prevLower := i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]))
			acronymEnd := i > 0 && unicode.IsUpper(r[i-1]) && i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || acronymEnd {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// params returns the CLI names of a function's parameters, without the context.
func params(ft *ast.FuncType) map[string]bool {
	out := map[string]bool{}
	for _, f := range ft.Params.List {
		if sel, ok := f.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
			continue
		}
		for _, n := range f.Names {
			out[kebab(n.Name)] = true
		}
	}
	return out
}

// parseModuleAPI reads the module's API from Go sources (file name → source). Only `New` of main.go counts as
// the constructor; methods on Bookme or *Bookme that are exported are functions.
func parseModuleAPI(sources map[string]string) (moduleAPI, error) {
	api := moduleAPI{functions: map[string]map[string]bool{}}
	fset := token.NewFileSet()
	names := make([]string, 0, len(sources))
	for name := range sources {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, sources[name], parser.SkipObjectResolution)
		if err != nil {
			return api, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() {
				continue
			}
			if fd.Recv == nil {
				if fd.Name.Name == "New" && filepath.Base(name) == "main.go" {
					api.constructor = params(fd.Type)
				}
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok && id.Name == "Bookme" {
				api.functions[kebab(fd.Name.Name)] = params(fd.Type)
			}
		}
	}
	return api, nil
}

// checkAgainstAPI lists the flags and functions of c that the module does not have.
func checkAgainstAPI(c daggerCall, api moduleAPI) []string {
	var problems []string
	unknown := func(where string, flags map[string]string, known map[string]bool) {
		for _, name := range sortedKeys(flags) {
			if !known[name] {
				problems = append(problems, fmt.Sprintf("--%s is not a parameter of %s", name, where))
			}
		}
	}
	if len(c.Constructor) > 0 && api.constructor == nil {
		problems = append(problems, "constructor flags given, but ci/main.go declares no `func New(`")
	} else {
		unknown("the constructor (func New in ci/main.go)", c.Constructor, api.constructor)
	}
	steps := append(append([]callStep(nil), c.Chain...), callStep{Name: c.Function, Flags: c.Flags})
	for _, s := range steps {
		known, ok := api.functions[s.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("the module has no function %s", s.Name))
			continue
		}
		unknown(s.Name, s.Flags, known)
	}
	return problems
}

// moduleSources reads ci/*.go (the generated dagger.gen.go included: it declares no methods of Bookme).
func moduleSources(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "ci", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go sources in ci/ (%v)", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

// documentedCalls returns every `dagger call` line of the README's and docs/*.md's shell blocks, the workflows'
// run steps and the scripts under scripts/, each with where it was found.
func documentedCalls(t *testing.T) map[string][]daggerCall {
	t.Helper()
	root := repoRoot(t)
	out := map[string][]daggerCall{}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, f := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		calls, err := readmeDaggerCalls(string(b))
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel(root, f)
		out[rel] = calls
	}
	for _, c := range workflowCalls(t, loadWorkflows(t)) {
		out[".github/workflows/"+c.file] = append(out[".github/workflows/"+c.file], c.daggerCall)
	}
	scripts, _ := filepath.Glob(filepath.Join(root, "scripts", "*"))
	for _, f := range scripts {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), "dagger call") {
			continue
		}
		rel, _ := filepath.Rel(root, f)
		// A script runs other dagger commands too (dagger core version…): only lines starting with
		// `dagger call` are calls of the module.
		for _, line := range strings.Split(joinContinuations(string(b)), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "dagger call ") {
				continue
			}
			calls, err := extractDaggerCalls(line)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			out[rel] = append(out[rel], calls...)
		}
	}
	return out
}

// TestDaggerCallFlagsExistInModule checks every documented `dagger call` line against the module's Go sources:
// constructor flags against `func New(` in ci/main.go, each function and its flags against its method.
func TestDaggerCallFlagsExistInModule(t *testing.T) {
	api, err := parseModuleAPI(moduleSources(t))
	if err != nil {
		t.Fatalf("ci/: %v", err)
	}
	if api.constructor == nil {
		t.Error("ci/main.go declares no `func New(`: the README's constructor flags (--env, --region, the AWS credentials, …) are parameters of nothing")
	}
	all := documentedCalls(t)
	count := 0
	for _, where := range sortedKeys(all) {
		for _, c := range all[where] {
			count++
			for _, p := range checkAgainstAPI(c, api) {
				t.Errorf("%s: %q: %s", where, c.Raw, p)
			}
		}
	}
	if count < 8 {
		t.Errorf("found only %d documented `dagger call` lines; the search is broken", count)
	}
}

// TestModuleAPIRule exercises the reading of the module and the check on a fixture.
func TestModuleAPIRule(t *testing.T) {
	src := map[string]string{
		"main.go": `package main
import "context"
type Bookme struct{}
func New(
	// +defaultPath="/"
	source *Directory,
	env string,
	awsAccessKeyId *Secret,
) *Bookme { return &Bookme{} }
func (m *Bookme) WithProviderMirror(dir *Directory) *Bookme { return m }
func (m *Bookme) Deploy(ctx context.Context, sourceUrl string, runUrl string, arm64 bool) (string, error) { return "", nil }
func (m Bookme) DryRunArtifacts(gitSha string) *Directory { return nil }
func (m *Bookme) helper(x string) {}
func New2(y string) {}
`,
		"other.go": `package main
func New(notTheConstructor string) {}
`,
	}
	api, err := parseModuleAPI(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sortedKeys(api.constructor), ","); got != "aws-access-key-id,env,source" {
		t.Errorf("constructor = %s, want aws-access-key-id,env,source (only New of main.go)", got)
	}
	if got := strings.Join(sortedKeys(api.functions), ","); got != "deploy,dry-run-artifacts,with-provider-mirror" {
		t.Errorf("functions = %s", got)
	}
	if got := strings.Join(sortedKeys(api.functions["deploy"]), ","); got != "arm64,run-url,source-url" {
		t.Errorf("deploy's parameters = %s (no ctx)", got)
	}
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{"dagger call --env e --aws-access-key-id env:K deploy --source-url u --arm64", true},
		{"dagger call with-provider-mirror --dir /m dry-run-artifacts --git-sha abc export --path out", true},
		{"dagger call --source . --env e with-provider-mirror --dir /m deploy --run-url u", true},
		{"dagger call deploy --env e", false},                        // a constructor flag after the verb
		{"dagger call --source-url u deploy", false},                 // a verb flag before the function name
		{"dagger call --region r deploy", false},                     // not a constructor parameter
		{"dagger call with-provider-mirror --path /m deploy", false}, // not a parameter of the chain step
		{"dagger call with-cache --dir /m deploy", false},            // no such chain step
		{"dagger call helper --x 1", false},                          // unexported
		{"dagger call dry-run", false},                               // no such function
		{"dagger call --not-the-constructor x deploy", false},        // New of another file is no constructor
	} {
		calls, err := extractDaggerCalls(c.line)
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		problems := checkAgainstAPI(calls[0], api)
		if c.ok && len(problems) > 0 {
			t.Errorf("%s: want no problems, got %v", c.line, problems)
		}
		if !c.ok && len(problems) == 0 {
			t.Errorf("%s: want a problem, got none", c.line)
		}
	}
	if _, err := parseModuleAPI(map[string]string{"main.go": "package main\ntype Bookme struct{}\n"}); err != nil {
		t.Fatal(err)
	}
	noNew, _ := parseModuleAPI(map[string]string{"main.go": "package main\ntype Bookme struct{}\n"})
	calls, _ := extractDaggerCalls("dagger call --env e deploy")
	if p := checkAgainstAPI(calls[0], noNew); len(p) == 0 {
		t.Error("constructor flags with no `func New(`: want a problem")
	}
	for in, want := range map[string]string{"awsAccessKeyId": "aws-access-key-id", "gitSha": "git-sha", "DryRunArtifacts": "dry-run-artifacts",
		"arm64": "arm64", "BuildApi": "build-api", "WithProviderMirror": "with-provider-mirror", "keepReleases": "keep-releases", "APIUrl": "api-url"} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestDocsShowTheWorkflowsLines keeps the copies of the workflows' lines in docs/github-actions.md exact.
func TestDocsShowTheWorkflowsLines(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "github-actions.md"))
	if err != nil {
		t.Fatal(err)
	}
	docLines := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		docLines[strings.TrimSpace(l)] = true
	}
	for _, c := range workflowCalls(t, loadWorkflows(t)) {
		if c.Function == "check" {
			continue
		}
		if !docLines[c.Raw] {
			t.Errorf("docs/github-actions.md does not show %s's line as it is:\n%s", c.file, c.Raw)
		}
	}
}
