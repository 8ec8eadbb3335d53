package ecsfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// register stores a task definition as the next revision of its family.
func (f *Fake) register(b map[string]any) *taskDef {
	body := map[string]any{}
	for k, v := range b {
		if k != "tags" {
			body[k] = v
		}
	}
	fam := str(body, "family")
	rev := len(f.tds[fam]) + 1
	td := &taskDef{arn: fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", region, account, fam, rev), body: body, active: true}
	if tags, ok := b["tags"].([]any); ok {
		td.tags = tags
	} else {
		td.tags = []any{}
	}
	f.tds[fam] = append(f.tds[fam], td)
	return td
}

func (f *Fake) lookupTD(ref string) *taskDef {
	ref = ref[strings.LastIndex(ref, "/")+1:]
	fam, rev := ref, 0
	if i := strings.LastIndex(ref, ":"); i >= 0 {
		fam = ref[:i]
		rev, _ = strconv.Atoi(ref[i+1:])
	}
	revs := f.tds[fam]
	if len(revs) == 0 {
		return nil
	}
	if rev == 0 {
		return revs[len(revs)-1]
	}
	if rev > len(revs) {
		return nil
	}
	return revs[rev-1]
}

func (f *Fake) tdJSON(td *taskDef) map[string]any {
	out := map[string]any{}
	for k, v := range td.body {
		out[k] = v
	}
	out["taskDefinitionArn"] = td.arn
	out["revision"] = revOf(td.arn)
	out["status"] = "ACTIVE"
	out["compatibilities"] = []any{"EC2", "FARGATE"}
	return out
}

// imageOf returns the image whose script applies to td's tasks (the first container image listed in
// scripts, else the first container's) and that container's name.
func (f *Fake) imageOf(td *taskDef, scripts map[string]TaskScript) (image, container string) {
	cs, _ := td.body["containerDefinitions"].([]any)
	for i, c := range cs {
		m, _ := c.(map[string]any)
		if _, ok := scripts[str(m, "image")]; ok || i == 0 {
			image, container = str(m, "image"), str(m, "name")
			if ok {
				return
			}
		}
	}
	return
}

func (f *Fake) newDeploymentID() string {
	f.seq++
	return fmt.Sprintf("ecs-svc/%019d", 4200000000000000000+f.seq)
}

// deploy starts a new PRIMARY deployment of td on s at t and launches its tasks.
func (f *Fake) deploy(s *service, td string, t time.Time, rollback bool) *deployment {
	for _, d := range s.deployments {
		d.status = "ACTIVE"
	}
	d := &deployment{id: f.newDeploymentID(), status: "PRIMARY", td: td, state: "IN_PROGRESS", desired: s.desired,
		createdAt: t, updatedAt: t, rollback: rollback}
	d.reason = "ECS deployment " + d.id + " in progress."
	s.deployments = append([]*deployment{d}, s.deployments...)
	s.td = td
	sc := f.scriptFor(s, d)
	for i := 0; i < s.desired; i++ {
		f.launch(s, d, t, sc)
	}
	return d
}

func (f *Fake) launch(s *service, d *deployment, t time.Time, sc TaskScript) *task {
	_, container := f.imageOf(f.lookupTD(d.td), f.sc.Images)
	tk := f.newTask(s.cluster, d.td, "service:"+s.name, d.id, s.name, d.id, container, sc, t)
	tk.exec = s.exec
	f.event(s, t, fmt.Sprintf("(service %s) has started 1 tasks: (task %s).", s.name, tk.id))
	return tk
}

func (f *Fake) newTask(cluster, td, group, startedBy, svc, depID, container string, sc TaskScript, t time.Time) *task {
	f.seq++
	id := fmt.Sprintf("%032x", 0xa000000+f.seq)
	if sc.StartAfter <= 0 {
		sc.StartAfter = 2 * time.Second
	}
	tk := &task{arn: fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", region, account, cluster, id), id: id, cluster: cluster, td: td,
		group: group, startedBy: startedBy, service: svc, depID: depID, container: container, script: sc,
		createdAt: t, startAt: t.Add(sc.StartAfter)}
	switch {
	case sc.NeverStarts:
		tk.stopAt, tk.stopCode = tk.startAt, "TaskFailedToStart"
		tk.reason = sc.Reason
		if tk.reason == "" {
			tk.reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"
		}
	case sc.ExitAfter > 0:
		tk.stopAt, tk.stopCode = tk.startAt.Add(sc.ExitAfter), "EssentialContainerExited"
		code := sc.ExitCode
		tk.exit = &code
		tk.reason = sc.Reason
		if tk.reason == "" {
			tk.reason = "Essential container in task exited"
		}
	}
	f.tasks = append(f.tasks, tk)
	if len(sc.Logs) > 0 {
		if group, stream := f.logStream(tk); group != "" {
			k := group + "\x00" + stream
			step := sc.LogInterval
			if step <= 0 {
				step = time.Millisecond
			}
			for i, l := range sc.Logs {
				f.logs[k] = append(f.logs[k], logEvent{at: tk.startAt.Add(time.Duration(i) * step), msg: l})
			}
		}
	}
	return tk
}

func (f *Fake) logStream(tk *task) (group, stream string) {
	td := f.lookupTD(tk.td)
	cs, _ := td.body["containerDefinitions"].([]any)
	for _, c := range cs {
		m, _ := c.(map[string]any)
		if str(m, "name") != tk.container {
			continue
		}
		lc, _ := m["logConfiguration"].(map[string]any)
		opts, _ := lc["options"].(map[string]any)
		if str(opts, "awslogs-group") == "" {
			return "", ""
		}
		return str(opts, "awslogs-group"), str(opts, "awslogs-stream-prefix") + "/" + tk.container + "/" + tk.id
	}
	return "", ""
}

func (f *Fake) event(s *service, t time.Time, msg string) {
	f.seq++
	s.events = append([]map[string]any{{"id": strconv.Itoa(f.seq), "createdAt": epoch(t), "message": msg}}, s.events...)
}

func (tk *task) status(now time.Time) string {
	switch {
	case !tk.stopAt.IsZero() && !now.Before(tk.stopAt):
		return "STOPPED"
	case now.Before(tk.startAt):
		return "PENDING"
	}
	return "RUNNING"
}

func (tk *task) runningAt(t time.Time) bool {
	return !tk.script.NeverStarts && !t.Before(tk.startAt) && (tk.stopAt.IsZero() || t.Before(tk.stopAt))
}

func (tk *task) failed() bool {
	return tk.stopCode == "TaskFailedToStart" || (tk.stopCode == "EssentialContainerExited" && tk.exit != nil && *tk.exit != 0)
}

// advance plays the service scheduler up to now: task starts complete deployments, failed tasks are
// counted and replaced, the circuit breaker trips and rolls back. Events are handled in time order.
func (f *Fake) advance(now time.Time) {
	for {
		var next *task
		var at time.Time
		stop := false
		for _, tk := range f.tasks {
			if tk.service == "" {
				continue
			}
			if !tk.stopSeen && !tk.stopAt.IsZero() && !tk.stopAt.After(now) && (next == nil || tk.stopAt.Before(at) || (tk.stopAt.Equal(at) && !stop)) {
				next, at, stop = tk, tk.stopAt, true
			}
			if h := tk.startAt.Add(f.sc.SteadyAfter); !tk.startSeen && tk.runningAt(h) && !h.After(now) && (next == nil || h.Before(at)) {
				next, at, stop = tk, h, false
			}
		}
		if next == nil {
			return
		}
		s := f.services[next.cluster+"/"+next.service]
		d := s.find(next.depID)
		if !stop {
			next.startSeen = true
			if d != nil {
				f.maybeComplete(s, d, at)
			}
			continue
		}
		next.stopSeen = true
		next.startSeen = true
		if d == nil || !next.failed() {
			continue
		}
		d.failed++
		d.updatedAt = at
		f.event(s, at, fmt.Sprintf("(service %s) has stopped 1 running tasks: (task %s).", s.name, next.id))
		if f.sc.CircuitBreaker > 0 && d.failed >= f.sc.CircuitBreaker && d.state == "IN_PROGRESS" {
			d.state = "FAILED"
			d.reason = "ECS deployment circuit breaker: tasks failed to start."
			f.event(s, at, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, d.id))
			if f.sc.CircuitBreakerRollback && d.status == "PRIMARY" && s.stableTD != d.td {
				rb := f.deploy(s, s.stableTD, at, true)
				rb.reason = "ECS deployment circuit breaker: rolling back to deploymentId " + d.id + "."
				f.event(s, at, fmt.Sprintf("(service %s) rolling back to deployment %s.", s.name, rb.id))
			}
			continue
		}
		if d.state == "IN_PROGRESS" || d.state == "COMPLETED" {
			f.launch(s, d, at.Add(f.sc.RelaunchDelay), f.scriptFor(s, d))
		}
	}
}

// scriptFor is the script of d's tasks: Scenario.Script first, then Images by image.
func (f *Fake) scriptFor(s *service, d *deployment) TaskScript {
	td := f.lookupTD(d.td)
	if f.sc.Script != nil {
		cs, _ := td.body["containerDefinitions"].([]any)
		for _, c := range cs {
			m, _ := c.(map[string]any)
			if sc, ok := f.sc.Script(s.name, str(m, "image")); ok {
				return sc
			}
		}
	}
	image, _ := f.imageOf(td, f.sc.Images)
	return f.sc.Images[image]
}

func (s *service) find(id string) *deployment {
	for _, d := range s.deployments {
		if d.id == id {
			return d
		}
	}
	return nil
}

// maybeComplete marks d COMPLETED once desired tasks run at t, and drains the older deployments.
func (f *Fake) maybeComplete(s *service, d *deployment, t time.Time) {
	if d.state != "IN_PROGRESS" || d.status != "PRIMARY" {
		return
	}
	n := 0
	for _, tk := range f.tasks {
		if tk.depID == d.id && tk.runningAt(t) && !t.Before(tk.startAt.Add(f.sc.SteadyAfter)) {
			n++
		}
	}
	if n < d.desired {
		return
	}
	d.state, d.updatedAt = "COMPLETED", t
	d.reason = "ECS deployment " + d.id + " completed."
	s.stableTD = d.td
	for _, old := range s.deployments {
		if old == d {
			continue
		}
		for _, tk := range f.tasks {
			if tk.depID == old.id && (tk.stopAt.IsZero() || tk.stopAt.After(t)) {
				tk.stopAt, tk.stopCode, tk.exit, tk.stopSeen = t, "ServiceSchedulerInitiated", nil, true
				tk.reason = "Scaling activity initiated by (deployment " + d.id + ")"
			}
		}
	}
	s.deployments = []*deployment{d}
	f.event(s, t, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", s.name, d.id))
	f.event(s, t, fmt.Sprintf("(service %s) has reached a steady state.", s.name))
}

func (f *Fake) serviceJSON(s *service, now time.Time) map[string]any {
	var deps []any
	running, pending := 0, 0
	for _, d := range s.deployments {
		r, p := 0, 0
		for _, tk := range f.tasks {
			if tk.depID != d.id {
				continue
			}
			switch tk.status(now) {
			case "RUNNING":
				r++
			case "PENDING":
				p++
			}
		}
		running += r
		pending += p
		deps = append(deps, map[string]any{"id": d.id, "status": d.status, "taskDefinition": d.td, "desiredCount": d.desired,
			"runningCount": r, "pendingCount": p, "failedTasks": d.failed, "createdAt": epoch(d.createdAt), "updatedAt": epoch(d.updatedAt),
			"launchType": "FARGATE", "rolloutState": d.state, "rolloutStateReason": d.reason})
	}
	events := s.events
	if len(events) > 100 {
		events = events[:100]
	}
	return map[string]any{
		"serviceArn":  fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", region, account, s.cluster, s.name),
		"serviceName": s.name, "clusterArn": fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", region, account, s.cluster),
		"status": "ACTIVE", "desiredCount": s.desired, "runningCount": running, "pendingCount": pending, "launchType": "FARGATE",
		"platformVersion": s.platform, "taskDefinition": s.td, "enableExecuteCommand": s.exec, "networkConfiguration": s.network, "deployments": deps, "events": events,
		"createdAt": epoch(s.createdAt),
		"deploymentConfiguration": map[string]any{"maximumPercent": 200, "minimumHealthyPercent": 100,
			"deploymentCircuitBreaker": map[string]any{"enable": f.sc.CircuitBreaker > 0, "rollback": f.sc.CircuitBreakerRollback}},
	}
}

func (f *Fake) taskJSON(tk *task, now time.Time) map[string]any {
	st := tk.status(now)
	c := map[string]any{"name": tk.container, "lastStatus": st, "taskArn": tk.arn}
	m := map[string]any{"taskArn": tk.arn, "clusterArn": fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", region, account, tk.cluster),
		"taskDefinitionArn": tk.td, "group": tk.group, "startedBy": tk.startedBy, "lastStatus": st, "desiredStatus": "RUNNING",
		"launchType": "FARGATE", "createdAt": epoch(tk.createdAt), "containers": []any{c}, "enableExecuteCommand": tk.exec}
	if tk.exec {
		agent := "PENDING"
		if st != "PENDING" {
			agent = st
		}
		c["managedAgents"] = []any{map[string]any{"name": "ExecuteCommandAgent", "lastStatus": agent}}
	}
	if tk.overrides != nil {
		m["overrides"] = tk.overrides
	}
	if tk.runningAt(now) || (st == "STOPPED" && !tk.script.NeverStarts) {
		m["startedAt"] = epoch(tk.startAt)
	}
	if st == "STOPPED" {
		m["desiredStatus"], m["stopCode"], m["stoppedReason"], m["stoppedAt"] = "STOPPED", tk.stopCode, tk.reason, epoch(tk.stopAt)
		if tk.exit != nil {
			c["exitCode"] = *tk.exit
		} else if tk.stopCode == "UserInitiated" || tk.stopCode == "ServiceSchedulerInitiated" {
			c["exitCode"] = 137
		}
		if tk.script.NeverStarts {
			c["reason"] = tk.reason
		}
	}
	return m
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func revOf(arn string) int {
	n, _ := strconv.Atoi(arn[strings.LastIndex(arn, ":")+1:])
	return n
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func strs(m map[string]any, k string) []string {
	var out []string
	switch v := m[k].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = v
	}
	return out
}
