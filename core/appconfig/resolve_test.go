package appconfig

import (
	"reflect"
	"testing"
	"time"

	"bookme-deploy/core/deploy"
	"bookme-deploy/core/stack"
)

const overrides = `client:
  env:
    API: "https://{api_domain_name}"
    BANNER: "off"
releases:
  keep: 4
timeouts:
  rollout: 30m
  smoke: 5m
smoke:
  api: {path: /healthz}
environments:
  staging:
    client:
      env:
        BANNER: "on"
        STAGE: "{env}"
    releases: {keep: 1}
    timeouts: {rollout: 10m}
    smoke: {api: {status: 204}}
  production: {}
`

func TestEnvironmentOverrides(t *testing.T) {
	staging, err := Load(FileName, []byte(overrides), "staging")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := Load(FileName, []byte(overrides), "production")
	if err != nil {
		t.Fatal(err)
	}
	other, err := Load(FileName, []byte(overrides), "qa")
	if err != nil {
		t.Fatal(err)
	}
	if staging.Releases.Keep != 1 || prod.Releases.Keep != 4 || other.Releases.Keep != 4 {
		t.Errorf("keep %d/%d/%d, want 1/4/4", staging.Releases.Keep, prod.Releases.Keep, other.Releases.Keep)
	}
	if staging.Timeouts.Rollout.D() != 10*time.Minute || prod.Timeouts.Rollout.D() != 30*time.Minute {
		t.Errorf("rollout %s/%s", staging.Timeouts.Rollout.D(), prod.Timeouts.Rollout.D())
	}
	// unset in the override: the file's, then the default
	if staging.Timeouts.Smoke.D() != 5*time.Minute || staging.Timeouts.Lock.D() != 10*time.Minute {
		t.Errorf("smoke %s lock %s", staging.Timeouts.Smoke.D(), staging.Timeouts.Lock.D())
	}
	// smoke merged field by field
	if staging.Smoke.API.Path != "/healthz" || staging.Smoke.API.Status != 204 || prod.Smoke.API.Status != 200 {
		t.Errorf("smoke staging %+v production %+v", staging.Smoke.API, prod.Smoke.API)
	}
	// client env: the file's replaces the defaults (no VITE_* left); the environment's merges key by key
	fe := &stack.Frontend{APIDomainName: "api.example.com"}
	se, err := staging.ClientEnv(fe)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"API": "https://api.example.com", "BANNER": "on", "STAGE": "staging"}; !reflect.DeepEqual(se, want) {
		t.Errorf("staging env %v, want %v", se, want)
	}
	pe, _ := prod.ClientEnv(fe)
	if want := map[string]string{"API": "https://api.example.com", "BANNER": "off"}; !reflect.DeepEqual(pe, want) {
		t.Errorf("production env %v, want %v", pe, want)
	}
	// onto deploy.Config
	dc := staging.DeployConfig(deploy.Config{})
	if dc.KeepReleases != 1 || dc.Timeouts.Rollout.Timeout != 10*time.Minute || dc.App.Smoke.APIStatus != 204 {
		t.Errorf("deploy config %+v", dc)
	}
	// the override did not leak into the document
	if again, _ := Load(FileName, []byte(overrides), "production"); again.Releases.Keep != 4 {
		t.Error("resolving staging changed production")
	}
}

// A poll interval longer than its wait is caught in the environment where the two meet.
func TestResolvedConflictNamesTheEnvironmentField(t *testing.T) {
	data := "timeouts:\n  rollout_poll: 1m\nenvironments:\n  staging:\n    timeouts:\n      rollout: 30s\n"
	_, err := Load(FileName, []byte(data), "production")
	want := "bookme-deploy.yaml:6: environments.staging.timeouts.rollout: timeouts.rollout_poll (1m0s) must be shorter than timeouts.rollout (30s) in staging"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
