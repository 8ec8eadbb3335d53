package rollout

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"bookme-deploy/core/redact"
)

const diagnosisEvents = 5

// diagnose prints, per service, the stopped tasks' reasons, the last service events and the last log
// lines of the newest failed task, and keeps them in the results (redacted with the context's
// Redactor: they reach errors, the record and the summary).
func (e *Engine) diagnose(ctx context.Context, cluster string, ws []*watched, st Settings) {
	red := redact.From(ctx)
	var names []string
	for _, w := range ws {
		names = append(names, w.res.Name)
	}
	svcs, err := e.describeServices(ctx, cluster, names)
	if err != nil {
		e.printf("diagnosis: %v\n", err)
	}
	for i, w := range ws {
		// Stopped tasks not seen yet (e.g. the failing service stopped before it was counted).
		_ = e.collectStopped(ctx, cluster, w, nil)
		for _, f := range w.failed {
			w.res.StoppedTasks = append(w.res.StoppedTasks, lastSegment(f.arn)+": "+f.reason)
		}
		if err == nil {
			for j, ev := range svcs[i].Events {
				if j == diagnosisEvents {
					break
				}
				w.res.Events = append(w.res.Events, aws.ToTime(ev.CreatedAt).UTC().Format("15:04:05")+" "+red.String(aws.ToString(ev.Message)))
			}
		}
		if n := len(w.failed); n > 0 {
			f := w.failed[n-1]
			w.res.LogLines = e.lastLogLines(ctx, f.td, f.arn, f.container, st.LogLines)
		}
		e.printf("diagnosis of %s:\n", w.res.Name)
		for _, s := range w.res.StoppedTasks {
			e.printf("  stopped task %s\n", s)
		}
		for _, s := range w.res.Events {
			e.printf("  event %s\n", s)
		}
		for _, s := range w.res.LogLines {
			e.printf("  | %s\n", s)
		}
	}
}
