package infra

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// moduleBlock is the body of `module "name" { … }` in src (up to the closing brace at column 0).
func moduleBlock(t *testing.T, src, name string) string {
	t.Helper()
	start := strings.Index(src, `module "`+name+`" {`)
	if start < 0 {
		t.Fatalf("no module %q", name)
	}
	end := strings.Index(src[start:], "\n}\n")
	if end < 0 {
		t.Fatalf("module %q is not closed", name)
	}
	return src[start : start+end]
}

// ECS Exec (the `exec` verb, core/deploy/exec.go): the services named in ecs_exec_services — the
// API by default — have enable_execute_command, and the task definition of each such service
// grants its task role the ssmmessages channels, decided by the same expression, so a service never
// accepts sessions its tasks cannot open. The shell task keeps its rights whatever the variable says.
func TestECSExecEnabledForTheAPI(t *testing.T) {
	dir := infraDir(t)
	vars := read(t, filepath.Join(dir, "stacks", "backend", "variables.tf"))
	if !regexp.MustCompile(`(?s)variable "ecs_exec_services" \{.*?default\s+= \["api"\]`).MatchString(vars) {
		t.Error(`stacks/backend/variables.tf: no variable ecs_exec_services defaulting to ["api"]`)
	}
	services := read(t, filepath.Join(dir, "stacks", "backend", "services.tf"))
	tasks := read(t, filepath.Join(dir, "stacks", "backend", "tasks.tf"))
	for _, role := range []string{"api", "worker"} {
		want := `enable_execute_command     = contains(var.ecs_exec_services, "` + role + `")`
		if !strings.Contains(moduleBlock(t, services, role+"_service"), want) {
			t.Errorf("services.tf: module %s_service lacks %s", role, want)
		}
		if !strings.Contains(moduleBlock(t, tasks, role+"_task"), want) {
			t.Errorf("tasks.tf: module %s_task lacks %s (its task role would not grant ssmmessages)", role, want)
		}
	}
	if !strings.Contains(moduleBlock(t, tasks, "shell_task"), "enable_execute_command     = true") {
		t.Error("tasks.tf: the shell task lost its ECS Exec rights")
	}
	for _, m := range []string{"migrate_task"} {
		if strings.Contains(moduleBlock(t, tasks, m), "enable_execute_command") {
			t.Errorf("tasks.tf: %s has ECS Exec rights it does not need", m)
		}
	}
	svc := read(t, filepath.Join(dir, "modules", "ecs-service", "main.tf"))
	if !strings.Contains(svc, "enable_execute_command  = var.enable_execute_command") {
		t.Error("modules/ecs-service/main.tf does not pass enable_execute_command to the service")
	}
	iam := read(t, filepath.Join(dir, "modules", "ecs-task", "iam.tf"))
	if !strings.Contains(iam, "for_each = var.enable_execute_command ? [1] : []") {
		t.Error("modules/ecs-task/iam.tf: the ssmmessages statement does not follow enable_execute_command")
	}
	for _, a := range []string{"CreateControlChannel", "CreateDataChannel", "OpenControlChannel", "OpenDataChannel"} {
		if !strings.Contains(iam, `"ssmmessages:`+a+`"`) {
			t.Errorf("modules/ecs-task/iam.tf: the task role lacks ssmmessages:%s", a)
		}
	}
}
