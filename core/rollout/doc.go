// Package rollout ships a new container image to ECS Fargate services: it renders new task-definition
// revisions from OpenTofu's template revision of each family (Input.Templates; only the release
// fields — the image by digest, the env file, the commit tag — change, everything else is OpenTofu's,
// so an infra change reaches the services and shows in the plan's diff against what they run), runs
// one-off tasks with the new revisions — those of Input.Before (e.g. the database
// bootstrap) in order, then the database migration — rolls the API and the Celery worker services in
// parallel, tracks its own deployments by ID, detects a failing rollout early and rolls every service
// of the deploy back to its previous revision.
//
// The verbs follow the project's plan → apply shape:
//
//	e := rollout.New(cfg, os.Stdout)
//	plan, err := e.Plan(ctx, rollout.Input{Cluster: "c", API: "api", Workers: []string{"worker"}, ...})
//	fmt.Print(plan.Text())                  // the dry-run: task-definition diffs and steps
//	res, err := e.Apply(ctx, plan)          // register → one-offs → migrate → roll (→ roll back on failure)
//
// Migrate and Roll are also available on their own, and Rollback returns services to a given revision
// or, by default, to the previous release (never a template, never the commit they run). Everything that reads is in Plan; nothing is registered before Plan has validated
// the cluster, the services and the container name.
package rollout
