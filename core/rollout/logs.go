package rollout

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/redact"
)

// lastLogLines returns the last n log lines of one container of a task, read from CloudWatch Logs as the
// container's awslogs configuration names them (group, prefix/container/task-id, region). A container
// that does not log to awslogs, or logs that cannot be read, give one explanatory line instead. The
// lines are redacted with the context's Redactor (core/redact): they go into errors, the diagnosis,
// the deploy record and the summary, and an application's log may print any secret.
func (e *Engine) lastLogLines(ctx context.Context, tdARN, taskARN, container string, n int) []string {
	return redactLines(redact.From(ctx), e.readLogLines(ctx, tdARN, taskARN, container, n))
}

// redactLines redacts lines as one text, so that a private key block spread over lines is caught
// too (its lines then become one).
func redactLines(r *redact.Redactor, lines []string) []string {
	if len(lines) == 0 {
		return lines
	}
	joined := strings.Join(lines, "\n")
	red := r.String(joined)
	if red == joined {
		return lines
	}
	return strings.Split(red, "\n")
}

func (e *Engine) readLogLines(ctx context.Context, tdARN, taskARN, container string, n int) []string {
	if e.Logs == nil {
		return nil
	}
	td, _, err := e.describeTaskDefinition(ctx, tdARN)
	if err != nil {
		return []string{fmt.Sprintf("(no logs: %v)", err)}
	}
	var lc *ecstypes.LogConfiguration
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container {
			lc = c.LogConfiguration
		}
	}
	if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
		return []string{fmt.Sprintf("(no logs: container %s does not use the awslogs driver)", container)}
	}
	group, prefix := lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
	if group == "" || prefix == "" {
		return []string{fmt.Sprintf("(no logs: container %s's awslogs configuration has no group or stream prefix)", container)}
	}
	stream := prefix + "/" + container + "/" + lastSegment(taskARN)
	out, err := e.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), Limit: aws.Int32(int32(n)), StartFromHead: aws.Bool(false),
	}, func(o *cloudwatchlogs.Options) {
		if r := lc.Options["awslogs-region"]; r != "" {
			o.Region = r
		}
	})
	if err != nil {
		return []string{fmt.Sprintf("(no logs from %s %s: %v)", group, stream, explain(err, "read logs"))}
	}
	var lines []string
	for _, ev := range out.Events {
		lines = append(lines, strings.TrimRight(aws.ToString(ev.Message), "\n"))
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func lastSegment(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
