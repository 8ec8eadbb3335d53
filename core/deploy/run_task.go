package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/rollout"
)

// The `run` verb: one one-off task on the running release's shell task definition (the revision
// the release's DB bootstrap ran on; the API's running revision when no record names one), with
// the API service's network configuration, the revision's roles and env file, and the container's
// command overridden. It streams the task's log lines while it runs and returns the container's
// exit code. It runs through core/rollout's one-off runner, as the DB bootstrap and the migration.

// Defaults of RunOptions.
const (
	DefaultRunTimeout = time.Hour
	// RunStartedBy is the startedBy value of a `run` task (it tells it apart from service tasks).
	RunStartedBy = "bookme-deploy/run"
)

// dbBootstrapName is the one-off the deploy runs on the shell family (rollout.go); its record entry
// names the release's shell revision.
const dbBootstrapName = "db-bootstrap"

// RunOptions is what `run` runs.
type RunOptions struct {
	// Command overrides the container's command (SplitCommand turns a string into it).
	Command []string
	// DryRun returns the plan: nothing is started.
	DryRun bool
	// Timeout: a task still running after it is stopped (default DefaultRunTimeout).
	Timeout time.Duration
	// PollInterval between two looks at the task and its logs (default rollout.DefaultPollInterval).
	PollInterval time.Duration
	// Out receives progress and the task's log lines as they come (nil: Ports.Out; both nil: none).
	Out io.Writer
	// Clock tells the time and waits (rollout.WallClock when nil).
	Clock rollout.Clock
}

// RunPlan is the task `run` starts, exactly.
type RunPlan struct {
	Cluster string `json:"cluster"`
	// TaskDefinition is the revision the task runs; Source says why this one.
	TaskDefinition string `json:"taskDefinition"`
	Source         string `json:"source"`
	// Release is the deploy record of the release the services run ("" when none matches).
	Release   string   `json:"release,omitempty"`
	Container string   `json:"container"`
	Command   []string `json:"command"`
	StartedBy string   `json:"startedBy"`
	// Network is the API service's (NetworkService).
	NetworkService string              `json:"networkService"`
	Network        rollout.TaskNetwork `json:"network"`
	// TaskRole, ExecutionRole, Image and EnvFile are the revision's.
	TaskRole      string `json:"taskRole,omitempty"`
	ExecutionRole string `json:"executionRole,omitempty"`
	Image         string `json:"image,omitempty"`
	EnvFile       string `json:"envFile,omitempty"`
	// LogGroup and LogStreamPrefix locate the task's lines (its stream is the prefix + the task id);
	// empty when the container does not log with awslogs (LogProblem says why).
	LogGroup        string `json:"logGroup,omitempty"`
	LogStreamPrefix string `json:"logStreamPrefix,omitempty"`
	LogRegion       string `json:"logRegion,omitempty"`
	LogProblem      string `json:"logProblem,omitempty"`
	// Timeout: the task is stopped if still running then.
	Timeout time.Duration `json:"timeout"`
	// Notes say where the live state departs from the records (the fallback's reason).
	Notes []string `json:"notes,omitempty"`
}

// Text is the plan for people: everything RunTask will be given.
func (rp *RunPlan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run: one Fargate task in cluster %s, then wait for it to stop (at most %s) and stream its logs\n", rp.Cluster, rp.Timeout)
	fmt.Fprintf(&b, "  task definition  %s (%s)\n", shortRevision(rp.TaskDefinition), rp.Source)
	fmt.Fprintf(&b, "  container        %s, command overridden: %s\n", rp.Container, QuoteArgv(rp.Command))
	fmt.Fprintf(&b, "  network          the %s service's: subnets %s; security groups %s; public IP %s", rp.NetworkService,
		strings.Join(rp.Network.Subnets, ","), strings.Join(rp.Network.SecurityGroups, ","), rp.Network.AssignPublicIP)
	if rp.Network.PlatformVersion != "" {
		fmt.Fprintf(&b, "; platform %s", rp.Network.PlatformVersion)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  roles            task %s, execution %s\n", orDash(rp.TaskRole), orDash(rp.ExecutionRole))
	fmt.Fprintf(&b, "  image            %s\n", orDash(rp.Image))
	fmt.Fprintf(&b, "  env file         %s\n", orDash(rp.EnvFile))
	if rp.LogGroup != "" {
		fmt.Fprintf(&b, "  logs             %s, stream %s<task id>\n", rp.LogGroup, rp.LogStreamPrefix)
	} else {
		fmt.Fprintf(&b, "  logs             none: %s\n", rp.LogProblem)
	}
	fmt.Fprintf(&b, "  started by       %s\n", rp.StartedBy)
	for _, n := range rp.Notes {
		fmt.Fprintf(&b, "  ! %s\n", n)
	}
	return b.String()
}

// ExitError is a `run` whose command exited non-zero: the CLI exits with Code.
type ExitError struct {
	Code   int32
	Task   string
	Reason string
}

func (e *ExitError) Error() string {
	s := fmt.Sprintf("run: the command exited %d (task %s", e.Code, e.Task)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s + ")"
}

// ExitCode is the container's exit code.
func (e *ExitError) ExitCode() int { return int(e.Code) }

// RunCommand is the `run` verb. It returns the task's summary; the error is nil only when the
// container exited 0, an *ExitError when it exited non-zero, another error when the task never
// ran to an exit code (not started, stopped without one, timed out, or ctx ended while waiting —
// the task then runs on). o.DryRun returns the plan and starts nothing.
func RunCommand(ctx context.Context, p Ports, s Site, o RunOptions) (string, error) {
	plan, err := PlanRun(ctx, p, s, o)
	if err != nil {
		return "", err
	}
	if o.DryRun {
		return plan.Text(), nil
	}
	out := o.Out
	if out == nil {
		out = p.Out
	}
	if out == nil {
		out = io.Discard
	}
	eng := rollout.New(p.AWS, out, p.RolloutOptions...)
	if o.Clock != nil {
		eng.Clock = o.Clock
	}
	fmt.Fprint(out, plan.Text())

	var tail *logTail
	logProblem := ""
	stream := func(ctx context.Context, taskARN string) {
		if plan.LogGroup == "" || logProblem != "" {
			return
		}
		if tail == nil {
			tail = newLogTail(eng.Logs, plan.LogGroup, plan.LogStreamPrefix+taskID(taskARN), plan.LogRegion, time.Unix(0, 0))
		}
		lines, err := tail.poll(ctx)
		if err != nil {
			if ctx.Err() == nil {
				logProblem = err.Error()
				fmt.Fprintf(out, "run: (no logs: %v)\n", err)
			}
			return
		}
		for _, l := range lines {
			fmt.Fprintf(out, "| %s\n", strings.TrimRight(l.Message, "\r\n"))
		}
	}
	st := rollout.Settings{PollInterval: o.PollInterval, Timeout: plan.Timeout}
	res, err := eng.RunTask(ctx, rollout.TaskRun{Label: "run", Cluster: plan.Cluster, TaskDefinition: plan.TaskDefinition,
		Container: plan.Container, Command: plan.Command, StartedBy: plan.StartedBy, Network: plan.Network, Settings: st,
		OnPoll: stream, OnFailure: "nothing else was changed"})
	if res == nil {
		return "", err
	}
	if ctx.Err() == nil && res.StopCode != "" {
		// The last lines reach CloudWatch shortly after the container exits: read once more.
		clk := eng.Clock
		stream(ctx, res.TaskARN)
		if clk.Sleep(ctx, min(2*time.Second, plan.Timeout)) == nil {
			stream(ctx, res.TaskARN)
		}
	}
	id := taskID(res.TaskARN)
	summary := fmt.Sprintf("run: task %s of %s stopped after %s", id, shortRevision(res.TaskDefinition), res.Duration.Round(time.Second))
	switch {
	case res.ExitCode != nil && *res.ExitCode == 0:
		return summary + ", exit code 0\n", nil
	case res.ExitCode != nil && res.StopCode != "":
		return summary + fmt.Sprintf(", exit code %d\n", *res.ExitCode), &ExitError{Code: *res.ExitCode, Task: id, Reason: res.StoppedReason}
	case ctx.Err() != nil:
		return "", fmt.Errorf("run: stopped waiting for task %s (%v): the task may still run; stop it with: aws ecs stop-task --cluster %s --task %s",
			id, ctx.Err(), plan.Cluster, id)
	case res.StopCode != "":
		return "", fmt.Errorf("run: task %s stopped without an exit code (%s: %s): the command did not run to its end",
			id, res.StopCode, orDash(res.StoppedReason))
	}
	return "", err
}

// PlanRun reads which revision the task runs and with what (ECS and the deploy records; nothing is
// changed).
func PlanRun(ctx context.Context, p Ports, s Site, o RunOptions) (*RunPlan, error) {
	if len(o.Command) == 0 || strings.TrimSpace(strings.Join(o.Command, "")) == "" {
		return nil, errors.New("run: no command: give the command to run, e.g. \"python manage.py createsuperuser --noinput\"")
	}
	if strings.TrimSpace(s.Cluster) == "" || strings.TrimSpace(s.APIService) == "" {
		return nil, errors.New("run: missing the cluster or the API service (backend stack outputs cluster_name, api_service_name)")
	}
	eng := rollout.New(p.AWS, io.Discard, p.RolloutOptions...)
	names := []string{s.APIService}
	if s.WorkerService != "" {
		names = append(names, s.WorkerService)
	}
	out, err := eng.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: names})
	if err != nil {
		return nil, fmt.Errorf("run: read the services of %s: %w", s.Cluster, err)
	}
	live := map[string]string{}
	var api *ecstypes.Service
	for i := range out.Services {
		svc := &out.Services[i]
		if aws.ToString(svc.Status) == "INACTIVE" {
			continue
		}
		live[aws.ToString(svc.ServiceName)] = aws.ToString(svc.TaskDefinition)
		if aws.ToString(svc.ServiceName) == s.APIService {
			api = svc
		}
	}
	if api == nil {
		return nil, fmt.Errorf("run: service %s is not in cluster %s (backend stack outputs)", s.APIService, s.Cluster)
	}
	nw, err := rollout.NetworkOf(s.APIService, *api)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	apiTD, err := describeTD(ctx, eng.ECS, aws.ToString(api.TaskDefinition))
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	container := s.containerOf(apiTD)
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultRunTimeout
	}
	rp := &RunPlan{Cluster: s.Cluster, Container: container, Command: append([]string(nil), o.Command...), StartedBy: RunStartedBy,
		NetworkService: s.APIService, Network: nw, Timeout: timeout}

	td := apiTD
	rp.Source = "the revision the " + s.APIService + " service runs"
	shell, release, note := s.releaseShellRevision(ctx, p, live)
	rp.Release = release
	if note != "" {
		rp.Notes = append(rp.Notes, note+": running on the API's revision instead")
	}
	if shell != "" {
		std, err := describeTD(ctx, eng.ECS, shell)
		switch {
		case err != nil:
			rp.Notes = append(rp.Notes, fmt.Sprintf("the release's shell revision %s cannot be read (%v): running on the API's revision instead", shortRevision(shell), err))
		case std.Status != ecstypes.TaskDefinitionStatusActive:
			rp.Notes = append(rp.Notes, fmt.Sprintf("the release's shell revision %s is %s: running on the API's revision instead", shortRevision(shell), std.Status))
		case !hasContainer(std, container):
			rp.Notes = append(rp.Notes, fmt.Sprintf("the release's shell revision %s has no container %s: running on the API's revision instead", shortRevision(shell), container))
		default:
			td = std
			rp.Source = "the shell revision of release " + strings.TrimSuffix(strings.TrimPrefix(release, RecordsPrefix), ".json")
		}
	}
	rp.TaskDefinition = aws.ToString(td.TaskDefinitionArn)
	rp.TaskRole, rp.ExecutionRole = aws.ToString(td.TaskRoleArn), aws.ToString(td.ExecutionRoleArn)
	rp.Image = rollout.ImageOf(td, container)
	rp.EnvFile = EnvFileOf(td, container, s.ConfigBucket)
	if apiEnv := EnvFileOf(apiTD, container, s.ConfigBucket); td != apiTD && apiEnv != rp.EnvFile {
		rp.Notes = append(rp.Notes, fmt.Sprintf("the API runs env file %s, the shell revision %s", orDash(apiEnv), orDash(rp.EnvFile)))
	}
	if apiImage := rollout.ImageOf(apiTD, container); td != apiTD && apiImage != rp.Image {
		rp.Notes = append(rp.Notes, fmt.Sprintf("the API runs image %s, the shell revision %s", orDash(apiImage), orDash(rp.Image)))
	}
	if g, prefix, region, err := awslogsOf(td, container); err != nil {
		rp.LogProblem = err.Error()
	} else {
		rp.LogGroup, rp.LogStreamPrefix, rp.LogRegion = g, prefix, region
	}
	return rp, nil
}

// releaseShellRevision is the shell revision of the release the services run (live: service →
// revision), from the newest deploy records: the revision the release's DB bootstrap ran on. It
// returns the record's key, and a note when there is no such revision.
func (s Site) releaseShellRevision(ctx context.Context, p Ports, live map[string]string) (shell, record, note string) {
	if p.S3 == nil || s.ConfigBucket == "" {
		return "", "", "no config bucket to read the deploy records from"
	}
	if s.WorkerService == "" {
		return "", "", "no worker service named: the running release cannot be matched to a record"
	}
	rs, err := History(ctx, p.S3, s.ConfigBucket, s.Env, runRecordsRead)
	if err != nil {
		return "", "", fmt.Sprintf("the deploy records cannot be read (%v)", err)
	}
	i := matchRunning(rs, s.Services(), live)
	if i < 0 {
		return "", "", fmt.Sprintf("the services' revisions match none of the newest %d deploy records (changed by hand?)", runRecordsRead)
	}
	r := rs[i]
	if td := r.TaskDefinitions[rollout.OneOffKey(dbBootstrapName)]; td != "" {
		return td, r.Key, ""
	}
	return "", r.Key, fmt.Sprintf("the running release's record %s names no shell revision", r.Name())
}

// runRecordsRead is how many of the newest records `run` searches for the running release.
const runRecordsRead = 50

func hasContainer(td *ecstypes.TaskDefinition, name string) bool {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == name {
			return true
		}
	}
	return false
}

// taskID is the last segment of a task ARN.
func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
