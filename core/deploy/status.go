package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/release"
	"bookme-deploy/core/rollout"
)

// Status is which release runs now: the services' task definitions matched to the records, the SPA
// release the client bucket serves, and the env file the running revisions reference.
type Status struct {
	Env string `json:"environment"`
	// Services are what ECS runs now, API first.
	Services []ServiceStatus `json:"services"`
	// SPA is the release manifest's newest entry (nil: no managed release yet).
	SPA *SPAStatus `json:"spa,omitempty"`
	// Release is the release the services run: the newest record naming every service's current
	// revision. Nil when the live state matches no record.
	Release *Release `json:"release,omitempty"`
	// Matches is true when the services and the SPA are exactly Release's.
	Matches bool `json:"matches"`
	// Notes say where the live state departs from the records (changed by hand, a failed roll-back…).
	Notes []string `json:"notes,omitempty"`
}

// ServiceStatus is one service's running revision.
type ServiceStatus struct {
	Service        string `json:"service"`
	TaskDefinition string `json:"taskDefinition"`
	// State is the revision's status (ACTIVE, INACTIVE once deregistered).
	State string `json:"state,omitempty"`
	// Image, EnvFile and GitSHA (the pipeline's commit tag) are read from the revision.
	Image   string `json:"image,omitempty"`
	EnvFile string `json:"envFile,omitempty"`
	GitSHA  string `json:"gitSha,omitempty"`
	// Deploying is set while a deployment of the service is in progress.
	Deploying bool `json:"deploying,omitempty"`
	// Record is the newest record naming this revision for the service ("" when none does).
	Record string `json:"record,omitempty"`
}

// SPAStatus is the SPA release served: the release manifest's newest entry.
type SPAStatus struct {
	Seq          int    `json:"seq"`
	ID           string `json:"id"`
	Digest       string `json:"digest"`
	CreatedAt    string `json:"createdAt,omitempty"`
	RestoredFrom int    `json:"restoredFrom,omitempty"`
	// Record is the newest record whose bundle has this digest ("" when none has).
	Record string `json:"record,omitempty"`
}

// ReleaseStatus reads what runs now (ECS DescribeServices and the revisions, the client bucket's
// release manifest) and matches it to the deploy records. It changes nothing.
func ReleaseStatus(ctx context.Context, p Ports, s Site) (*Status, error) {
	if err := s.check("status", false); err != nil {
		return nil, err
	}
	if p.S3 == nil {
		return nil, fmt.Errorf("status: no S3 client")
	}
	rs, err := History(ctx, p.S3, s.ConfigBucket, s.Env, 0)
	if err != nil {
		return nil, err
	}
	eng := rollout.New(p.AWS, io.Discard, p.RolloutOptions...)
	st, _, err := liveStatus(ctx, eng, p, s, rs)
	return st, err
}

// liveStatus reads the live state and matches it to rs (newest first); it returns the index of the
// release the services run (-1: none).
func liveStatus(ctx context.Context, eng *rollout.Engine, p Ports, s Site, rs []Release) (*Status, int, error) {
	st := &Status{Env: s.Env}
	out, err := eng.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.Cluster), Services: s.Services()})
	if err != nil {
		return nil, -1, fmt.Errorf("status: read the services of %s: %w", s.Cluster, err)
	}
	byName := map[string]ecstypes.Service{}
	for _, svc := range out.Services {
		byName[aws.ToString(svc.ServiceName)] = svc
	}
	live := map[string]string{}
	for _, name := range s.Services() {
		svc, ok := byName[name]
		if !ok {
			return nil, -1, fmt.Errorf("status: service %s is not in cluster %s", name, s.Cluster)
		}
		ss := ServiceStatus{Service: name, TaskDefinition: aws.ToString(svc.TaskDefinition)}
		for _, d := range svc.Deployments {
			if d.RolloutState == ecstypes.DeploymentRolloutStateInProgress {
				ss.Deploying = true
			}
		}
		td, err := eng.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition,
			Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if err != nil {
			st.Notes = append(st.Notes, fmt.Sprintf("service %s: its task definition %s cannot be read: %v", name, ss.TaskDefinition, err))
		} else {
			ss.State = string(td.TaskDefinition.Status)
			ss.Image = rollout.ImageOf(td.TaskDefinition, s.containerOf(td.TaskDefinition))
			ss.EnvFile = EnvFileOf(td.TaskDefinition, s.containerOf(td.TaskDefinition), s.ConfigBucket)
			ss.GitSHA = rollout.GitSHAOf(td.Tags)
		}
		for _, r := range rs {
			if r.Problem == "" && r.TaskDefinitions[name] == ss.TaskDefinition {
				ss.Record = r.Key
				break
			}
		}
		if ss.Record == "" {
			st.Notes = append(st.Notes, fmt.Sprintf("service %s runs %s, which no deploy record names (changed by hand?)", name, shortRevision(ss.TaskDefinition)))
		}
		live[name] = ss.TaskDefinition
		st.Services = append(st.Services, ss)
	}
	running := matchRunning(rs, s.Services(), live)
	if running >= 0 {
		r := rs[running]
		st.Release = &r
	} else {
		st.Notes = append(st.Notes, "the services' revisions together match no deploy record: the live state is not a recorded release")
	}

	hist, err := release.History(ctx, p.S3, s.ClientBucket, "")
	if err != nil {
		return nil, -1, fmt.Errorf("status: %w", err)
	}
	if len(hist) > 0 {
		h := hist[len(hist)-1]
		st.SPA = &SPAStatus{Seq: h.Seq, ID: h.ID, Digest: h.Digest, CreatedAt: h.CreatedAt, RestoredFrom: h.RestoredFrom}
		for _, r := range rs {
			if r.Problem == "" && r.SPA != nil && r.SPA.Digest == h.Digest {
				st.SPA.Record = r.Key
				break
			}
		}
		switch {
		case st.SPA.Record == "":
			st.Notes = append(st.Notes, fmt.Sprintf("the SPA serves bundle %s (release %s), which no deploy record names", shortDigest(h.Digest), h.ID))
		case st.Release != nil && st.Release.SPA != nil && st.Release.SPA.Digest != h.Digest:
			st.Notes = append(st.Notes, fmt.Sprintf("the SPA serves bundle %s, not the bundle %s of the release the services run", shortDigest(h.Digest), shortDigest(st.Release.SPA.Digest)))
		}
	} else {
		st.Notes = append(st.Notes, fmt.Sprintf("s3://%s has no release manifest: no managed SPA release is served", s.ClientBucket))
	}
	if st.Release != nil && st.SPA != nil {
		if rel := st.Release; rel.SPA == nil {
			// The record did not cut the SPA over (same bundle, or not selected): an older record's
			// bundle may still be the release's.
			st.Matches = st.SPA.Record != ""
		} else {
			st.Matches = rel.SPA.Digest == st.SPA.Digest
		}
	}
	if st.Release != nil && st.Release.EnvFileKey != "" {
		for _, ss := range st.Services {
			if ss.EnvFile != "" && ss.EnvFile != st.Release.EnvFileKey {
				st.Matches = false
				st.Notes = append(st.Notes, fmt.Sprintf("service %s references env file %s, the record %s", ss.Service, ss.EnvFile, st.Release.EnvFileKey))
			}
		}
	}
	return st, running, nil
}

// Text is the status for people.
func (st *Status) Text() string {
	var b strings.Builder
	switch {
	case st.Release == nil:
		fmt.Fprintf(&b, "%s runs no recorded release: the live state matches no deploy record (changed by hand?)\n", st.Env)
	case st.Matches:
		fmt.Fprintf(&b, "%s runs release %s (commit %s, %s %s by %s)\n", st.Env, st.Release.Name(), Short(st.Release.GitSHA),
			st.Release.Outcome, st.Release.Started.UTC().Format("2006-01-02 15:04:05Z"), orDash(st.Release.Who))
	default:
		fmt.Fprintf(&b, "%s: the services run release %s (commit %s), but not all of it matches (see the notes)\n", st.Env,
			st.Release.Name(), Short(st.Release.GitSHA))
	}
	for _, s := range st.Services {
		fmt.Fprintf(&b, "  service %s: %s", s.Service, shortRevision(s.TaskDefinition))
		if s.State != "" && s.State != string(ecstypes.TaskDefinitionStatusActive) {
			fmt.Fprintf(&b, " (%s)", s.State)
		}
		if s.Deploying {
			b.WriteString(" (deployment in progress)")
		}
		fmt.Fprintf(&b, " image %s env file %s", orDash(s.Image), orDash(s.EnvFile))
		if s.Record != "" {
			fmt.Fprintf(&b, " [record %s]", strings.TrimSuffix(strings.TrimPrefix(s.Record, RecordsPrefix), ".json"))
		} else {
			b.WriteString(" [no record]")
		}
		b.WriteString("\n")
	}
	if sp := st.SPA; sp != nil {
		fmt.Fprintf(&b, "  SPA: release %s (#%d, bundle %s)", sp.ID, sp.Seq, sp.Digest)
		if sp.RestoredFrom > 0 {
			fmt.Fprintf(&b, " restored from #%d", sp.RestoredFrom)
		}
		if sp.Record != "" {
			fmt.Fprintf(&b, " [record %s]", strings.TrimSuffix(strings.TrimPrefix(sp.Record, RecordsPrefix), ".json"))
		} else {
			b.WriteString(" [no record]")
		}
		b.WriteString("\n")
	}
	for _, n := range st.Notes {
		fmt.Fprintf(&b, "  ! %s\n", n)
	}
	return b.String()
}

// JSON is the status as indented JSON.
func (st *Status) JSON() ([]byte, error) { return json.MarshalIndent(st, "", "  ") }

// containerOf is the application container of a revision: the site's, else the first.
func (s Site) containerOf(td *ecstypes.TaskDefinition) string {
	if s.APIContainer != "" {
		return s.APIContainer
	}
	if len(td.ContainerDefinitions) > 0 {
		return aws.ToString(td.ContainerDefinitions[0].Name)
	}
	return ""
}

// EnvFileOf is the S3 env file a revision's container references: its key when it lives in the
// config bucket, else its ARN ("" when it references none). Several are joined with ", ".
func EnvFileOf(td *ecstypes.TaskDefinition, container, configBucket string) string {
	var out []string
	for _, c := range td.ContainerDefinitions {
		if container != "" && aws.ToString(c.Name) != container {
			continue
		}
		for _, f := range c.EnvironmentFiles {
			v := aws.ToString(f.Value)
			if rest, ok := strings.CutPrefix(v, "arn:aws:s3:::"); ok {
				if bucket, key, ok := strings.Cut(rest, "/"); ok && bucket == configBucket {
					v = key
				}
			}
			out = append(out, v)
		}
	}
	return strings.Join(out, ", ")
}
