// Package ecsfake is a scripted fake of the ECS and CloudWatch Logs APIs for tests: an httptest server
// speaking the real wire protocol (JSON 1.1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`
// and `Logs_20140328.GetLogEvents`), so the real aws-sdk-go-v2 clients talk to it unchanged.
//
// moto models ECS's API shapes but not time: its deployments never progress and it runs no tasks. This
// fake plays rollouts over (simulated) time instead: tasks start, run, exit with codes and reasons,
// failed tasks are replaced, deployments complete or fail, ECS's circuit breaker rolls back, calls are
// throttled. A Scenario says how tasks of each image behave; Seed* methods set up clusters, task
// definitions and services; Calls records every request for assertions; Inject adds arbitrary faults.
//
// Only the operations the rollout engine and the operator verbs use are implemented:
// RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions, DescribeServices, UpdateService,
// RunTask, DescribeTasks, ListTasks, StopTask, Logs GetLogEvents and FilterLogEvents. Anything else
// answers 400 UnknownOperationException.
package ecsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	account = "123456789012"
	region  = "eu-central-1"
)

// TaskScript says how a task behaves over time.
type TaskScript struct {
	// StartAfter is the time from launch to RUNNING (default 2 s).
	StartAfter time.Duration
	// NeverStarts stops the task at StartAfter with stopCode TaskFailedToStart and Reason (no exit code).
	NeverStarts bool
	// ExitAfter is how long the task runs before its container exits (0: runs until stopped; for RunTask
	// the default is 3 s).
	ExitAfter time.Duration
	// ExitCode of the container when it exits.
	ExitCode int32
	// Reason is the stoppedReason (defaults to ECS's wording for the stop).
	Reason string
	// Logs are the container's log lines, written to its awslogs stream.
	Logs []string
	// LogInterval is the time between two log lines from the task's start (default 1 ms): lines
	// with a later time are not yet visible to FilterLogEvents.
	LogInterval time.Duration
}

// Scenario scripts the fake.
type Scenario struct {
	// Images: how service tasks whose containers run an image behave. Unlisted images are healthy.
	Images map[string]TaskScript
	// Script, when set, decides first for service tasks: the script of a task of service running image
	// (ok false: fall back to Images). Use it to make one service fail while another succeeds.
	Script func(service, image string) (TaskScript, bool)
	// RunTask: how one-off (RunTask) tasks of an image behave. Unlisted: exit 0 after 3 s.
	RunTask map[string]TaskScript
	// OneOff, when set, decides first for RunTask tasks: the script of a task of family (the task
	// definition's family) run with command (the command override of the task's container, nil when
	// none) (ok false: fall back to RunTask). Use it to fail the bootstrap but not the migration.
	OneOff func(family string, command []string) (TaskScript, bool)
	// CircuitBreaker, when > 0, makes ECS mark a deployment FAILED after that many failed tasks and,
	// with CircuitBreakerRollback, start a roll-back deployment to the last completed revision.
	CircuitBreaker         int
	CircuitBreakerRollback bool
	// SteadyAfter is how long a deployment's tasks must have been RUNNING before it is COMPLETED
	// (default 10 s; ECS waits for health checks and stability the same way).
	SteadyAfter time.Duration
	// RelaunchDelay is how long the scheduler waits before replacing a failed task (default 0).
	RelaunchDelay time.Duration
	// Throttle answers the first N calls of an operation with ThrottlingException.
	Throttle map[string]int
}

// Call is one request the fake received.
type Call struct {
	Op   string
	Body map[string]any
	At   time.Time
}

// APIError is a fault to answer with (see Inject).
type APIError struct {
	Status  int
	Type    string
	Message string
}

// Fake is one running fake endpoint.
type Fake struct {
	// URL is the endpoint to give the SDK (awsconf Endpoint / testenv.ConfigFor).
	URL   string
	Clock *Clock

	mu       sync.Mutex
	sc       Scenario
	calls    []Call
	throttle map[string]int
	inject   []func(op string, body map[string]any) *APIError
	clusters map[string]bool
	tds      map[string][]*taskDef // family → revisions (index = revision-1)
	services map[string]*service   // cluster/name
	tasks    []*task
	// byToken maps a RunTask clientToken to the task it started: ECS answers a repeated request
	// (the SDK's retry after a lost answer carries the same token) with that task, starting none.
	byToken map[string]*task
	logs    map[string][]logEvent // group + "\x00" + stream
	groups  map[string]bool       // log groups seeded empty (SeedLogGroup)
	seq     int
}

type taskDef struct {
	arn  string
	body map[string]any
	tags []any
	// active is false once deregistered (never, here).
	active bool
}

type service struct {
	cluster, name string
	desired       int
	td            string
	stableTD      string
	network       map[string]any
	deployments   []*deployment // PRIMARY first
	events        []map[string]any
	platform      string
	createdAt     time.Time
	// exec is enableExecuteCommand: tasks launched while it is set can be exec'd into.
	exec bool
}

type deployment struct {
	id, status, td, state, reason string
	desired, failed               int
	createdAt, updatedAt          time.Time
	rollback                      bool
}

type task struct {
	arn, id, cluster, td, group, startedBy, service, depID string
	container                                              string
	script                                                 TaskScript
	createdAt, startAt, stopAt                             time.Time // zero stopAt: runs until stopped
	stopCode, reason                                       string
	exit                                                   *int32
	startSeen, stopSeen                                    bool
	// exec: the task was launched with ECS Exec (its container runs the ExecuteCommandAgent).
	exec bool
	// overrides is the RunTask request's overrides (nil for service tasks).
	overrides map[string]any
}

type logEvent struct {
	at  time.Time
	msg string
}

// Start runs the fake on a loopback port until the test ends. clock may be nil (real time).
func Start(t testing.TB, sc Scenario, clock *Clock) *Fake {
	t.Helper()
	if clock == nil {
		clock = NewClock(1)
	}
	f := &Fake{Clock: clock, sc: sc, throttle: map[string]int{}, clusters: map[string]bool{}, tds: map[string][]*taskDef{},
		services: map[string]*service{}, logs: map[string][]logEvent{}, groups: map[string]bool{}, byToken: map[string]*task{}}
	if sc.SteadyAfter <= 0 {
		sc.SteadyAfter = 10 * time.Second
	}
	f.sc = sc
	for op, n := range sc.Throttle {
		f.throttle[op] = n
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Inject adds a fault hook: it sees every request (operation name, decoded body) before the fake
// handles it and may answer with an error instead.
func (f *Fake) Inject(h func(op string, body map[string]any) *APIError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject = append(f.inject, h)
}

// Calls returns the requests received so far for op ("" for all).
func (f *Fake) Calls(op string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if op == "" || c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// SeedCluster creates a cluster.
func (f *Fake) SeedCluster(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clusters[name] = true
}

// SeedTaskDefinition registers a task definition (the RegisterTaskDefinition request body in wire
// form: family, containerDefinitions, …) and returns its ARN.
func (f *Fake) SeedTaskDefinition(body map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.register(body).arn
}

// SeedService creates a service running td with desired tasks already RUNNING (one COMPLETED
// deployment), in the given subnets and security groups.
func (f *Fake) SeedService(cluster, name, td string, desired int, subnets, securityGroups []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.Clock.Now().Add(-time.Hour)
	s := &service{cluster: cluster, name: name, desired: desired, td: td, stableTD: td, platform: "1.4.0", createdAt: now,
		network: map[string]any{"awsvpcConfiguration": map[string]any{"subnets": subnets, "securityGroups": securityGroups, "assignPublicIp": "DISABLED"}}}
	d := &deployment{id: f.newDeploymentID(), status: "PRIMARY", td: td, state: "COMPLETED", reason: "ECS deployment completed.",
		desired: desired, createdAt: now, updatedAt: now}
	s.deployments = []*deployment{d}
	f.services[cluster+"/"+name] = s
	for i := 0; i < desired; i++ {
		tk := f.launch(s, d, now, TaskScript{StartAfter: time.Second})
		tk.startSeen = true
	}
}

// SetExecuteCommand sets a service's enableExecuteCommand, as UpdateService does: only tasks launched
// afterwards (a new deployment) run with ECS Exec, as in ECS.
func (f *Fake) SetExecuteCommand(cluster, name string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.services[cluster+"/"+name]; s != nil {
		s.exec = on
	}
}

// ContainerTaskDefinition is a convenience body for SeedTaskDefinition: one Fargate task definition
// with an app container (awslogs to logGroup with prefix "ecs") and a sidecar.
func ContainerTaskDefinition(family, container, image string, stopTimeout int, logGroup string) map[string]any {
	c := map[string]any{
		"name": container, "image": image, "essential": true,
		"portMappings": []any{map[string]any{"containerPort": 8000, "protocol": "tcp"}},
		"logConfiguration": map[string]any{"logDriver": "awslogs", "options": map[string]any{
			"awslogs-group": logGroup, "awslogs-region": region, "awslogs-stream-prefix": "ecs"}},
		"linuxParameters": map[string]any{"initProcessEnabled": true},
	}
	if stopTimeout > 0 {
		c["stopTimeout"] = stopTimeout
	}
	return map[string]any{
		"family": family, "networkMode": "awsvpc", "requiresCompatibilities": []any{"FARGATE"}, "cpu": "512", "memory": "1024",
		"executionRoleArn": "arn:aws:iam::" + account + ":role/" + family + "-exec",
		"taskRoleArn":      "arn:aws:iam::" + account + ":role/" + family + "-task",
		"containerDefinitions": []any{c,
			map[string]any{"name": "xray", "image": "public.ecr.aws/xray/aws-xray-daemon:3.3", "essential": false}},
	}
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	raw, _ := io.ReadAll(r.Body)
	body := map[string]any{}
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.Clock.Now()
	f.calls = append(f.calls, Call{Op: op, Body: body, At: now})
	if f.throttle[op] > 0 {
		f.throttle[op]--
		writeErr(w, &APIError{Status: 400, Type: "ThrottlingException", Message: "Rate exceeded"})
		return
	}
	for _, h := range f.inject {
		if e := h(op, body); e != nil {
			writeErr(w, e)
			return
		}
	}
	f.advance(now)
	var out any
	var e *APIError
	switch {
	case strings.HasPrefix(target, "Logs_"):
		out, e = f.getLogEvents(op, body)
	default:
		out, e = f.ecs(op, body, now)
	}
	if e != nil {
		writeErr(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, e *APIError) {
	if e.Status == 0 {
		e.Status = 400
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{"__type": e.Type, "message": e.Message})
}

func clientErr(format string, args ...any) *APIError {
	return &APIError{Type: "ClientException", Message: fmt.Sprintf(format, args...)}
}

func (f *Fake) ecs(op string, b map[string]any, now time.Time) (any, *APIError) {
	cluster := str(b, "cluster")
	if cluster == "" {
		cluster = "default"
	}
	cluster = cluster[strings.LastIndex(cluster, "/")+1:]
	needCluster := func() *APIError {
		if !f.clusters[cluster] {
			return &APIError{Type: "ClusterNotFoundException", Message: "Cluster not found."}
		}
		return nil
	}
	switch op {
	case "RegisterTaskDefinition":
		td := f.register(b)
		return map[string]any{"taskDefinition": f.tdJSON(td), "tags": td.tags}, nil
	case "DescribeTaskDefinition":
		td := f.lookupTD(str(b, "taskDefinition"))
		if td == nil {
			return nil, clientErr("Unable to describe task definition.")
		}
		return map[string]any{"taskDefinition": f.tdJSON(td), "tags": td.tags}, nil
	case "ListTaskDefinitions":
		var arns []string
		for fam, revs := range f.tds {
			if p := str(b, "familyPrefix"); p != "" && !strings.HasPrefix(fam, p) {
				continue
			}
			for _, td := range revs {
				arns = append(arns, td.arn)
			}
		}
		sort.Slice(arns, func(i, j int) bool { return revOf(arns[i]) < revOf(arns[j]) })
		if str(b, "sort") == "DESC" {
			for i, j := 0, len(arns)-1; i < j; i, j = i+1, j-1 {
				arns[i], arns[j] = arns[j], arns[i]
			}
		}
		return map[string]any{"taskDefinitionArns": arns}, nil
	case "DescribeServices":
		if e := needCluster(); e != nil {
			return nil, e
		}
		var svcs, failures []any
		for _, n := range strs(b, "services") {
			s := f.services[cluster+"/"+n[strings.LastIndex(n, "/")+1:]]
			if s == nil {
				failures = append(failures, map[string]any{"arn": n, "reason": "MISSING"})
				continue
			}
			svcs = append(svcs, f.serviceJSON(s, now))
		}
		return map[string]any{"services": svcs, "failures": failures}, nil
	case "UpdateService":
		if e := needCluster(); e != nil {
			return nil, e
		}
		n := str(b, "service")
		s := f.services[cluster+"/"+n[strings.LastIndex(n, "/")+1:]]
		if s == nil {
			return nil, &APIError{Type: "ServiceNotFoundException", Message: "Service not found."}
		}
		td := s.td
		if ref := str(b, "taskDefinition"); ref != "" {
			t := f.lookupTD(ref)
			if t == nil {
				return nil, &APIError{Type: "InvalidParameterException", Message: "TaskDefinition not found."}
			}
			td = t.arn
		}
		if v, ok := b["enableExecuteCommand"].(bool); ok {
			s.exec = v
		}
		if td != s.td || b["forceNewDeployment"] == true {
			f.deploy(s, td, now, false)
		}
		return map[string]any{"service": f.serviceJSON(s, now)}, nil
	case "RunTask":
		if e := needCluster(); e != nil {
			return nil, e
		}
		if tk := f.byToken[str(b, "clientToken")]; tk != nil {
			return map[string]any{"tasks": []any{f.taskJSON(tk, now)}, "failures": []any{}}, nil
		}
		td := f.lookupTD(str(b, "taskDefinition"))
		if td == nil {
			return nil, clientErr("TaskDefinition not found.")
		}
		if td.body["networkMode"] == "awsvpc" {
			nc, _ := b["networkConfiguration"].(map[string]any)
			av, _ := nc["awsvpcConfiguration"].(map[string]any)
			if len(strs(av, "subnets")) == 0 {
				return nil, &APIError{Type: "InvalidParameterException", Message: "Network Configuration must be provided when networkMode 'awsvpc' is specified."}
			}
		}
		image, container := f.imageOf(td, f.sc.RunTask)
		sc, ok := f.sc.RunTask[image]
		if f.sc.OneOff != nil {
			if s, hit := f.sc.OneOff(str(td.body, "family"), overrideCommand(b, container)); hit {
				sc, ok = s, true
			}
		}
		if !ok {
			sc = TaskScript{ExitAfter: 3 * time.Second}
		}
		if sc.ExitAfter == 0 && !sc.NeverStarts {
			sc.ExitAfter = 3 * time.Second
		}
		tk := f.newTask(cluster, td.arn, "family:"+str(td.body, "family"), str(b, "startedBy"), "", "", container, sc, now)
		tk.overrides, _ = b["overrides"].(map[string]any)
		if tok := str(b, "clientToken"); tok != "" {
			f.byToken[tok] = tk
		}
		return map[string]any{"tasks": []any{f.taskJSON(tk, now)}, "failures": []any{}}, nil
	case "DescribeTasks":
		if e := needCluster(); e != nil {
			return nil, e
		}
		var out []any
		for _, a := range strs(b, "tasks") {
			for _, tk := range f.tasks {
				if tk.arn == a || tk.id == a {
					out = append(out, f.taskJSON(tk, now))
				}
			}
		}
		return map[string]any{"tasks": out, "failures": []any{}}, nil
	case "ListTasks":
		if e := needCluster(); e != nil {
			return nil, e
		}
		var arns []string
		for _, tk := range f.tasks {
			stopped := tk.status(now) == "STOPPED"
			switch {
			case tk.cluster != cluster,
				str(b, "serviceName") != "" && tk.service != str(b, "serviceName"),
				str(b, "startedBy") != "" && tk.startedBy != str(b, "startedBy"),
				str(b, "desiredStatus") == "STOPPED" && !stopped,
				str(b, "desiredStatus") != "STOPPED" && stopped:
				continue
			}
			arns = append(arns, tk.arn)
		}
		return map[string]any{"taskArns": arns}, nil
	case "StopTask":
		for _, tk := range f.tasks {
			if tk.arn == str(b, "task") || tk.id == str(b, "task") {
				if tk.status(now) != "STOPPED" {
					tk.stopAt, tk.stopCode, tk.reason = now, "UserInitiated", str(b, "reason")
				}
				return map[string]any{"task": f.taskJSON(tk, now)}, nil
			}
		}
		return nil, &APIError{Type: "InvalidParameterException", Message: "The referenced task was not found."}
	}
	return nil, &APIError{Type: "UnknownOperationException", Message: "ecsfake does not implement " + op}
}

// overrideCommand returns the command override of container in a RunTask request, else the first
// command override of any container (nil when none).
func overrideCommand(b map[string]any, container string) []string {
	ov, _ := b["overrides"].(map[string]any)
	cos, _ := ov["containerOverrides"].([]any)
	var first []string
	for _, c := range cos {
		m, _ := c.(map[string]any)
		cmd := strs(m, "command")
		if str(m, "name") == container && cmd != nil {
			return cmd
		}
		if first == nil {
			first = cmd
		}
	}
	return first
}

func (f *Fake) getLogEvents(op string, b map[string]any) (any, *APIError) {
	if op == "FilterLogEvents" {
		return f.filterLogEvents(b)
	}
	if op != "GetLogEvents" {
		return nil, &APIError{Type: "UnknownOperationException", Message: "ecsfake does not implement Logs " + op}
	}
	evs, ok := f.logs[str(b, "logGroupName")+"\x00"+str(b, "logStreamName")]
	if !ok {
		return nil, &APIError{Type: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
	}
	limit := 10000
	if l, ok := b["limit"].(float64); ok && l > 0 {
		limit = int(l)
	}
	if len(evs) > limit {
		if b["startFromHead"] == true {
			evs = evs[:limit]
		} else {
			evs = evs[len(evs)-limit:]
		}
	}
	var out []any
	for _, e := range evs {
		out = append(out, map[string]any{"timestamp": e.at.UnixMilli(), "ingestionTime": e.at.UnixMilli(), "message": e.msg})
	}
	return map[string]any{"events": out, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"}, nil
}

// filterLogEvents answers FilterLogEvents: the events of the group's streams (logStreamNames, else
// logStreamNamePrefix, else all) at or after startTime and already written (at or before the
// fake's now), in time order, in one page.
func (f *Fake) filterLogEvents(b map[string]any) (any, *APIError) {
	group := str(b, "logGroupName")
	names := strs(b, "logStreamNames")
	prefix := str(b, "logStreamNamePrefix")
	start, _ := b["startTime"].(float64)
	now := f.Clock.Now()
	type ev struct {
		stream string
		i      int
		e      logEvent
	}
	var evs []ev
	found := false
	for k, list := range f.logs {
		g, stream, _ := strings.Cut(k, "\x00")
		if g != group {
			continue
		}
		found = true
		if len(names) > 0 && !contains(names, stream) || prefix != "" && !strings.HasPrefix(stream, prefix) {
			continue
		}
		for i, e := range list {
			if e.at.After(now) || float64(e.at.UnixMilli()) < start {
				continue
			}
			evs = append(evs, ev{stream, i, e})
		}
	}
	if !found && !f.groups[group] {
		return nil, &APIError{Type: "ResourceNotFoundException", Message: "The specified log group does not exist."}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].e.at.Equal(evs[j].e.at) {
			return evs[i].e.at.Before(evs[j].e.at)
		}
		if evs[i].stream != evs[j].stream {
			return evs[i].stream < evs[j].stream
		}
		return evs[i].i < evs[j].i
	})
	out := []any{}
	for _, e := range evs {
		out = append(out, map[string]any{"logStreamName": e.stream, "timestamp": e.e.at.UnixMilli(), "ingestionTime": e.e.at.UnixMilli(),
			"message": e.e.msg, "eventId": fmt.Sprintf("%s/%d", e.stream, e.i)})
	}
	return map[string]any{"events": out, "searchedLogStreams": []any{}}, nil
}

// SeedLogGroup creates an empty log group (FilterLogEvents on an unknown group is an error).
func (f *Fake) SeedLogGroup(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[name] = true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
