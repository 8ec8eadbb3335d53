package infra

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"bookme-deploy/core/envfile"
	"bookme-deploy/core/rollout"
	"bookme-deploy/core/stack"
)

// infraDir is the infra/ directory of this repository.
func infraDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "infra"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("infra/ not found at %s: %v", dir, err)
	}
	return dir
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var outputRE = regexp.MustCompile(`(?m)^output "([a-z0-9_]+)"`)

func declaredOutputs(t *testing.T, stackName string) []string {
	src := read(t, filepath.Join(infraDir(t), "stacks", stackName, "outputs.tf"))
	var names []string
	for _, m := range outputRE.FindAllStringSubmatch(src, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names
}

func taggedOutputs(v any) []string {
	var names []string
	rt := reflect.TypeOf(v)
	for i := 0; i < rt.NumField(); i++ {
		if tag := rt.Field(i).Tag.Get("output"); tag != "" {
			name, _, _ := strings.Cut(tag, ",")
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// The outputs each stack declares are exactly the outputs core/stack reads: renaming one on
// either side breaks this test instead of a deploy.
func TestOutputsMatchGoContract(t *testing.T) {
	for name, v := range map[string]any{
		stack.StackBase: stack.Base{}, stack.StackBackend: stack.Backend{}, stack.StackFrontend: stack.Frontend{},
	} {
		got, want := declaredOutputs(t, name), taggedOutputs(v)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("stack %s: outputs.tf declares %v\ncore/stack reads %v", name, got, want)
		}
	}
}

var variableRE = regexp.MustCompile(`(?m)^variable "([a-z0-9_]+)"`)

// Every input the pipeline passes from base to backend is a declared backend variable.
func TestBackendVarsAreDeclared(t *testing.T) {
	src := read(t, filepath.Join(infraDir(t), "stacks", "backend", "variables.tf"))
	declared := map[string]bool{}
	for _, m := range variableRE.FindAllStringSubmatch(src, -1) {
		declared[m[1]] = true
	}
	for k := range (&stack.Base{}).BackendVars() {
		if !declared[k] {
			t.Errorf("Base.BackendVars passes %q, which infra/stacks/backend does not declare", k)
		}
	}
}

// The environment variables file is the same in every stack, so one <env>.tfvars serves all.
func TestEnvironmentVariablesIdentical(t *testing.T) {
	dir := infraDir(t)
	base := read(t, filepath.Join(dir, "stacks", "base", "variables-environment.tf"))
	for _, s := range []string{"backend", "frontend"} {
		if got := read(t, filepath.Join(dir, "stacks", s, "variables-environment.tf")); got != base {
			t.Errorf("stacks/%s/variables-environment.tf differs from stacks/base's copy", s)
		}
	}
}

var blockRE = regexp.MustCompile(`(?ms)^variable "([a-z0-9_]+)" \{\n(.*?)^\}`)

// Every module has the four files, and every variable a description and a type.
func TestModulesAreComplete(t *testing.T) {
	dir := infraDir(t)
	mods, err := os.ReadDir(filepath.Join(dir, "modules"))
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, m := range mods {
		if !m.IsDir() || m.Name() == "ci-access" { // ci-access belongs to another change
			continue
		}
		count++
		for _, f := range []string{"main.tf", "variables.tf", "outputs.tf", "versions.tf"} {
			if _, err := os.Stat(filepath.Join(dir, "modules", m.Name(), f)); err != nil {
				t.Errorf("module %s has no %s", m.Name(), f)
			}
		}
		checkVariables(t, filepath.Join(dir, "modules", m.Name(), "variables.tf"))
	}
	if count < 13 {
		t.Errorf("found %d modules, want at least 13", count)
	}
	for _, s := range []string{"base", "backend", "frontend"} {
		checkVariables(t, filepath.Join(dir, "stacks", s, "variables.tf"))
		checkVariables(t, filepath.Join(dir, "stacks", s, "variables-environment.tf"))
	}
}

func checkVariables(t *testing.T, path string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		return // reported by the caller
	}
	blocks := blockRE.FindAllStringSubmatch(string(src), -1)
	if len(blocks) == 0 {
		t.Errorf("%s: no variable blocks found", path)
	}
	for _, m := range blocks {
		if !strings.Contains(m[2], "description") || !strings.Contains(m[2], "type ") {
			t.Errorf("%s: variable %s lacks a description or a type", path, m[1])
		}
	}
}

// Each environment has the shared var file and one per stack; no lock file made from the local
// provider build is committed.
func TestEnvironmentsAndNoLockFile(t *testing.T) {
	dir := infraDir(t)
	for _, env := range []string{"production", "staging"} {
		for _, s := range []string{stack.StackBase, stack.StackBackend, stack.StackFrontend} {
			files, err := stack.VarFiles(dir, env, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2 {
				t.Errorf("%s/%s: var files %v, want the shared one and the stack's", env, s, files)
			}
		}
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == ".terraform.lock.hcl" {
			t.Errorf("%s is committed: a lock file from the local provider build must not be (see infra/README.md)", path)
		}
		return nil
	})
}

// The backend stack does not depend on the commit: no image tag or commit variable, and the task
// definitions it registers are templates marked with the tag core/rollout recognises, so a release
// renders from them and a roll-back never returns to one.
func TestBackendTaskDefinitionsAreTemplates(t *testing.T) {
	dir := infraDir(t)
	src := read(t, filepath.Join(dir, "stacks", "backend", "variables.tf"))
	for _, m := range variableRE.FindAllStringSubmatch(src, -1) {
		for _, bad := range []string{"image_tag", "git_sha", "commit", "image"} {
			if m[1] == bad {
				t.Errorf("infra/stacks/backend declares variable %q: the stack must not depend on the commit", m[1])
			}
		}
	}
	task := read(t, filepath.Join(dir, "modules", "ecs-task", "main.tf"))
	if want := `tags = { "` + rollout.TemplateTag + `" = "true" }`; !strings.Contains(task, want) {
		t.Errorf("modules/ecs-task/main.tf does not mark its revisions as templates (%s)", want)
	}
	main := read(t, filepath.Join(dir, "stacks", "backend", "main.tf"))
	if !strings.Contains(main, `template_image = "${var.ecr_repository_url}:opentofu-template"`) {
		t.Error("stacks/backend/main.tf: the template image is not the fixed placeholder <ecr_repository_url>:opentofu-template")
	}
	tasks := read(t, filepath.Join(dir, "stacks", "backend", "tasks.tf"))
	if n := strings.Count(tasks, "image                      = local.template_image"); n != 4 {
		t.Errorf("stacks/backend/tasks.tf: %d of 4 task definitions use the template image", n)
	}
	outputs := read(t, filepath.Join(dir, "stacks", "backend", "outputs.tf"))
	for _, k := range []string{stack.TemplateAPI, stack.TemplateWorker, stack.TemplateMigrate, stack.TemplateShell} {
		if !regexp.MustCompile(`(?m)^\s+` + k + `\s+= module\.` + k + `_task\.arn$`).MatchString(outputs) {
			t.Errorf("output task_definition_templates lacks %s = module.%s_task.arn", k, k)
		}
	}
}

// Each release's revisions reference the release's own env file (core/envfile.ReleaseKey, under
// service-config/api/<env>/): every task family's execution role may read them.
func TestExecutionRolesReadReleaseEnvFiles(t *testing.T) {
	dir := infraDir(t)
	main := read(t, filepath.Join(dir, "stacks", "backend", "main.tf"))
	if !strings.Contains(main, `release_env_files  = [{ bucket = var.config_bucket, key = "${local.release_env_prefix}*.env" }]`) {
		t.Fatal("stacks/backend/main.tf: no local release_env_files naming the config bucket and the prefix")
	}
	m := regexp.MustCompile(`release_env_prefix\s+= coalesce\(var\.release_env_prefix, "([^"]+)"\)`).FindStringSubmatch(main)
	if m == nil {
		t.Fatal("stacks/backend/main.tf: no local release_env_prefix defaulting to the environment's")
	}
	// The stack's default for environment "staging", and what the pipeline passes (backend variable
	// release_env_prefix) for its environment "production", whose stack environment is "prod".
	for env, prefix := range map[string]string{"staging": strings.ReplaceAll(m[1], "${var.environment}", "staging"),
		"production": envfile.ReleasePrefix("production")} {
		pattern := prefix + "*.env"
		key := envfile.ReleaseKey(env, strings.Repeat("ab", 32))
		if ok, err := filepath.Match(pattern, key); err != nil || !ok {
			t.Errorf("the execution roles may read %s, not a release's env file %s", pattern, key)
		}
		other := map[string]string{"staging": "production", "production": "staging"}[env]
		if ok, _ := filepath.Match(pattern, envfile.ReleaseKey(other, strings.Repeat("cd", 32))); ok {
			t.Errorf("%s also grants %s's env files", pattern, other)
		}
	}
	tasks := read(t, filepath.Join(dir, "stacks", "backend", "tasks.tf"))
	if n := strings.Count(tasks, "environment_file_patterns  = local.release_env_files"); n != 4 {
		t.Errorf("stacks/backend/tasks.tf: %d of 4 task definitions let their execution role read the release env files", n)
	}
	iam := read(t, filepath.Join(dir, "modules", "ecs-task", "iam.tf"))
	if !strings.Contains(iam, `readable_env_files = concat(var.environment_files, var.environment_file_patterns)`) ||
		!strings.Contains(iam, `resources = [for f in local.readable_env_files : "arn:aws:s3:::${f.bucket}/${f.key}"]`) {
		t.Error("modules/ecs-task/iam.tf: the execution role's EnvironmentFiles statement does not cover environment_file_patterns")
	}
}
