// Package shell keeps the Dagger module (ci/) a thin shell: its size, its functions' length and
// arity, and where the emulated account may be named. It parses ci/*.go (the generated bindings
// excluded); no engine needed.
package shell

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	maxLines      = 1640 // 1 199 after the re-cut (issue 13); issues 14–16 added run, logs, exec, the config file, redaction, the release rehearsal, the emulated account as constructor flags (the workflow lines' test) and tool containers' renewed credentials, recover
	maxBodyLines  = 60
	maxParameters = 12
	// maxConstructorParameters: New takes every shared flag (where, which account, how to reach it).
	maxConstructorParameters = 15
)

type file struct {
	name string
	src  []byte
	ast  *ast.File
}

func shellFiles(t *testing.T) ([]file, *token.FileSet) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "ci", "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no ci/*.go found (%v)", err)
	}
	fset := token.NewFileSet()
	var files []file
	for _, p := range paths {
		if filepath.Base(p) == "dagger.gen.go" {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, p, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, file{name: filepath.Base(p), src: src, ast: f})
	}
	return files, fset
}

func TestShellIsSmall(t *testing.T) {
	files, _ := shellFiles(t)
	total := 0
	for _, f := range files {
		total += strings.Count(string(f.src), "\n")
	}
	if total > maxLines {
		t.Errorf("ci/ has %d hand-written lines, more than %d: move decisions into core/", total, maxLines)
	}
	t.Logf("ci/: %d hand-written lines in %d files", total, len(files))
}

func TestShellFunctionsAreShort(t *testing.T) {
	files, fset := shellFiles(t)
	for _, f := range files {
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			body := fset.Position(fn.Body.Rbrace).Line - fset.Position(fn.Body.Lbrace).Line - 1
			if body > maxBodyLines {
				t.Errorf("%s: %s has a %d-line body (at most %d)", f.name, fn.Name.Name, body, maxBodyLines)
			}
			params := 0
			for _, p := range fn.Type.Params.List {
				n := len(p.Names)
				if n == 0 {
					n = 1
				}
				params += n
			}
			if sel, ok := firstParamType(fn); ok && sel == "context.Context" {
				params-- // the context is not an argument a user gives
			}
			limit := maxParameters
			if fn.Name.Name == "New" && fn.Recv == nil {
				limit = maxConstructorParameters
			}
			if params > limit {
				t.Errorf("%s: %s takes %d parameters (at most %d)", f.name, fn.Name.Name, params, limit)
			}
		}
	}
}

func firstParamType(fn *ast.FuncDecl) (string, bool) {
	if len(fn.Type.Params.List) == 0 {
		return "", false
	}
	if s, ok := fn.Type.Params.List[0].Type.(*ast.SelectorExpr); ok {
		if x, ok := s.X.(*ast.Ident); ok {
			return x.Name + "." + s.Sel.Name, true
		}
	}
	return "", false
}

// The emulated account is an adapter: one file of the module may know of it.
func TestEmulatorIsNamedInOneFile(t *testing.T) {
	files, _ := shellFiles(t)
	var naming []string
	for _, f := range files {
		for _, imp := range f.ast.Imports {
			if strings.HasPrefix(strings.Trim(imp.Path.Value, `"`), "bookme-deploy/core/emulator") {
				naming = append(naming, f.name)
				break
			}
		}
	}
	if len(naming) > 1 {
		t.Errorf("the emulator is imported by %d ci/ files (%v): at most one", len(naming), naming)
	}
	for _, f := range files {
		src := string(f.src)
		if f.name == "main.go" {
			src = withoutFlagDeclarations(t, f)
		}
		if f.name != "emulator.go" && strings.Contains(strings.ToLower(src), "emulated") {
			t.Errorf("%s mentions the emulated account: keep it in ci/emulator.go (main.go: only as the constructor's flag)", f.name)
		}
	}
}

// withoutFlagDeclarations is main.go without the Bookme struct and New (the constructor), where the
// --emulated-account flags are declared and stored (their doc comments included).
func withoutFlagDeclarations(t *testing.T, f file) string {
	t.Helper()
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, f.name, f.src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	src := []byte(string(f.src))
	blank := func(from, to token.Pos) {
		for i := fset.Position(from).Offset; i < fset.Position(to).Offset; i++ {
			if src[i] != '\n' {
				src[i] = ' '
			}
		}
	}
	for _, d := range af.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.Name == "New" && d.Recv == nil {
				blank(d.Pos(), d.End())
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				if ts, ok := sp.(*ast.TypeSpec); ok && ts.Name.Name == "Bookme" {
					blank(ts.Pos(), ts.End())
				}
			}
		}
	}
	return string(src)
}

// The committed bindings (ci/dagger.gen.go, from `cd ci && dagger develop`) dispatch every function
// of the module: a function added without regenerating them is missing there, and `go build` with no
// engine would not know it.
func TestBindingsDispatchEveryFunction(t *testing.T) {
	files, _ := shellFiles(t)
	gen, err := os.ReadFile(filepath.Join("..", "..", "ci", "dagger.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || len(fn.Recv.List) != 1 {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			if id, isIdent := star.X.(*ast.Ident); !isIdent || id.Name != "Bookme" {
				continue
			}
			n++
			if !strings.Contains(string(gen), `case "`+fn.Name.Name+`":`) {
				t.Errorf("%s: function %s is not in ci/dagger.gen.go: regenerate the bindings (cd ci && dagger develop)", f.name, fn.Name.Name)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d functions of *Bookme in ci/*.go", n)
	}
}
