package rollout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// DefaultMigrationCommand is the command override of the migration task: migrate, then collect static
// files, stopping at the first failure.
var DefaultMigrationCommand = []string{"sh", "-c",
	"python manage.py migrate --noinput && python manage.py collectstatic --noinput"}

// Defaults of Settings.
const (
	DefaultPollInterval   = 5 * time.Second
	DefaultTimeout        = 15 * time.Minute
	DefaultMaxFailedTasks = 3
	DefaultLogLines       = 20
	// MinWorkerStopTimeout is the stopTimeout below which the plan warns for a Celery worker.
	MinWorkerStopTimeout = 60
)

// Engine runs plans against one ECS account/region. Build it with New; tests may swap Clock.
type Engine struct {
	// ECS and Logs are the AWS clients (CloudWatch Logs is read only, for the last log lines).
	ECS  *ecs.Client
	Logs *cloudwatchlogs.Client
	// Out receives progress: one line per change. Nil discards it.
	Out io.Writer
	// Clock is the source of time for polling and timeouts (WallClock when nil).
	Clock Clock
}

// New returns an Engine using cfg for ECS and CloudWatch Logs and writing progress to out. Options
// (WithHTTPClient; core/emulator.RolloutOptions for moto) adapt it to an emulator.
func New(cfg aws.Config, out io.Writer, opts ...Option) *Engine {
	for _, o := range opts {
		o(&cfg)
	}
	return &Engine{ECS: ecs.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg), Out: out, Clock: WallClock{}}
}

// Settings tune waiting and failure detection. Zero values take the defaults.
type Settings struct {
	// PollInterval between DescribeServices/DescribeTasks calls (default 5 s).
	PollInterval time.Duration `json:"pollInterval"`
	// Timeout for each one-off task (the migration and Input.Before's) and for the roll (and again for
	// a roll-back) (default 15 min).
	Timeout time.Duration `json:"timeout"`
	// MaxFailedTasks of our revision that stopped with an error before we call the roll failed (default 3).
	MaxFailedTasks int `json:"maxFailedTasks"`
	// LogLines is how many last log lines are shown for a failed task (default 20).
	LogLines int `json:"logLines"`
}

func (s Settings) withDefaults() Settings {
	if s.PollInterval <= 0 {
		s.PollInterval = DefaultPollInterval
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	if s.MaxFailedTasks <= 0 {
		s.MaxFailedTasks = DefaultMaxFailedTasks
	}
	if s.LogLines <= 0 {
		s.LogLines = DefaultLogLines
	}
	return s
}

// Migration configures the one-off migration task.
type Migration struct {
	// Skip runs no migration task (the one-offs of Input.Before still run).
	Skip bool `json:"skip,omitempty"`
	// Command overrides the container's command (default DefaultMigrationCommand).
	Command []string `json:"command,omitempty"`
	// Family, when set, is a separate task-definition family for the migration: a new revision of its
	// latest revision is rendered with the same image change. Empty: the API's new revision is used.
	Family string `json:"family,omitempty"`
}

// Input is what a deploy asks for.
type Input struct {
	// Cluster is the ECS cluster name or ARN.
	Cluster string
	// API is the Django API service; the migration runs on its subnets and security groups.
	API string
	// Workers are the Celery worker services (the plan warns about a short stopTimeout).
	Workers []string
	// Container is the name of the application container in every service's task definition.
	Container string
	// Image is the new image as a digest reference, repo@sha256:<64 hex>.
	Image string
	// GitSHA is recorded in the new revisions' tags.
	GitSHA string
	// Templates maps a task-definition family to OpenTofu's current revision of it (ARN or
	// family:revision; the backend stack's output task_definition_templates, core/stack
	// Backend.Templates). Every revision of the release is rendered from its family's template —
	// OpenTofu's cpu, memory, command, stop timeout, environment, secrets, log configuration —
	// with only the release fields (image, environment files, commit tag) replaced, so an infra
	// change reaches the services with the next deploy and shows in the plan's diff. When set, every
	// family the deploy renders (services, migration, one-offs) must be in it. Nil: the legacy
	// render from the revision each service runs (a family's latest revision for one-offs), with a
	// plan warning.
	Templates map[string]string
	// EnvironmentFiles and Secrets replace the container's ones when not nil (the pipeline passes the
	// release's env file; secrets are OpenTofu's).
	EnvironmentFiles []ecstypes.EnvironmentFile
	Secrets          []ecstypes.Secret
	// Migration configures the migration task.
	Migration Migration
	// Before are one-off tasks run, in order, before the migration (e.g. the database bootstrap).
	// Migration.Skip does not skip them; leave one out of Before to skip it.
	Before []OneOff
	// Settings tune waiting and failure detection.
	Settings Settings
}

// Role of a service in the deploy.
const (
	RoleAPI    = "api"
	RoleWorker = "worker"
)

// ServicePlan is what happens to one service.
type ServicePlan struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// CurrentTaskDefinition is the ARN the service runs now (the roll-back target).
	CurrentTaskDefinition string `json:"currentTaskDefinition"`
	// Template is the revision the new one is rendered from (OpenTofu's template; the current
	// revision without Input.Templates).
	Template     string `json:"template,omitempty"`
	CurrentImage string `json:"currentImage"`
	DesiredCount int32  `json:"desiredCount"`
	// Changed is false when the service already runs what the release renders (same image, same
	// template content): nothing is registered or rolled.
	Changed bool `json:"changed"`
	// Diff is the readable difference between the running and the new revision (empty when
	// unchanged): the image, the env file, the commit tag and every infra change of the template.
	Diff string `json:"diff,omitempty"`
	// Register is the input of the new revision (nil when unchanged).
	Register *ecs.RegisterTaskDefinitionInput `json:"-"`
}

// TaskNetwork is where a one-off task runs: the API service's awsvpc configuration, platform version
// and capacity provider strategy (its JSON fields are inlined where it is embedded).
type TaskNetwork struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
	AssignPublicIP string   `json:"assignPublicIp"`
	// PlatformVersion and CapacityProviderStrategy are the API service's.
	PlatformVersion          string                                  `json:"platformVersion,omitempty"`
	CapacityProviderStrategy []ecstypes.CapacityProviderStrategyItem `json:"-"`
}

// MigrationPlan is the migration task that runs before any service changes.
type MigrationPlan struct {
	// Family is the task-definition family the task runs (the API's, or Migration.Family).
	Family string `json:"family"`
	// Diff is shown only for a separate migration family.
	Diff string `json:"diff,omitempty"`
	// Template is the revision a separate migration family's new revision is rendered from.
	Template string   `json:"template,omitempty"`
	Command  []string `json:"command"`
	// TaskNetwork is the API service's network configuration.
	TaskNetwork
	// Register is the new revision of a separate migration family (nil: the API's new revision is used).
	Register *ecs.RegisterTaskDefinitionInput `json:"-"`
	// current is the migration family's current revision when Register is nil and the API is unchanged.
	current string
}

// Plan is everything a deploy will do, computed from reads only.
type Plan struct {
	Cluster   string         `json:"cluster"`
	Container string         `json:"container"`
	Image     string         `json:"image"`
	GitSHA    string         `json:"gitSha"`
	Services  []*ServicePlan `json:"services"`
	// Before are the one-off tasks run, in order, before the migration (empty when nothing changes).
	Before []*OneOffPlan `json:"before,omitempty"`
	// Migration is nil when skipped or when nothing changes.
	Migration *MigrationPlan `json:"migration,omitempty"`
	Settings  Settings       `json:"settings"`
	Warnings  []string       `json:"warnings,omitempty"`
	// NoOp is true when every service already runs what the release renders: Apply registers and
	// rolls nothing.
	NoOp bool `json:"noOp"`
	// Templates are the Input's (family → OpenTofu's template revision).
	Templates map[string]string `json:"templates,omitempty"`
	// EnvironmentFiles and Secrets are the Input's (nil: kept as they are).
	EnvironmentFiles []ecstypes.EnvironmentFile `json:"environmentFiles,omitempty"`
	Secrets          []ecstypes.Secret          `json:"secrets,omitempty"`
}

// Change returns the change every new revision applies.
func (p *Plan) Change() Change {
	return Change{Container: p.Container, Image: p.Image, GitSHA: p.GitSHA, EnvironmentFiles: p.EnvironmentFiles, Secrets: p.Secrets}
}

// Plan reads the services and their current task definitions, validates the input and renders the new
// revisions. It changes nothing in AWS.
func (e *Engine) Plan(ctx context.Context, in Input) (*Plan, error) {
	switch {
	case strings.TrimSpace(in.Cluster) == "":
		return nil, errors.New("rollout: cluster is empty: pass the ECS cluster name (stack output)")
	case strings.TrimSpace(in.API) == "":
		return nil, errors.New("rollout: API service is empty: pass the ECS service name of the Django API")
	case strings.TrimSpace(in.Container) == "":
		return nil, errors.New("rollout: container name is empty: pass the application container's name")
	case strings.TrimSpace(in.GitSHA) == "":
		return nil, errors.New("rollout: git SHA is empty: pass the commit the image was built from")
	}
	if err := CheckImage(in.Image); err != nil {
		return nil, err
	}
	if err := validateOneOffs(in.Before); err != nil {
		return nil, err
	}
	ch := Change{Container: in.Container, Image: in.Image, GitSHA: in.GitSHA, EnvironmentFiles: in.EnvironmentFiles, Secrets: in.Secrets}
	p := &Plan{Cluster: in.Cluster, Container: in.Container, Image: in.Image, GitSHA: in.GitSHA,
		Settings: in.Settings.withDefaults(), EnvironmentFiles: in.EnvironmentFiles, Secrets: in.Secrets,
		Templates: in.Templates}
	if in.Templates == nil {
		p.Warnings = append(p.Warnings, "no OpenTofu templates given: the new revisions are rendered from the revisions the services run, so changes made in infra/ do not reach them (pass the backend stack's task_definition_templates)")
	}

	names := append([]string{in.API}, in.Workers...)
	svcs, err := e.describeServices(ctx, in.Cluster, names)
	if err != nil {
		return nil, err
	}
	var apiSvc ecstypes.Service
	for i, name := range names {
		svc := svcs[i]
		role := RoleWorker
		if i == 0 {
			role, apiSvc = RoleAPI, svc
		}
		td, tags, err := e.describeTaskDefinition(ctx, aws.ToString(svc.TaskDefinition))
		if err != nil {
			return nil, err
		}
		src, srcTags, err := e.templateOf(ctx, in.Templates, aws.ToString(td.Family), td, tags, "service "+name)
		if err != nil {
			return nil, err
		}
		reg, _, err := Render(src, srcTags, ch)
		if err != nil {
			return nil, fmt.Errorf("%w (service %s)", err, name)
		}
		running := RegisterInputOf(td, tags)
		changed := !SameContent(running, reg)
		sp := &ServicePlan{Name: name, Role: role, CurrentTaskDefinition: aws.ToString(td.TaskDefinitionArn),
			Template: aws.ToString(src.TaskDefinitionArn), CurrentImage: ImageOf(td, in.Container),
			DesiredCount: svc.DesiredCount, Changed: changed}
		if changed {
			sp.Register = reg
			sp.Diff = Diff(running, reg)
		}
		p.Services = append(p.Services, sp)
		if role == RoleWorker {
			if st := stopTimeoutOf(src, in.Container); st < MinWorkerStopTimeout {
				p.Warnings = append(p.Warnings, fmt.Sprintf(
					"worker %s: container %s has stopTimeout %s; set it to ≥ %d s in its task definition so a rollout does not kill in-flight Celery tasks",
					name, in.Container, describeStopTimeout(st), MinWorkerStopTimeout))
			}
		}
		if d := primaryDeployment(svc); d != nil && d.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
			p.Warnings = append(p.Warnings, fmt.Sprintf("service %s has a deployment in progress (%s); this deploy will replace it",
				name, aws.ToString(d.Id)))
		}
	}
	p.NoOp = true
	for _, s := range p.Services {
		if s.Changed {
			p.NoOp = false
		}
	}
	if p.NoOp || (in.Migration.Skip && len(in.Before) == 0) {
		return p, nil
	}
	nw, err := networkOf(in.API, apiSvc)
	if err != nil {
		return nil, err
	}
	if p.Before, err = e.planOneOffs(ctx, in.Before, nw, p); err != nil {
		return nil, err
	}
	if in.Migration.Skip {
		return p, nil
	}
	mp, err := e.planMigration(ctx, in, nw, p)
	if err != nil {
		return nil, err
	}
	p.Migration = mp
	return p, nil
}

// networkOf returns the API service's network configuration, which every one-off task (the migration
// included) runs with.
func networkOf(apiName string, api ecstypes.Service) (TaskNetwork, error) {
	nc := api.NetworkConfiguration
	if nc == nil || nc.AwsvpcConfiguration == nil || len(nc.AwsvpcConfiguration.Subnets) == 0 {
		return TaskNetwork{}, fmt.Errorf("rollout: service %s has no awsvpc network configuration (subnets): one-off tasks (the migration) need the API's subnets and security groups", apiName)
	}
	nw := TaskNetwork{Subnets: nc.AwsvpcConfiguration.Subnets, SecurityGroups: nc.AwsvpcConfiguration.SecurityGroups,
		AssignPublicIP: string(nc.AwsvpcConfiguration.AssignPublicIp), PlatformVersion: aws.ToString(api.PlatformVersion),
		CapacityProviderStrategy: api.CapacityProviderStrategy}
	if nw.AssignPublicIP == "" {
		nw.AssignPublicIP = string(ecstypes.AssignPublicIpDisabled)
	}
	return nw, nil
}

func (e *Engine) planMigration(ctx context.Context, in Input, nw TaskNetwork, p *Plan) (*MigrationPlan, error) {
	cmd := in.Migration.Command
	if len(cmd) == 0 {
		cmd = DefaultMigrationCommand
	}
	mp := &MigrationPlan{Command: cmd, TaskNetwork: nw}
	if in.Migration.Family == "" {
		apiPlan := p.Services[0]
		mp.Family = familyOf(apiPlan.CurrentTaskDefinition)
		mp.current = apiPlan.CurrentTaskDefinition
		return mp, nil
	}
	fam, err := e.renderFamily(ctx, in.Migration.Family, p.Templates, p.Change(), "migration family "+in.Migration.Family)
	if err != nil {
		return nil, err
	}
	mp.Family, mp.Register, mp.Diff, mp.current, mp.Template = fam.family, fam.register, fam.diff, fam.current, fam.template
	return mp, nil
}

// renderedFamily is a separate task-definition family rendered with the deploy's change.
type renderedFamily struct {
	family, diff, current, template string
	register                        *ecs.RegisterTaskDefinitionInput
}

// renderFamily renders the new revision of family with ch from its template (templates; without
// templates, from its latest revision); the diff is against the family's latest revision, which
// Register reuses when it is identical. what names the family in errors ("migration family x",
// "one-off db-bootstrap (family x)").
func (e *Engine) renderFamily(ctx context.Context, family string, templates map[string]string, ch Change, what string) (renderedFamily, error) {
	td, tags, err := e.describeTaskDefinition(ctx, family)
	if err != nil {
		return renderedFamily{}, fmt.Errorf("%w (%s)", err, what)
	}
	src, srcTags, err := e.templateOf(ctx, templates, aws.ToString(td.Family), td, tags, what)
	if err != nil {
		return renderedFamily{}, err
	}
	reg, _, err := Render(src, srcTags, ch)
	if err != nil {
		return renderedFamily{}, fmt.Errorf("%w (%s)", err, what)
	}
	return renderedFamily{family: aws.ToString(td.Family), register: reg, diff: Diff(RegisterInputOf(td, tags), reg),
		current: aws.ToString(td.TaskDefinitionArn), template: aws.ToString(src.TaskDefinitionArn)}, nil
}

// templateOf returns the revision a release of family is rendered from: OpenTofu's template named in
// templates, or — without templates — fallback (the running or latest revision). A template must be
// a revision of family; a family missing from non-nil templates is an error.
func (e *Engine) templateOf(ctx context.Context, templates map[string]string, family string, fallback *ecstypes.TaskDefinition,
	fallbackTags []ecstypes.Tag, what string) (*ecstypes.TaskDefinition, []ecstypes.Tag, error) {
	if templates == nil {
		return fallback, fallbackTags, nil
	}
	ref := templates[family]
	if strings.TrimSpace(ref) == "" {
		return nil, nil, fmt.Errorf("rollout: no OpenTofu template for task-definition family %s (%s): the backend stack's output task_definition_templates names none — apply infra/stacks/backend from this revision", family, what)
	}
	if familyOf(ref) != family {
		return nil, nil, fmt.Errorf("rollout: the template of family %s is %s, a revision of another family (%s)", family, ref, what)
	}
	td, tags, err := e.describeTaskDefinition(ctx, ref)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (template of %s)", err, what)
	}
	return td, tags, nil
}

// Text prints the plan as the dry-run shows it: per service the task-definition diff, the warnings and
// the steps Apply will take.
func (p *Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollout plan: cluster %s, container %s, image %s (git %s)\n", p.Cluster, p.Container, p.Image, p.GitSHA)
	for _, s := range p.Services {
		if !s.Changed {
			fmt.Fprintf(&b, "service %s (%s): unchanged, already runs %s (%s)\n", s.Name, s.Role, s.CurrentImage, s.CurrentTaskDefinition)
			continue
		}
		fmt.Fprintf(&b, "service %s (%s): %s → new revision of %s%s, desired %d\n%s", s.Name, s.Role, s.CurrentTaskDefinition,
			familyOf(s.CurrentTaskDefinition), fromTemplate(p.Templates, s.Template), s.DesiredCount, s.Diff)
	}
	for _, o := range p.Before {
		fmt.Fprintf(&b, "one-off %s: family %s → %s%s\n%s", o.Name, o.Family, revisionWord(o.Diff), fromTemplate(p.Templates, o.Template), o.Diff)
	}
	if p.Migration != nil && p.Migration.Register != nil {
		fmt.Fprintf(&b, "migration family %s: → new revision%s\n%s", p.Migration.Family, fromTemplate(p.Templates, p.Migration.Template), p.Migration.Diff)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if p.NoOp {
		b.WriteString("nothing to do: every service already runs this image and its template's content (no revision is registered, no service is rolled)\n")
		return b.String()
	}
	st := p.Settings
	var changed []string
	for _, s := range p.Services {
		if s.Changed {
			changed = append(changed, s.Name)
		}
	}
	b.WriteString("steps:\n")
	n := 1
	regs := strings.Join(changed, ", ")
	for _, o := range p.Before {
		regs += fmt.Sprintf("; family %s (one-off %s)", o.Family, o.Name)
	}
	if m := p.Migration; m != nil && m.Register != nil {
		regs += fmt.Sprintf("; family %s (migration)", m.Family)
	}
	fmt.Fprintf(&b, "  %d. register new task-definition revisions for %s (tag %s=%s; an identical latest revision is reused)\n", n, regs, GitSHATag, p.GitSHA)
	n++
	for _, o := range p.Before {
		fmt.Fprintf(&b, "  %d. one-off %s: run one Fargate task of %s (new revision) with command %q%s on subnets %s, security groups %s;\n"+
			"     wait for STOPPED (timeout %s) and require exit code 0 of container %s, else stop before the migration and any service changes\n",
			n, o.Name, o.Family, strings.Join(o.Command, " "), envNames(o.Environment), strings.Join(o.Subnets, ","),
			strings.Join(o.SecurityGroups, ","), st.Timeout, p.Container)
		n++
	}
	if m := p.Migration; m != nil {
		fmt.Fprintf(&b, "  %d. run one Fargate task of %s (new revision) with command %q on subnets %s, security groups %s;\n"+
			"     wait for STOPPED (timeout %s) and require exit code 0 of container %s, else stop before any service changes\n",
			n, m.Family, strings.Join(m.Command, " "), strings.Join(m.Subnets, ","), strings.Join(m.SecurityGroups, ","), st.Timeout, p.Container)
		n++
	} else {
		fmt.Fprintf(&b, "  %d. no migration task (skipped)\n", n)
		n++
	}
	fmt.Fprintf(&b, "  %d. update %s in parallel to the new revisions and follow our deployments by ID (poll every %s)\n", n, strings.Join(changed, ", "), st.PollInterval)
	n++
	fmt.Fprintf(&b, "  %d. success: each deployment COMPLETED with running = desired; failure: a deployment FAILED, %d tasks of the new revision stopped with errors, or %s passed\n",
		n, st.MaxFailedTasks, st.Timeout)
	n++
	fmt.Fprintf(&b, "  %d. on failure: show stopped tasks' reasons, service events and last %d log lines, roll every service back to its current revision (unless ECS's circuit breaker already did) and wait for it\n",
		n, st.LogLines)
	return b.String()
}

// fromTemplate names the template a revision is rendered from, for Text.
func fromTemplate(templates map[string]string, template string) string {
	if templates == nil || template == "" {
		return ""
	}
	return " from OpenTofu's template " + shortTD(template)
}

func (e *Engine) describeServices(ctx context.Context, cluster string, names []string) ([]ecstypes.Service, error) {
	out, err := e.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: names})
	if err != nil {
		return nil, explain(err, "describe services in cluster "+cluster)
	}
	byName := map[string]ecstypes.Service{}
	for _, s := range out.Services {
		byName[aws.ToString(s.ServiceName)] = s
		byName[aws.ToString(s.ServiceArn)] = s
	}
	res := make([]ecstypes.Service, len(names))
	for i, n := range names {
		s, ok := byName[n]
		if !ok || aws.ToString(s.Status) == "INACTIVE" {
			return nil, fmt.Errorf("rollout: service %q not found in cluster %q: check the service name (stack output)", n, cluster)
		}
		if aws.ToString(s.TaskDefinition) == "" {
			return nil, fmt.Errorf("rollout: service %q has no task definition", n)
		}
		res[i] = s
	}
	return res, nil
}

func (e *Engine) describeTaskDefinition(ctx context.Context, ref string) (*ecstypes.TaskDefinition, []ecstypes.Tag, error) {
	out, err := e.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(ref), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		return nil, nil, explain(err, "describe task definition "+ref)
	}
	if out.TaskDefinition == nil {
		return nil, nil, fmt.Errorf("rollout: task definition %s not found", ref)
	}
	return out.TaskDefinition, out.Tags, nil
}

// explain turns an AWS error into one line that says what to do.
// credentialsExpired is core/awsconf's ExpiredError (every config of awsconf turns an expired
// session's error into one, with a message that says so); not imported, as awsconf's own tests
// import packages that import this one.
type credentialsExpired interface {
	error
	CredentialsExpired()
}

func explain(err error, what string) error {
	var ce credentialsExpired
	if errors.As(err, &ce) {
		return &explained{msg: fmt.Sprintf("rollout: %s: %v", what, ce), err: err}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		var msg string
		switch ae.ErrorCode() {
		case "ClusterNotFoundException":
			msg = fmt.Sprintf("rollout: %s: cluster not found: check the cluster name and region", what)
		case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
			msg = fmt.Sprintf("rollout: %s: permission denied (%s): grant the deploy role this ECS/Logs action", what, ae.ErrorMessage())
		case "ServiceNotFoundException":
			msg = fmt.Sprintf("rollout: %s: service not found: check the service name", what)
		default:
			msg = fmt.Sprintf("rollout: %s: %s: %s", what, ae.ErrorCode(), ae.ErrorMessage())
		}
		return &explained{msg: msg, err: err}
	}
	return fmt.Errorf("rollout: %s: %w", what, err)
}

func primaryDeployment(s ecstypes.Service) *ecstypes.Deployment {
	for i := range s.Deployments {
		if aws.ToString(s.Deployments[i].Status) == "PRIMARY" {
			return &s.Deployments[i]
		}
	}
	return nil
}

func stopTimeoutOf(td *ecstypes.TaskDefinition, container string) int32 {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == container {
			return aws.ToInt32(c.StopTimeout)
		}
	}
	return 0
}

func describeStopTimeout(s int32) string {
	if s == 0 {
		return "unset (ECS default 30 s)"
	}
	return fmt.Sprintf("%d s", s)
}

// familyOf returns "family" of "arn:…:task-definition/family:7" or "family:7".
func familyOf(td string) string {
	if i := strings.LastIndex(td, "/"); i >= 0 {
		td = td[i+1:]
	}
	if i := strings.LastIndex(td, ":"); i >= 0 {
		td = td[:i]
	}
	return td
}

// shortTD returns "family:7" of a task-definition ARN.
func shortTD(td string) string {
	if i := strings.LastIndex(td, "/"); i >= 0 {
		return td[i+1:]
	}
	return td
}
