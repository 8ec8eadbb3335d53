package dbbootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// Result is what Apply did.
type Result struct {
	// Database and AppRole are the names bootstrapped.
	Database string `json:"database"`
	AppRole  string `json:"appRole"`
	// Applied are the steps that ran, in order (all of Plan.Steps on success).
	Applied []Step `json:"applied"`
	// DurationMS is Apply's wall time in milliseconds.
	DurationMS int64 `json:"durationMs"`
}

// Changed reports whether anything was changed.
func (r *Result) Changed() bool { return len(r.Applied) > 0 }

// Apply runs the plan's statements in order, as the master user, one line per statement to
// progress (which may be nil). It stops at the first failure and returns the steps that ran with
// the error. A plan without steps does not connect at all.
func Apply(ctx context.Context, p *Plan, progress io.Writer) (*Result, error) {
	if p == nil || (p.spec.Database == "" && len(p.Steps) > 0) {
		return nil, errors.New("dbbootstrap: Apply needs a plan made by PlanBootstrap")
	}
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	res := &Result{Database: p.Database, AppRole: p.AppRole, Applied: []Step{}}
	secrets := []string{p.spec.Master.Password, p.spec.AppPassword, p.verifier}
	conns := map[string]*pgx.Conn{}
	defer func() {
		for _, c := range conns {
			_ = c.Close(context.WithoutCancel(ctx))
		}
	}()
	for _, st := range p.Steps {
		conn := conns[st.Database]
		if conn == nil {
			c, err := connect(ctx, p.spec.Server, p.spec.Master, st.Database, secrets...)
			if err != nil {
				res.DurationMS = time.Since(start).Milliseconds()
				return res, err
			}
			conns[st.Database], conn = c, c
		}
		fmt.Fprintf(progress, "dbbootstrap: %s: %s\n", st.What, st.SQL)
		// The simple protocol sends one plain statement: DDL takes no parameters, and
		// CREATE DATABASE must not run inside a transaction.
		if _, err := conn.Exec(ctx, st.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			res.DurationMS = time.Since(start).Milliseconds()
			return res, statementError(st, err, secrets...)
		}
		res.Applied = append(res.Applied, st)
	}
	res.DurationMS = time.Since(start).Milliseconds()
	return res, nil
}
