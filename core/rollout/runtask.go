package rollout

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/redact"
)

// TaskResult is what one one-off task (a Before task or the migration) did.
type TaskResult struct {
	// Name is the one-off's name ("db-bootstrap"); empty for the migration (its JSON field names it).
	Name           string `json:"name,omitempty"`
	TaskARN        string `json:"taskArn"`
	TaskDefinition string `json:"taskDefinition"`
	// ExitCode of the application container; nil when it never ran.
	ExitCode      *int32        `json:"exitCode,omitempty"`
	StopCode      string        `json:"stopCode,omitempty"`
	StoppedReason string        `json:"stoppedReason,omitempty"`
	Duration      time.Duration `json:"duration"`
	// LogLines are the container's last log lines (kept on failure).
	LogLines []string `json:"logLines,omitempty"`
	// Cancelled is set when the deploy was cancelled while the task ran: StopTask was sent
	// (Stopped) or could not be (StopError: the task may still be running).
	Cancelled bool   `json:"cancelled,omitempty"`
	Stopped   bool   `json:"stopped,omitempty"`
	StopError string `json:"stopError,omitempty"`
}

// CancelledReason is the StopTask reason of a one-off task stopped because the deploy was cancelled.
const CancelledReason = "bookme-deploy: cancelled"

// stopTimeout bounds the StopTask of a cancelled deploy's task (the deploy's ctx is cancelled: the
// stop runs on a context of its own).
var stopTimeout = 30 * time.Second

// stopStartedBy stops, after a cancelled RunTask, any task of the cluster that r's startedBy names
// (ECS may have started it with its answer lost), on a fresh context bounded by stopTimeout.
func (e *Engine) stopStartedBy(ctx context.Context, cluster string, r oneOffRun) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	lt, err := e.ECS.ListTasks(sctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(r.startedBy),
		DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil {
		return fmt.Errorf("rollout: cancelled while starting the %s task, and the cluster's tasks could not be listed (%v): a task started by %s may be running; check with aws ecs list-tasks --cluster %s --started-by %s; no service was changed: %w",
			r.label, explain(err, "list tasks"), r.startedBy, cluster, r.startedBy, context.Cause(ctx))
	}
	var stopped, failed []string
	for _, arn := range lt.TaskArns {
		if _, err := e.ECS.StopTask(sctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn),
			Reason: aws.String(CancelledReason)}); err != nil {
			failed = append(failed, lastSegment(arn)+" ("+explain(err, "stop task").Error()+")")
			continue
		}
		stopped = append(stopped, lastSegment(arn))
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("rollout: cancelled while starting the %s task; could NOT stop %s (stopped: %s): stop them by hand; no service was changed: %w",
			r.label, strings.Join(failed, ", "), orNothing(stopped), context.Cause(ctx))
	case len(stopped) > 0:
		return fmt.Errorf("rollout: cancelled while starting the %s task: stopped %s (StopTask, reason %q); no service was changed: %w",
			r.label, strings.Join(stopped, ", "), CancelledReason, context.Cause(ctx))
	}
	return fmt.Errorf("rollout: cancelled before the %s task started (no task of %s runs); no service was changed: %w",
		r.label, r.startedBy, context.Cause(ctx))
}

func orNothing(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// stopCancelled stops a one-off task whose deploy was cancelled (ctx is done), on a fresh context
// bounded by stopTimeout, and returns the error that says truthfully what became of it.
func (e *Engine) stopCancelled(ctx context.Context, cluster string, r oneOffRun, res *TaskResult) error {
	res.Cancelled = true
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	arn := res.TaskARN
	_, err := e.ECS.StopTask(sctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn),
		Reason: aws.String(CancelledReason)})
	if err != nil {
		res.StopError = explain(err, "stop the "+r.label+" task").Error()
		e.printf("%s: cancelled; StopTask of %s failed: %s\n", r.prefix, lastSegment(arn), res.StopError)
		return fmt.Errorf("rollout: cancelled while the %s task %s ran, and it could NOT be stopped (%s): it may still be running; stop it by hand: aws ecs stop-task --cluster %s --task %s; no service was changed: %w",
			r.label, lastSegment(arn), res.StopError, cluster, arn, context.Cause(ctx))
	}
	res.Stopped = true
	e.printf("%s: cancelled; stopped task %s (StopTask, reason %q)\n", r.prefix, lastSegment(arn), CancelledReason)
	return fmt.Errorf("rollout: cancelled while the %s task %s ran: stopped it (StopTask, reason %q), so it may have done part of its work; no service was changed: %w",
		r.label, lastSegment(arn), CancelledReason, context.Cause(ctx))
}

// MigrationResult is the migration task's TaskResult (the name Migrate and Result.Migration have
// always used).
type MigrationResult = TaskResult

// Text is the one-paragraph account of the task.
func (r *TaskResult) Text() string {
	if r == nil {
		return "migration: skipped\n"
	}
	name := r.Name
	if name == "" {
		name = "migration"
	}
	code := "none (never ran)"
	if r.ExitCode != nil {
		code = fmt.Sprint(*r.ExitCode)
	}
	s := fmt.Sprintf("%s: task %s of %s stopped after %s, exit code %s", name, lastSegment(r.TaskARN), shortTD(r.TaskDefinition),
		r.Duration.Round(time.Second), code)
	if r.StoppedReason != "" {
		s += ", reason: " + r.StoppedReason
	}
	s += "\n"
	for _, l := range r.LogLines {
		s += "  | " + l + "\n"
	}
	return s
}

func (r *TaskResult) succeeded() bool { return r != nil && r.ExitCode != nil && *r.ExitCode == 0 }

// oneOffRun is one RunTask of runOneOff.
type oneOffRun struct {
	// name is TaskResult.Name (empty for the migration); label names the task in errors ("migration",
	// "db-bootstrap"); prefix starts its progress lines ("migrate", "db-bootstrap").
	name, label, prefix string
	td, startedBy       string
	command             []string
	env                 map[string]string
	network             TaskNetwork
	// onFailure ends every failure message: what did not happen because of it.
	onFailure string
	// onPoll, when set, is called with the task's ARN after every DescribeTasks of the wait (the
	// `run` verb streams the task's log lines from there).
	onPoll func(ctx context.Context, taskARN string)
}

// runOneOff starts one Fargate task of r.td in the plan's cluster with the command (and environment)
// override on the application container, waits for it to stop (poll interval and timeout from the
// plan's Settings; a task still running at the timeout is stopped) and returns an error unless the
// container exited 0. A failure's error carries the container's last log lines.
func (e *Engine) runOneOff(ctx context.Context, p *Plan, r oneOffRun) (*TaskResult, error) {
	st, nw := p.Settings, r.network
	if r.td == "" {
		return nil, fmt.Errorf("rollout: %s has no registered revision (was the plan registered?); %s", r.label, r.onFailure)
	}
	co := ecstypes.ContainerOverride{Name: aws.String(p.Container), Command: r.command}
	for _, k := range slices.Sorted(maps.Keys(r.env)) {
		co.Environment = append(co.Environment, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(r.env[k])})
	}
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(p.Cluster),
		TaskDefinition: aws.String(r.td),
		Count:          aws.Int32(1),
		StartedBy:      aws.String(r.startedBy),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: nw.Subnets, SecurityGroups: nw.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIp(nw.AssignPublicIP)}},
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{co}},
	}
	if len(nw.CapacityProviderStrategy) > 0 {
		in.CapacityProviderStrategy = nw.CapacityProviderStrategy
	} else {
		in.LaunchType = ecstypes.LaunchTypeFargate
	}
	if nw.PlatformVersion != "" {
		in.PlatformVersion = aws.String(nw.PlatformVersion)
	}
	clk := e.clock()
	start := clk.Now()
	out, err := e.ECS.RunTask(ctx, in)
	if err != nil && ctx.Err() != nil {
		// Cancelled during RunTask: ECS may have started the task with the answer lost.
		return nil, e.stopStartedBy(ctx, p.Cluster, r)
	}
	if err != nil {
		return nil, fmt.Errorf("%w; %s", explain(err, "run the "+r.label+" task"), r.onFailure)
	}
	if len(out.Tasks) == 0 {
		var why []string
		for _, f := range out.Failures {
			why = append(why, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
		}
		return nil, fmt.Errorf("rollout: %s task was not started (%s); %s", r.label, strings.Join(why, "; "), r.onFailure)
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	res := &TaskResult{Name: r.name, TaskARN: arn, TaskDefinition: r.td}
	e.printf("%s: started task %s (%s) with %q%s\n", r.prefix, lastSegment(arn), shortTD(r.td), strings.Join(r.command, " "), envNames(r.env))
	last := ""
	for {
		if err := clk.Sleep(ctx, st.PollInterval); err != nil {
			if ctx.Err() != nil {
				return res, e.stopCancelled(ctx, p.Cluster, r, res)
			}
			return res, err
		}
		dt, err := e.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(p.Cluster), Tasks: []string{arn}})
		if err != nil {
			if ctx.Err() != nil {
				return res, e.stopCancelled(ctx, p.Cluster, r, res)
			}
			return res, fmt.Errorf("%w; %s", explain(err, "describe the "+r.label+" task"), r.onFailure)
		}
		res.Duration = clk.Now().Sub(start)
		if len(dt.Tasks) == 0 {
			return res, fmt.Errorf("rollout: %s task %s disappeared; %s", r.label, lastSegment(arn), r.onFailure)
		}
		t := dt.Tasks[0]
		if s := aws.ToString(t.LastStatus); s != last {
			e.printf("%s: task %s %s (%s)\n", r.prefix, lastSegment(arn), s, res.Duration.Round(time.Second))
			last = s
		}
		if r.onPoll != nil {
			r.onPoll(ctx, arn)
		}
		if aws.ToString(t.LastStatus) != "STOPPED" {
			if res.Duration > st.Timeout {
				_, _ = e.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(p.Cluster), Task: aws.String(arn),
					Reason: aws.String("bookme-deploy: " + r.label + " timed out")})
				res.LogLines = e.lastLogLines(ctx, r.td, arn, p.Container, st.LogLines)
				return res, fmt.Errorf("rollout: %s task %s still %s after %s (stopped it); %s%s",
					r.label, lastSegment(arn), last, st.Timeout, r.onFailure, logTail(res.LogLines))
			}
			continue
		}
		red := redact.From(ctx)
		res.StopCode, res.StoppedReason = string(t.StopCode), red.String(aws.ToString(t.StoppedReason))
		var c *ecstypes.Container
		for i := range t.Containers {
			if aws.ToString(t.Containers[i].Name) == p.Container {
				c = &t.Containers[i]
			}
		}
		if c != nil {
			res.ExitCode = c.ExitCode
			if why := red.String(aws.ToString(c.Reason)); why != "" && res.StoppedReason == "" {
				res.StoppedReason = why
			}
		}
		if res.ExitCode != nil && *res.ExitCode == 0 {
			e.printf("%s: succeeded in %s\n", r.prefix, res.Duration.Round(time.Second))
			return res, nil
		}
		res.LogLines = e.lastLogLines(ctx, r.td, arn, p.Container, st.LogLines)
		if res.ExitCode == nil {
			return res, fmt.Errorf("rollout: %s task %s never ran (%s: %s); %s%s",
				r.label, lastSegment(arn), res.StopCode, res.StoppedReason, r.onFailure, logTail(res.LogLines))
		}
		return res, fmt.Errorf("rollout: %s failed: container %s exited %d (%s); %s%s",
			r.label, p.Container, *res.ExitCode, res.StoppedReason, r.onFailure, logTail(res.LogLines))
	}
}

func logTail(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return "; last log lines:\n  | " + strings.Join(lines, "\n  | ")
}
