package rollout

import (
	"context"
	"errors"
	"strings"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TaskRun is one one-off task run on its own, outside a deploy (the `run` verb): the same RunTask,
// wait and failure explanation as the DB bootstrap and the migration (runOneOff).
type TaskRun struct {
	// Label names the task in progress lines and errors ("run").
	Label string
	// Cluster, TaskDefinition (an ARN or family:revision) and Container (the one whose command is
	// overridden and whose exit code counts) say what runs.
	Cluster, TaskDefinition, Container string
	// Command overrides the container's command (required).
	Command []string
	// StartedBy is RunTask's startedBy (at most 36 characters).
	StartedBy string
	// Network is where the task runs (NetworkOf the API service).
	Network TaskNetwork
	// Settings: PollInterval and Timeout of the wait (a task still running at the timeout is stopped),
	// LogLines kept on failure.
	Settings Settings
	// OnPoll, when set, is called with the task's ARN after every poll of the wait.
	OnPoll func(ctx context.Context, taskARN string)
	// OnFailure ends every failure message (what did or did not happen because of it).
	OnFailure string
}

// RunTask starts the task, waits for it to stop and returns its result. The error is nil only when
// the container exited 0; otherwise the result (when the task started) says how it ended: ExitCode
// (nil: it never ran), StopCode and StoppedReason.
func (e *Engine) RunTask(ctx context.Context, r TaskRun) (*TaskResult, error) {
	switch {
	case strings.TrimSpace(r.Cluster) == "":
		return nil, errors.New("rollout: run task: no cluster")
	case strings.TrimSpace(r.Container) == "":
		return nil, errors.New("rollout: run task: no container")
	case len(r.Command) == 0:
		return nil, errors.New("rollout: run task: no command")
	}
	label, onFailure := r.Label, r.OnFailure
	if label == "" {
		label = "one-off"
	}
	if onFailure == "" {
		onFailure = "nothing else was changed"
	}
	p := &Plan{Cluster: r.Cluster, Container: r.Container, Settings: r.Settings.withDefaults()}
	return e.runOneOff(ctx, p, oneOffRun{label: label, prefix: label, td: r.TaskDefinition, startedBy: r.StartedBy,
		command: r.Command, network: r.Network, onFailure: onFailure, onPoll: r.OnPoll})
}

// NetworkOf is the network configuration one-off tasks run with: the service's awsvpc subnets,
// security groups and public-IP setting, its platform version and capacity provider strategy.
func NetworkOf(serviceName string, svc ecstypes.Service) (TaskNetwork, error) {
	return networkOf(serviceName, svc)
}
