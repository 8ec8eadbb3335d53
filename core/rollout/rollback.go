package rollout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// rollBack returns every watched service to its From revision after a failed roll: a service that
// ECS's circuit breaker already rolled back is only waited for (no second roll-back); the others get
// an UpdateService to From, in parallel. Then it waits for all roll-back deployments to complete.
//
// The roll-back is the clean-up path, so it does not give up on a network blip: a transient failure
// (connection reset, 5xx, throttling) of its DescribeServices/UpdateService calls, after the SDK's own
// attempts, is retried on the engine's clock until st.Timeout from the start of the roll-back.
func (e *Engine) rollBack(ctx context.Context, cluster string, ws []*watched, st Settings, rr *RollResult) error {
	clk := e.clock()
	deadline := clk.Now().Add(st.Timeout)
	var names []string
	for _, w := range ws {
		names = append(names, w.res.Name)
	}
	var svcs []ecstypes.Service
	err := e.retryTransient(ctx, deadline, func(int) error {
		var err error
		svcs, err = e.describeServices(ctx, cluster, names)
		return err
	})
	if err != nil {
		return err
	}
	backs := make([]*watched, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		svc := svcs[i]
		if w.superseded {
			e.printf("rollback: %s skipped: another deploy replaced ours\n", w.res.Name)
			continue
		}
		if w.depID == "" && aws.ToString(svc.TaskDefinition) == w.from {
			continue // the update itself failed: nothing to undo
		}
		if p := primaryDeployment(svc); p != nil && aws.ToString(p.Id) != w.depID && aws.ToString(p.TaskDefinition) == w.from {
			// ECS (circuit breaker with rollback) is already putting the service back on From.
			w.ecsRolledBack = true
			w.res.RolledBackBy = RolledBackByECS
			w.res.RollbackDeploymentID = aws.ToString(p.Id)
			e.printf("rollback: %s already being rolled back by ECS (deployment %s → %s); not rolling it again\n", w.res.Name,
				aws.ToString(p.Id), shortTD(w.from))
			backs[i] = &watched{res: &ServiceResult{Name: w.res.Name}, depID: w.res.RollbackDeploymentID, to: w.from,
				from: w.to, since: clk.Now(), seen: map[string]bool{}}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := e.updateBack(ctx, cluster, w, svc, deadline)
			if err != nil {
				errs[i] = err
				return
			}
			w.res.RolledBackBy = RolledBackByDeploy
			w.res.RollbackDeploymentID = id
			e.printf("rollback: %s → %s (deployment %s)\n", w.res.Name, shortTD(w.from), id)
			backs[i] = &watched{res: &ServiceResult{Name: w.res.Name}, depID: id, to: w.from,
				from: w.to, since: clk.Now(), seen: map[string]bool{}}
		}()
	}
	wg.Wait()
	var back []*watched
	for _, b := range backs {
		if b != nil {
			back = append(back, b)
		}
	}
	if rr != nil {
		rr.DecidedAt = clk.Now()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	werr := e.watch(ctx, cluster, back, st, false, nil)
	for _, b := range back {
		for _, w := range ws {
			if w.res.Name == b.res.Name {
				w.res.RollbackState = b.res.State
				w.res.RollbackDuration = b.res.Duration
				w.res.RolledBack = b.done
			}
		}
	}
	return werr
}

// updateBack points w's service back at w.from. On a transient failure it reads the service again
// and updates it again (so the deployment it follows is the newest one, even when an earlier
// update went through with its answer lost), until deadline on the engine's clock.
func (e *Engine) updateBack(ctx context.Context, cluster string, w *watched, svc ecstypes.Service, deadline time.Time) (string, error) {
	var id string
	err := e.retryTransient(ctx, deadline, func(attempt int) error {
		if attempt > 1 {
			fresh, err := e.describeServices(ctx, cluster, []string{w.res.Name})
			if err != nil {
				return err
			}
			svc = fresh[0]
			e.printf("rollback: %s: retrying the update (attempt %d)\n", w.res.Name, attempt)
		}
		var err error
		id, err = e.update(ctx, cluster, w.res.Name, w.from, svc)
		return err
	})
	return id, err
}

// RollbackInput says which services go back to which revisions.
type RollbackInput struct {
	Cluster  string
	Services []string
	// To maps a service to the revision (ARN or family:revision) it returns to. A service not in To
	// returns to the previous release: the newest ACTIVE revision of its family, older than the one
	// it runs, that the pipeline registered (GitSHATag) for another commit — never an OpenTofu
	// template (TemplateTag, or no commit tag) nor a revision of the commit it runs.
	To       map[string]string
	Settings Settings
}

// RollbackPlan is the read-only plan of a roll-back.
type RollbackPlan struct {
	Cluster  string           `json:"cluster"`
	Services []*ServiceResult `json:"services"`
	Settings Settings         `json:"settings"`
}

// Text prints what the roll-back will do.
func (p *RollbackPlan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollback plan: cluster %s\n", p.Cluster)
	for _, s := range p.Services {
		fmt.Fprintf(&b, "  %s: %s → %s\n", s.Name, shortTD(s.From), shortTD(s.To))
	}
	fmt.Fprintf(&b, "steps: update the services in parallel and wait until each deployment is COMPLETED (timeout %s)\n", p.Settings.Timeout)
	return b.String()
}

// PlanRollback reads the services and resolves each one's target revision; it changes nothing.
func (e *Engine) PlanRollback(ctx context.Context, in RollbackInput) (*RollbackPlan, error) {
	if strings.TrimSpace(in.Cluster) == "" || len(in.Services) == 0 {
		return nil, errors.New("rollout: rollback needs a cluster and at least one service")
	}
	svcs, err := e.describeServices(ctx, in.Cluster, in.Services)
	if err != nil {
		return nil, err
	}
	p := &RollbackPlan{Cluster: in.Cluster, Settings: in.Settings.withDefaults()}
	for i, name := range in.Services {
		cur := aws.ToString(svcs[i].TaskDefinition)
		to := in.To[name]
		if to == "" {
			to, err = e.previousRevision(ctx, cur)
			if err != nil {
				return nil, fmt.Errorf("%w (service %s)", err, name)
			}
		}
		td, _, err := e.describeTaskDefinition(ctx, to)
		if err != nil {
			return nil, err
		}
		p.Services = append(p.Services, &ServiceResult{Name: name, From: cur, To: aws.ToString(td.TaskDefinitionArn)})
	}
	return p, nil
}

// Rollback rolls the services to the plan's revisions and waits for it (no roll-back of the roll-back).
func (e *Engine) Rollback(ctx context.Context, p *RollbackPlan) (*RollResult, error) {
	return e.rollTo(ctx, p.Cluster, p.Services, p.Settings, false)
}

// previousRevision returns the previous release's revision of cur's family: the newest ACTIVE
// revision older than cur that carries a commit (GitSHATag) other than cur's and is not an OpenTofu
// template (TemplateTag). Templates and revisions of the same commit (a re-rendered release after an
// infra change) would not undo the release.
func (e *Engine) previousRevision(ctx context.Context, cur string) (string, error) {
	family := familyOf(cur)
	rev, err := strconv.Atoi(cur[strings.LastIndex(cur, ":")+1:])
	if err != nil {
		return "", fmt.Errorf("rollout: cannot read the revision of %s", cur)
	}
	_, curTags, err := e.describeTaskDefinition(ctx, cur)
	if err != nil {
		return "", err
	}
	curSHA := GitSHAOf(curTags)
	var skipped []string
	pages := ecs.NewListTaskDefinitionsPaginator(e.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family),
		Status: ecstypes.TaskDefinitionStatusActive, Sort: ecstypes.SortOrderDesc})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return "", explain(err, "list revisions of "+family)
		}
		for _, arn := range out.TaskDefinitionArns {
			if familyOf(arn) != family {
				continue
			}
			r, err := strconv.Atoi(arn[strings.LastIndex(arn, ":")+1:])
			if err != nil || r >= rev {
				continue
			}
			_, tags, err := e.describeTaskDefinition(ctx, arn)
			if err != nil {
				return "", err
			}
			sha := GitSHAOf(tags)
			switch {
			case IsTemplate(tags) || sha == "":
				skipped = append(skipped, fmt.Sprintf("%d (OpenTofu template)", r))
			case sha == curSHA:
				skipped = append(skipped, fmt.Sprintf("%d (same commit %s)", r, sha))
			default:
				return arn, nil
			}
		}
	}
	why := ""
	if len(skipped) > 0 {
		why = "; skipped " + strings.Join(skipped, ", ")
	}
	return "", fmt.Errorf("rollout: %s has no ACTIVE revision older than %d that the pipeline registered for another commit%s: pass the revision to return to (--to service=family:revision)", family, rev, why)
}
