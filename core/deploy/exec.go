package deploy

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/rollout"
)

// The `exec` verb: where ECS Exec is enabled on a service, the exact `aws ecs execute-command` line
// that opens a session in one of its running tasks. It reads ECS only and changes nothing: its
// output is its plan. (The session itself needs the AWS CLI with the Session Manager plugin, and a
// terminal: that is the operator's, not the pipeline's.)

// DefaultExecCommand is the command an exec session runs.
const DefaultExecCommand = "/bin/sh"

// ExecOptions says where to open a session.
type ExecOptions struct {
	// Service is "api" (default) or "worker".
	Service string
	// Container in the task (default: the site's application container).
	Container string
	// Command the session runs (default DefaultExecCommand).
	Command string
	// Task is a task id to use; default the newest running task that can be exec'd into.
	Task string
}

// ExecPlan is the session the line opens.
type ExecPlan struct {
	Region    string `json:"region,omitempty"`
	Cluster   string `json:"cluster"`
	Service   string `json:"service"`
	Task      string `json:"task"`
	Container string `json:"container"`
	Command   string `json:"command"`
	// Line is the AWS CLI command line.
	Line string `json:"line"`
}

// ExecLine is the `aws ecs execute-command` line, each value quoted for a POSIX shell.
func ExecLine(region, cluster, task, container, command string) string {
	argv := []string{"aws", "ecs", "execute-command"}
	if region != "" {
		argv = append(argv, "--region", region)
	}
	argv = append(argv, "--cluster", cluster, "--task", task, "--container", container, "--interactive", "--command", command)
	return QuoteArgv(argv)
}

// Exec is the `exec` verb: the line, newline-terminated.
func Exec(ctx context.Context, p Ports, s Site, o ExecOptions) (string, error) {
	ep, err := PlanExec(ctx, p, s, o)
	if err != nil {
		return "", err
	}
	return ep.Line + "\n", nil
}

// PlanExec checks that ECS Exec is enabled on the service and picks the task (reads only).
func PlanExec(ctx context.Context, p Ports, s Site, o ExecOptions) (*ExecPlan, error) {
	name, err := s.serviceNamed(o.Service)
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	command := strings.TrimSpace(o.Command)
	if command == "" {
		command = DefaultExecCommand
	}
	eng := rollout.New(p.AWS, io.Discard, p.RolloutOptions...)
	svc, err := describeService(ctx, eng.ECS, s.Cluster, name)
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	if !svc.EnableExecuteCommand {
		role := "api"
		if name != s.APIService {
			role = "worker"
		}
		return nil, fmt.Errorf("exec: ECS Exec is not enabled on service %s: add %q to ecs_exec_services of infra/stacks/backend "+
			"(infra/environments/<env>.backend.tfvars), which sets enable_execute_command = true on the service and grants its task role "+
			"ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel; apply the backend stack, "+
			"then start new tasks (the next deploy, or aws ecs update-service --cluster %s --service %s --force-new-deployment): "+
			"only tasks started after that accept a session", name, role, s.Cluster, name)
	}
	tasks, err := runningTasks(ctx, eng.ECS, s.Cluster, name)
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	if len(tasks) == 0 {
		return nil, fmt.Errorf("exec: service %s has no running task", name)
	}
	container := strings.TrimSpace(o.Container)
	if container == "" {
		container = s.APIContainer
	}
	var ok []ecstypes.Task
	for _, t := range tasks {
		if o.Task != "" && taskID(aws.ToString(t.TaskArn)) != o.Task && aws.ToString(t.TaskArn) != o.Task {
			continue
		}
		if t.EnableExecuteCommand {
			ok = append(ok, t)
		}
	}
	if len(ok) == 0 {
		if o.Task != "" {
			return nil, fmt.Errorf("exec: task %s is not a running task of service %s that accepts ECS Exec (running: %s)", o.Task, name,
				strings.Join(taskIDs(tasks), ", "))
		}
		return nil, fmt.Errorf("exec: ECS Exec is enabled on service %s, but its %d running tasks were started before it was: "+
			"start new ones (aws ecs update-service --cluster %s --service %s --force-new-deployment, or the next deploy)",
			name, len(tasks), s.Cluster, name)
	}
	// The newest task first (the last deploy's); ties by id.
	sort.SliceStable(ok, func(i, j int) bool {
		a, b := aws.ToTime(ok[i].StartedAt), aws.ToTime(ok[j].StartedAt)
		if !a.Equal(b) {
			return a.After(b)
		}
		return aws.ToString(ok[i].TaskArn) < aws.ToString(ok[j].TaskArn)
	})
	t := ok[0]
	if container == "" && len(t.Containers) > 0 {
		container = aws.ToString(t.Containers[0].Name)
	}
	c := containerIn(t, container)
	if c == nil {
		var names []string
		for _, c := range t.Containers {
			names = append(names, aws.ToString(c.Name))
		}
		return nil, fmt.Errorf("exec: task %s has no container %q (it has %s)", taskID(aws.ToString(t.TaskArn)), container, strings.Join(names, ", "))
	}
	for _, a := range c.ManagedAgents {
		if a.Name == ecstypes.ManagedAgentNameExecuteCommandAgent && aws.ToString(a.LastStatus) != "RUNNING" {
			return nil, fmt.Errorf("exec: the ECS Exec agent of container %s in task %s is %s, not RUNNING: wait, or pick another task",
				container, taskID(aws.ToString(t.TaskArn)), aws.ToString(a.LastStatus))
		}
	}
	id := taskID(aws.ToString(t.TaskArn))
	return &ExecPlan{Region: p.AWS.Region, Cluster: s.Cluster, Service: name, Task: id, Container: container, Command: command,
		Line: ExecLine(p.AWS.Region, s.Cluster, id, container, command)}, nil
}

// runningTasks are the service's tasks whose last status is RUNNING.
func runningTasks(ctx context.Context, c *ecs.Client, cluster, service string) ([]ecstypes.Task, error) {
	var arns []string
	pages := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service),
		DesiredStatus: ecstypes.DesiredStatusRunning})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the tasks of service %s: %w", service, err)
		}
		arns = append(arns, page.TaskArns...)
	}
	var out []ecstypes.Task
	for len(arns) > 0 {
		n := min(len(arns), 100)
		dt, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns[:n]})
		if err != nil {
			return nil, fmt.Errorf("describe the tasks of service %s: %w", service, err)
		}
		for _, t := range dt.Tasks {
			if aws.ToString(t.LastStatus) == "RUNNING" {
				out = append(out, t)
			}
		}
		arns = arns[n:]
	}
	return out, nil
}

func containerIn(t ecstypes.Task, name string) *ecstypes.Container {
	for i := range t.Containers {
		if aws.ToString(t.Containers[i].Name) == name {
			return &t.Containers[i]
		}
	}
	return nil
}

func taskIDs(ts []ecstypes.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, taskID(aws.ToString(t.TaskArn)))
	}
	return out
}
