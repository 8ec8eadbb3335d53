package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"bookme-deploy/core/rollout"
)

// The `logs` verb: a service's CloudWatch Logs, read where its running task definition's awslogs
// options say (group, stream prefix, region), printed in time order with each line's task id; with
// follow it keeps polling until the context ends.

// Defaults of LogsOptions.
const (
	DefaultLogsSince        = "10m"
	DefaultLogsPollInterval = 2 * time.Second
)

// LogsOptions says which logs to read.
type LogsOptions struct {
	// Service is "api" or "worker" (the site's API or worker service).
	Service string
	// Since is how far back to start: a duration (10m, 2h, 1d, 1d12h) or a time (RFC 3339, or a
	// date 2006-01-02, UTC). Empty: DefaultLogsSince.
	Since string
	// Follow keeps polling for new lines until ctx ends (which ends Logs without an error).
	Follow bool
	// PollInterval between two reads when following (default DefaultLogsPollInterval).
	PollInterval time.Duration
	// DryRun returns the plan (what would be read) and reads no log.
	DryRun bool
	// Out receives the lines as they are read. Nil: Logs returns them instead.
	Out io.Writer
	// Clock tells the time and waits between polls (rollout.WallClock when nil).
	Clock rollout.Clock
}

// LogsPlan is what Logs reads.
type LogsPlan struct {
	Service        string `json:"service"`
	TaskDefinition string `json:"taskDefinition"`
	Container      string `json:"container"`
	// Group, StreamPrefix ("<awslogs-stream-prefix>/<container>/", followed by the task id) and
	// Region (the awslogs-region option, "" for the client's) locate the lines.
	Group        string        `json:"logGroup"`
	StreamPrefix string        `json:"streamPrefix"`
	Region       string        `json:"region,omitempty"`
	Since        time.Time     `json:"since"`
	Follow       bool          `json:"follow"`
	PollInterval time.Duration `json:"pollInterval,omitempty"`
}

// Text is the plan for people.
func (p *LogsPlan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "logs: service %s runs %s; container %s logs to CloudWatch Logs group %s", p.Service,
		shortRevision(p.TaskDefinition), p.Container, p.Group)
	if p.Region != "" {
		fmt.Fprintf(&b, " (%s)", p.Region)
	}
	fmt.Fprintf(&b, "\n  read streams %s<task id> from %s", p.StreamPrefix, p.Since.UTC().Format(time.RFC3339))
	if p.Follow {
		fmt.Fprintf(&b, ", then poll every %s until interrupted", p.PollInterval)
	}
	b.WriteString("\n")
	return b.String()
}

// LogLine is one log event.
type LogLine struct {
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"`
	Message string    `json:"message"`
	// id is CloudWatch's event id (follow skips events already printed).
	id string
}

// TaskID is the stream's last segment: the ECS task id (awslogs names streams prefix/container/task).
func (l LogLine) TaskID() string { return l.Stream[strings.LastIndex(l.Stream, "/")+1:] }

// Format is the line as printed: time (UTC, milliseconds), task id, message.
func (l LogLine) Format() string {
	return l.Time.UTC().Format("2006-01-02T15:04:05.000Z") + " " + l.TaskID() + " " + strings.TrimRight(l.Message, "\r\n")
}

// SortLogLines orders lines by time; lines of the same millisecond keep the order they were read
// in (one stream's order), streams apart by name.
func SortLogLines(lines []LogLine) {
	sort.SliceStable(lines, func(i, j int) bool {
		if !lines[i].Time.Equal(lines[j].Time) {
			return lines[i].Time.Before(lines[j].Time)
		}
		if lines[i].Stream != lines[j].Stream {
			return lines[i].Stream < lines[j].Stream
		}
		return false
	})
}

var daysRE = regexp.MustCompile(`^(\d+)d(.*)$`)

// ParseSince turns --since into the instant to read from: a positive duration back from now (Go
// units ns…h, plus d for days: 10m, 2h, 1d, 1d12h), or a time (RFC 3339, or a date, UTC). Empty is
// DefaultLogsSince. A zero, negative or future value, or anything else, is an error that says what
// is accepted.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultLogsSince
	}
	bad := func(why string) error {
		return fmt.Errorf("--since %q: %s; want a duration back from now such as 10m, 2h or 1d, or a time such as 2026-01-02T15:04:05Z or 2026-01-02", s, why)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if t.After(now) {
			return time.Time{}, bad("it is in the future")
		}
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if t.After(now) {
			return time.Time{}, bad("it is in the future")
		}
		return t, nil
	}
	var d time.Duration
	rest := s
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 3650 {
			return time.Time{}, bad("too many days")
		}
		d, rest = time.Duration(n)*24*time.Hour, m[2]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return time.Time{}, bad("not a duration or a time")
		}
		d += r
	}
	if d <= 0 {
		return time.Time{}, bad("it must be more than zero")
	}
	return now.Add(-d), nil
}

// Logs is the `logs` verb: the service's log lines since o.Since, in time order, each with its task
// id; with o.Follow it polls for new ones until ctx ends. With o.Out nil the lines are returned,
// else they are written to o.Out as they come and "" is returned. o.DryRun returns the plan.
func Logs(ctx context.Context, p Ports, s Site, o LogsOptions) (string, error) {
	clk := o.Clock
	if clk == nil {
		clk = rollout.WallClock{}
	}
	plan, err := PlanLogs(ctx, p, s, o, clk.Now())
	if err != nil {
		return "", err
	}
	if o.DryRun {
		return plan.Text(), nil
	}
	var collected strings.Builder
	out := o.Out
	if out == nil {
		out = &collected
	}
	tail := newLogTail(rollout.New(p.AWS, io.Discard, p.RolloutOptions...).Logs, plan.Group, plan.StreamPrefix, plan.Region, plan.Since)
	for {
		lines, err := tail.poll(ctx)
		if err != nil {
			if o.Follow && ctx.Err() != nil {
				return collected.String(), nil
			}
			return collected.String(), err
		}
		for _, l := range lines {
			fmt.Fprintln(out, l.Format())
		}
		if !o.Follow {
			return collected.String(), nil
		}
		if err := clk.Sleep(ctx, plan.PollInterval); err != nil {
			return collected.String(), nil // interrupted: following ends here
		}
	}
}

// PlanLogs finds where the service logs (reads only ECS).
func PlanLogs(ctx context.Context, p Ports, s Site, o LogsOptions, now time.Time) (*LogsPlan, error) {
	name, err := s.serviceNamed(o.Service)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	since, err := ParseSince(o.Since, now)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	eng := rollout.New(p.AWS, io.Discard, p.RolloutOptions...)
	svc, err := describeService(ctx, eng.ECS, s.Cluster, name)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	td, err := describeTD(ctx, eng.ECS, aws.ToString(svc.TaskDefinition))
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	container := s.containerOf(td)
	group, prefix, region, err := awslogsOf(td, container)
	if err != nil {
		return nil, fmt.Errorf("logs: service %s: %w", name, err)
	}
	interval := o.PollInterval
	if interval <= 0 {
		interval = DefaultLogsPollInterval
	}
	lp := &LogsPlan{Service: name, TaskDefinition: aws.ToString(td.TaskDefinitionArn), Container: container, Group: group,
		StreamPrefix: prefix, Region: region, Since: since, Follow: o.Follow}
	if o.Follow {
		lp.PollInterval = interval
	}
	return lp, nil
}

// serviceNamed maps --service (api, worker, or the service's own name) to the site's service.
func (s Site) serviceNamed(which string) (string, error) {
	if strings.TrimSpace(s.Cluster) == "" {
		return "", errors.New("no ECS cluster (backend stack output cluster_name)")
	}
	switch w := strings.TrimSpace(which); {
	case w == "api" || w == "" || w == s.APIService:
		if s.APIService == "" {
			return "", errors.New("no API service (backend stack output api_service_name)")
		}
		return s.APIService, nil
	case w == "worker" || w == s.WorkerService:
		if s.WorkerService == "" {
			return "", errors.New("no worker service (backend stack output worker_service_name)")
		}
		return s.WorkerService, nil
	default:
		return "", fmt.Errorf("--service %q: want api or worker", which)
	}
}

// awslogsOf is a container's awslogs group, stream prefix ("<prefix>/<container>/") and region.
func awslogsOf(td *ecstypes.TaskDefinition, container string) (group, streamPrefix, region string, err error) {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) != container {
			continue
		}
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
			return "", "", "", fmt.Errorf("container %s of %s does not log with the awslogs driver: no CloudWatch Logs to read",
				container, shortRevision(aws.ToString(td.TaskDefinitionArn)))
		}
		group, prefix := lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
		if group == "" || prefix == "" {
			return "", "", "", fmt.Errorf("container %s of %s: its awslogs options lack awslogs-group or awslogs-stream-prefix",
				container, shortRevision(aws.ToString(td.TaskDefinitionArn)))
		}
		return group, prefix + "/" + container + "/", lc.Options["awslogs-region"], nil
	}
	return "", "", "", fmt.Errorf("%s has no container %q", shortRevision(aws.ToString(td.TaskDefinitionArn)), container)
}

// logTail reads a log group's streams under a prefix, from a start time on, each event once.
type logTail struct {
	c                     *cloudwatchlogs.Client
	group, prefix, region string
	// from is the earliest timestamp (ms) the next poll asks for: the newest seen, so that events of
	// that very millisecond that arrive later are read too; seen holds the ids read at it. An event
	// ingested after a newer one was printed, with an older time, is not printed (as with
	// `aws logs tail --follow`).
	from int64
	seen map[string]bool
}

func newLogTail(c *cloudwatchlogs.Client, group, streamPrefix, region string, since time.Time) *logTail {
	return &logTail{c: c, group: group, prefix: streamPrefix, region: region, from: since.UnixMilli(), seen: map[string]bool{}}
}

// poll returns the events not returned before, in time order. Events are filtered by stream prefix
// here too: moto ignores logStreamNamePrefix and answers with every stream of the group.
func (t *logTail) poll(ctx context.Context) ([]LogLine, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(t.group), LogStreamNamePrefix: aws.String(t.prefix),
		StartTime: aws.Int64(t.from)}
	var lines []LogLine
	for page := 0; ; page++ {
		out, err := t.c.FilterLogEvents(ctx, in, func(o *cloudwatchlogs.Options) {
			if t.region != "" {
				o.Region = t.region
			}
		})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException" {
				return nil, fmt.Errorf("logs: log group %s does not exist (has the task definition's log group been created? apply infra/stacks/backend)", t.group)
			}
			return nil, fmt.Errorf("logs: read log group %s: %w", t.group, err)
		}
		for _, e := range out.Events {
			stream := aws.ToString(e.LogStreamName)
			if !strings.HasPrefix(stream, t.prefix) {
				continue
			}
			id := aws.ToString(e.EventId)
			if id == "" {
				id = fmt.Sprintf("%s@%d@%s", stream, aws.ToInt64(e.Timestamp), aws.ToString(e.Message))
			}
			lines = append(lines, LogLine{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Stream: stream,
				Message: aws.ToString(e.Message), id: id})
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) || page > 1000 {
			break
		}
		in.NextToken = out.NextToken
	}
	SortLogLines(lines)
	var fresh []LogLine
	for _, l := range lines {
		if t.seen[l.id] {
			continue
		}
		fresh = append(fresh, l)
	}
	if n := len(lines); n > 0 {
		newest := lines[n-1].Time.UnixMilli()
		if newest > t.from {
			t.from, t.seen = newest, map[string]bool{}
		}
		for _, l := range lines {
			if l.Time.UnixMilli() == t.from {
				t.seen[l.id] = true
			}
		}
	}
	return fresh, nil
}

// describeService reads one service of the cluster.
func describeService(ctx context.Context, c *ecs.Client, cluster, name string) (ecstypes.Service, error) {
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil {
		return ecstypes.Service{}, fmt.Errorf("read service %s of cluster %s: %w", name, cluster, err)
	}
	for _, svc := range out.Services {
		if aws.ToString(svc.ServiceName) == name && aws.ToString(svc.Status) != "INACTIVE" {
			return svc, nil
		}
	}
	return ecstypes.Service{}, fmt.Errorf("service %s is not in cluster %s (backend stack outputs)", name, cluster)
}

// describeTD reads one task definition.
func describeTD(ctx context.Context, c *ecs.Client, ref string) (*ecstypes.TaskDefinition, error) {
	out, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		return nil, fmt.Errorf("read task definition %s: %w", ref, err)
	}
	if out.TaskDefinition == nil {
		return nil, fmt.Errorf("task definition %s not found", ref)
	}
	return out.TaskDefinition, nil
}
