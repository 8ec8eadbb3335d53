package rollout

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// MigrationStartedBy is the startedBy value of the migration task (it tells it apart from service tasks).
const MigrationStartedBy = "bookme-deploy/migrate"

// MigrationResult is what the migration task did.
type MigrationResult struct {
	TaskARN        string `json:"taskArn"`
	TaskDefinition string `json:"taskDefinition"`
	// ExitCode of the application container; nil when it never ran.
	ExitCode      *int32        `json:"exitCode,omitempty"`
	StopCode      string        `json:"stopCode,omitempty"`
	StoppedReason string        `json:"stoppedReason,omitempty"`
	Duration      time.Duration `json:"duration"`
	// LogLines are the container's last log lines (kept on failure).
	LogLines []string `json:"logLines,omitempty"`
}

// Text is the one-paragraph account of the migration.
func (r *MigrationResult) Text() string {
	if r == nil {
		return "migration: skipped\n"
	}
	code := "none (never ran)"
	if r.ExitCode != nil {
		code = fmt.Sprint(*r.ExitCode)
	}
	s := fmt.Sprintf("migration: task %s of %s stopped after %s, exit code %s", lastSegment(r.TaskARN), shortTD(r.TaskDefinition),
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

// Migrate registers the new revisions (idempotently) and runs the migration task with the new
// revision, the plan's command override and the API service's network configuration; it waits for
// STOPPED and returns an error — having changed no service — unless the container exited 0.
func (e *Engine) Migrate(ctx context.Context, p *Plan) (*MigrationResult, error) {
	if p.NoOp || p.Migration == nil {
		return nil, nil
	}
	revs, err := e.Register(ctx, p)
	if err != nil {
		return nil, err
	}
	return e.migrate(ctx, p, revs)
}

func (e *Engine) migrate(ctx context.Context, p *Plan, revs Revisions) (*MigrationResult, error) {
	m, st := p.Migration, p.Settings
	td := revs[MigrationKey]
	if td == "" {
		td = revs[p.Services[0].Name]
	}
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(p.Cluster),
		TaskDefinition: aws.String(td),
		Count:          aws.Int32(1),
		StartedBy:      aws.String(MigrationStartedBy),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: m.Subnets, SecurityGroups: m.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIp(m.AssignPublicIP)}},
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{
			{Name: aws.String(p.Container), Command: m.Command}}},
	}
	if len(m.CapacityProviderStrategy) > 0 {
		in.CapacityProviderStrategy = m.CapacityProviderStrategy
	} else {
		in.LaunchType = ecstypes.LaunchTypeFargate
	}
	if m.PlatformVersion != "" {
		in.PlatformVersion = aws.String(m.PlatformVersion)
	}
	clk := e.clock()
	start := clk.Now()
	out, err := e.ECS.RunTask(ctx, in)
	if err != nil {
		return nil, explain(err, "run the migration task")
	}
	if len(out.Tasks) == 0 {
		var why []string
		for _, f := range out.Failures {
			why = append(why, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
		}
		return nil, fmt.Errorf("rollout: migration task was not started (%s); no service was changed", strings.Join(why, "; "))
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	res := &MigrationResult{TaskARN: arn, TaskDefinition: td}
	e.printf("migrate: started task %s (%s) with %q\n", lastSegment(arn), shortTD(td), strings.Join(m.Command, " "))
	last := ""
	for {
		if err := clk.Sleep(ctx, st.PollInterval); err != nil {
			return res, err
		}
		dt, err := e.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(p.Cluster), Tasks: []string{arn}})
		if err != nil {
			return res, explain(err, "describe the migration task")
		}
		res.Duration = clk.Now().Sub(start)
		if len(dt.Tasks) == 0 {
			return res, fmt.Errorf("rollout: migration task %s disappeared; no service was changed", lastSegment(arn))
		}
		t := dt.Tasks[0]
		if s := aws.ToString(t.LastStatus); s != last {
			e.printf("migrate: task %s %s (%s)\n", lastSegment(arn), s, res.Duration.Round(time.Second))
			last = s
		}
		if aws.ToString(t.LastStatus) != "STOPPED" {
			if res.Duration > st.Timeout {
				_, _ = e.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(p.Cluster), Task: aws.String(arn),
					Reason: aws.String("bookme-deploy: migration timed out")})
				res.LogLines = e.lastLogLines(ctx, td, arn, p.Container, st.LogLines)
				return res, fmt.Errorf("rollout: migration task %s still %s after %s (stopped it); no service was changed%s",
					lastSegment(arn), last, st.Timeout, logTail(res.LogLines))
			}
			continue
		}
		res.StopCode, res.StoppedReason = string(t.StopCode), aws.ToString(t.StoppedReason)
		var c *ecstypes.Container
		for i := range t.Containers {
			if aws.ToString(t.Containers[i].Name) == p.Container {
				c = &t.Containers[i]
			}
		}
		if c != nil {
			res.ExitCode = c.ExitCode
			if r := aws.ToString(c.Reason); r != "" && res.StoppedReason == "" {
				res.StoppedReason = r
			}
		}
		if res.ExitCode != nil && *res.ExitCode == 0 {
			e.printf("migrate: succeeded in %s\n", res.Duration.Round(time.Second))
			return res, nil
		}
		res.LogLines = e.lastLogLines(ctx, td, arn, p.Container, st.LogLines)
		if res.ExitCode == nil {
			return res, fmt.Errorf("rollout: migration task %s never ran (%s: %s); no service was changed%s",
				lastSegment(arn), res.StopCode, res.StoppedReason, logTail(res.LogLines))
		}
		return res, fmt.Errorf("rollout: migration failed: container %s exited %d (%s); no service was changed%s",
			p.Container, *res.ExitCode, res.StoppedReason, logTail(res.LogLines))
	}
}

func logTail(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return "; last log lines:\n  | " + strings.Join(lines, "\n  | ")
}
