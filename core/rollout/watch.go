package rollout

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/awsretry"

	"bookme-deploy/core/redact"
)

// watched is one service's deployment being followed.
type watched struct {
	res      *ServiceResult
	depID    string // the deployment we follow
	to, from string
	since    time.Time
	done     bool
	line     string
	// ecsRolledBack is set when ECS's circuit breaker already put the service back on from.
	ecsRolledBack bool
	// superseded is set when another deployment (not ours, not a roll-back) replaced ours.
	superseded bool
	seen       map[string]bool // stopped task ARNs already classified
	failed     []failedTask
}

type failedTask struct {
	arn, td, reason string
	container       string // whose logs explain the failure
	stoppedAt       time.Time
}

// watch polls until every deployment succeeds (nil) or one fails (the reason). Success: our deployment
// rolloutState COMPLETED with running ≥ desired. Failure: FAILED, replaced by an ECS roll-back,
// countFailures and MaxFailedTasks tasks of our revision stopped with errors, or Timeout.
func (e *Engine) watch(ctx context.Context, cluster string, ws []*watched, st Settings, countFailures bool, rr *RollResult) error {
	clk := e.clock()
	start := clk.Now()
	for {
		var names []string
		var open []*watched
		for _, w := range ws {
			if !w.done {
				names = append(names, w.res.Name)
				open = append(open, w)
			}
		}
		if len(open) == 0 {
			return nil
		}
		if err := clk.Sleep(ctx, st.PollInterval); err != nil {
			return err
		}
		svcs, err := e.describeServices(ctx, cluster, names)
		if err != nil {
			// Following a roll-back (countFailures false), the services were already sent back: a
			// transient failure only means "look again at the next poll", until the timeout.
			if !countFailures && awsretry.Transient(err) && clk.Now().Sub(start) <= st.Timeout {
				continue
			}
			return err
		}
		now := clk.Now()
		for i, w := range open {
			svc := svcs[i]
			dep := findDeployment(svc, w.depID)
			if dep == nil {
				if p := primaryDeployment(svc); p != nil && aws.ToString(p.TaskDefinition) == w.from {
					w.ecsRolledBack = true
					w.res.State = string(ecstypes.DeploymentRolloutStateFailed)
					return fmt.Errorf("%s: deployment %s was rolled back by ECS (circuit breaker) to %s", w.res.Name, w.depID, shortTD(w.from))
				}
				w.superseded = true
				return fmt.Errorf("%s: deployment %s is gone and the service runs %s: another deploy replaced it", w.res.Name, w.depID,
					shortTD(aws.ToString(svc.TaskDefinition)))
			}
			w.res.State = string(dep.RolloutState)
			if n := int(dep.FailedTasks); n > w.res.FailedTasks {
				w.res.FailedTasks = n
			}
			if countFailures {
				if err := e.collectStopped(ctx, cluster, w, rr); err != nil {
					return err
				}
			}
			line := fmt.Sprintf("desired %d, running %d, pending %d, failed %d, %s", dep.DesiredCount, dep.RunningCount, dep.PendingCount,
				w.res.FailedTasks, dep.RolloutState)
			if line != w.line {
				e.printf("  %s: %s (%s)\n", w.res.Name, line, now.Sub(w.since).Round(time.Second))
				w.line = line
			}
			w.res.Duration = now.Sub(w.since)
			switch {
			case dep.RolloutState == ecstypes.DeploymentRolloutStateCompleted && dep.RunningCount >= dep.DesiredCount:
				w.done = true
			case dep.RolloutState == ecstypes.DeploymentRolloutStateFailed:
				if p := primaryDeployment(svc); p != nil && aws.ToString(p.Id) != w.depID && aws.ToString(p.TaskDefinition) == w.from {
					w.ecsRolledBack = true
					return fmt.Errorf("%s: deployment %s FAILED (%s) and ECS's circuit breaker is rolling back to %s", w.res.Name, w.depID,
						aws.ToString(dep.RolloutStateReason), shortTD(w.from))
				}
				return fmt.Errorf("%s: deployment %s FAILED: %s", w.res.Name, w.depID, aws.ToString(dep.RolloutStateReason))
			case countFailures && w.res.FailedTasks >= st.MaxFailedTasks:
				return fmt.Errorf("%s: %d tasks of %s stopped with errors (limit %d); last: %s", w.res.Name, w.res.FailedTasks,
					shortTD(w.to), st.MaxFailedTasks, lastReason(w))
			}
		}
		if now.Sub(start) > st.Timeout {
			var slow []string
			for _, w := range open {
				if !w.done {
					slow = append(slow, fmt.Sprintf("%s (%s)", w.res.Name, w.line))
				}
			}
			return fmt.Errorf("timed out after %s waiting for %s", st.Timeout, strings.Join(slow, ", "))
		}
	}
}

// collectStopped classifies the service's stopped tasks of our revision and deployment.
func (e *Engine) collectStopped(ctx context.Context, cluster string, w *watched, rr *RollResult) error {
	var arns []string
	p := ecs.NewListTasksPaginator(e.ECS, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(w.res.Name),
		DesiredStatus: ecstypes.DesiredStatusStopped})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return explain(err, "list stopped tasks of "+w.res.Name)
		}
		for _, a := range page.TaskArns {
			if !w.seen[a] {
				arns = append(arns, a)
			}
		}
	}
	for len(arns) > 0 {
		n := min(len(arns), 100)
		out, err := e.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns[:n]})
		if err != nil {
			return explain(err, "describe stopped tasks of "+w.res.Name)
		}
		arns = arns[n:]
		for _, t := range out.Tasks {
			if aws.ToString(t.LastStatus) != "STOPPED" {
				continue // still stopping: look again next time
			}
			arn := aws.ToString(t.TaskArn)
			w.seen[arn] = true
			if aws.ToString(t.TaskDefinitionArn) != w.to || !ours(t, w) {
				continue
			}
			reason, bad := taskError(t)
			if !bad {
				continue
			}
			reason = redact.From(ctx).String(reason) // it reaches errors, the record and the summary
			at := aws.ToTime(t.StoppedAt)
			if at.IsZero() {
				at = e.clock().Now()
			}
			w.failed = append(w.failed, failedTask{arn: arn, td: w.to, reason: reason, stoppedAt: at, container: failedContainer(t)})
			if rr != nil && (rr.FirstFailureAt.IsZero() || at.Before(rr.FirstFailureAt)) {
				rr.FirstFailureAt = at
			}
		}
	}
	sort.Slice(w.failed, func(i, j int) bool { return w.failed[i].stoppedAt.Before(w.failed[j].stoppedAt) })
	if len(w.failed) > w.res.FailedTasks {
		w.res.FailedTasks = len(w.failed)
	}
	return nil
}

// ours tells whether a service task belongs to our deployment: ECS sets startedBy to the deployment ID.
func ours(t ecstypes.Task, w *watched) bool {
	if sb := aws.ToString(t.StartedBy); sb != "" {
		return sb == w.depID
	}
	return !aws.ToTime(t.CreatedAt).Before(w.since.Add(-time.Minute))
}

// taskError returns why a stopped task failed, and whether it did: it never started, an essential
// container exited, a container exited non-zero, or it failed health checks.
func taskError(t ecstypes.Task) (string, bool) {
	reason := aws.ToString(t.StoppedReason)
	var bad bool
	switch t.StopCode {
	case ecstypes.TaskStopCodeTaskFailedToStart, ecstypes.TaskStopCodeEssentialContainerExited:
		bad = true
	case ecstypes.TaskStopCodeUserInitiated, ecstypes.TaskStopCodeServiceSchedulerInitiated:
		// Stopped from outside: a failure only when the scheduler stopped it for failing health checks.
		bad = strings.Contains(strings.ToLower(reason), "health check")
	default:
		bad = strings.Contains(strings.ToLower(reason), "health check")
		for _, c := range t.Containers {
			if c.ExitCode != nil && *c.ExitCode != 0 {
				bad = true
			}
		}
	}
	for _, c := range t.Containers {
		if c.ExitCode != nil && *c.ExitCode != 0 {
			reason += fmt.Sprintf(" [container %s exit %d", aws.ToString(c.Name), *c.ExitCode)
			if r := aws.ToString(c.Reason); r != "" {
				reason += ": " + r
			}
			reason += "]"
		} else if r := aws.ToString(c.Reason); r != "" {
			reason += fmt.Sprintf(" [container %s: %s]", aws.ToString(c.Name), r)
		}
	}
	if t.StopCode != "" {
		reason = string(t.StopCode) + ": " + reason
	}
	return reason, bad
}

// failedContainer names the container that exited non-zero, else the first one.
func failedContainer(t ecstypes.Task) string {
	for _, c := range t.Containers {
		if c.ExitCode != nil && *c.ExitCode != 0 {
			return aws.ToString(c.Name)
		}
	}
	if len(t.Containers) > 0 {
		return aws.ToString(t.Containers[0].Name)
	}
	return ""
}

func lastReason(w *watched) string {
	if len(w.failed) == 0 {
		return "(see deployment)"
	}
	return w.failed[len(w.failed)-1].reason
}

func findDeployment(s ecstypes.Service, id string) *ecstypes.Deployment {
	for i := range s.Deployments {
		if aws.ToString(s.Deployments[i].Id) == id {
			return &s.Deployments[i]
		}
	}
	return nil
}
