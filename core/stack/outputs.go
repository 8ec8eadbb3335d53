// Package stack is the Go side of the contract with the OpenTofu stacks in infra/: it turns
// `tofu output -json` into typed values per stack (Base, Backend, Frontend), builds the variables
// one stack passes to the next, and summarises `tofu show -json <planfile>` for people and the
// deploy record. It runs no tofu itself: callers hand it the JSON.
package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Base holds the outputs of infra/stacks/base that the pipeline reads.
type Base struct {
	Region                 string   `json:"region" output:"region"`
	VPCID                  string   `json:"vpc_id" output:"vpc_id"`
	PublicSubnetIDs        []string `json:"public_subnet_ids" output:"public_subnet_ids"`
	PrivateSubnetIDs       []string `json:"private_subnet_ids" output:"private_subnet_ids"`
	AppSecurityGroupID     string   `json:"app_security_group_id" output:"app_security_group_id"`
	ECRRepositoryURL       string   `json:"ecr_repository_url" output:"ecr_repository_url"`
	ECRRepositoryName      string   `json:"ecr_repository_name" output:"ecr_repository_name"`
	ECRRepositoryARN       string   `json:"ecr_repository_arn" output:"ecr_repository_arn"`
	ConfigBucket           string   `json:"config_bucket" output:"config_bucket"`
	StaticBucket           string   `json:"static_bucket" output:"static_bucket"`
	StaticBucketDomainName string   `json:"static_bucket_domain_name" output:"static_bucket_domain_name"`
	DBHost                 string   `json:"db_host" output:"db_host"`
	DBPort                 int      `json:"db_port" output:"db_port"`
	DBName                 string   `json:"db_name" output:"db_name"`
	DBMasterUsername       string   `json:"db_master_username" output:"db_master_username"`
	DBSecretARN            string   `json:"db_secret_arn" output:"db_secret_arn"`
	RedisHost              string   `json:"redis_host" output:"redis_host"`
	RedisPort              int      `json:"redis_port" output:"redis_port"`
	RedisSecretARN         string   `json:"redis_secret_arn" output:"redis_secret_arn"`
	AppSecretARN           string   `json:"app_secret_arn" output:"app_secret_arn"`
	BastionInstanceID      string   `json:"bastion_instance_id" output:"bastion_instance_id,optional"`
}

// Backend holds the outputs of infra/stacks/backend that the pipeline reads.
type Backend struct {
	ClusterName          string   `json:"cluster_name" output:"cluster_name"`
	APIServiceName       string   `json:"api_service_name" output:"api_service_name"`
	WorkerServiceName    string   `json:"worker_service_name" output:"worker_service_name"`
	APITaskFamily        string   `json:"api_task_family" output:"api_task_family"`
	WorkerTaskFamily     string   `json:"worker_task_family" output:"worker_task_family"`
	MigrateTaskFamily    string   `json:"migrate_task_family" output:"migrate_task_family"`
	ShellTaskFamily      string   `json:"shell_task_family" output:"shell_task_family"`
	APIContainerName     string   `json:"api_container_name" output:"api_container_name"`
	WorkerContainerName  string   `json:"worker_container_name" output:"worker_container_name"`
	MigrateContainerName string   `json:"migrate_container_name" output:"migrate_container_name"`
	ShellContainerName   string   `json:"shell_container_name" output:"shell_container_name"`
	TaskSubnetIDs        []string `json:"task_subnet_ids" output:"task_subnet_ids"`
	TaskSecurityGroupIDs []string `json:"task_security_group_ids" output:"task_security_group_ids"`
	APILogGroup          string   `json:"api_log_group" output:"api_log_group"`
	WorkerLogGroup       string   `json:"worker_log_group" output:"worker_log_group"`
	MigrateLogGroup      string   `json:"migrate_log_group" output:"migrate_log_group"`
	ShellLogGroup        string   `json:"shell_log_group" output:"shell_log_group"`
	APIDomainName        string   `json:"api_domain_name" output:"api_domain_name"`
	APIURL               string   `json:"api_url" output:"api_url"`
	ALBDNSName           string   `json:"alb_dns_name" output:"alb_dns_name"`
	TargetGroupARN       string   `json:"target_group_arn" output:"target_group_arn"`
	ConfigBucket         string   `json:"config_bucket" output:"config_bucket"`
	EnvFileKey           string   `json:"env_file_key" output:"env_file_key"`
	// TaskDefinitionTemplates maps a role (TemplateAPI, TemplateWorker, TemplateMigrate,
	// TemplateShell) to the ARN of OpenTofu's current revision of that family: the template every
	// release's revisions are rendered from (see Templates).
	TaskDefinitionTemplates map[string]string `json:"task_definition_templates" output:"task_definition_templates"`
}

// The keys of the backend output task_definition_templates: one per task-definition family.
const (
	TemplateAPI     = "api"
	TemplateWorker  = "worker"
	TemplateMigrate = "migrate"
	TemplateShell   = "shell"
)

// templateFamilies pairs each template key with the family output it must be a revision of.
func (b *Backend) templateFamilies() [][2]string {
	return [][2]string{{TemplateAPI, b.APITaskFamily}, {TemplateWorker, b.WorkerTaskFamily},
		{TemplateMigrate, b.MigrateTaskFamily}, {TemplateShell, b.ShellTaskFamily}}
}

// Templates maps each task-definition family to OpenTofu's template revision of it (the form
// core/rollout's Input.Templates takes).
func (b *Backend) Templates() map[string]string {
	out := map[string]string{}
	for _, kf := range b.templateFamilies() {
		out[kf[1]] = b.TaskDefinitionTemplates[kf[0]]
	}
	return out
}

// checkTemplates requires one template ARN per family, each a revision of that family.
func (b *Backend) checkTemplates() error {
	var bad []string
	for _, kf := range b.templateFamilies() {
		arn := b.TaskDefinitionTemplates[kf[0]]
		switch {
		case strings.TrimSpace(arn) == "":
			bad = append(bad, fmt.Sprintf("no %q entry", kf[0]))
		case revisionFamily(arn) != kf[1]:
			bad = append(bad, fmt.Sprintf("%q is %s, not a revision of family %s", kf[0], arn, kf[1]))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("stack: backend: malformed output task_definition_templates: %s — apply infra/stacks/backend from this revision, then pass `tofu output -json` again",
		strings.Join(bad, "; "))
}

// revisionFamily returns "family" of "arn:…:task-definition/family:7" ("" when there is no revision).
func revisionFamily(arn string) string {
	ref := arn[strings.LastIndex(arn, "/")+1:]
	i := strings.LastIndex(ref, ":")
	if i < 0 || !strings.Contains(arn, ":task-definition/") {
		return ""
	}
	return ref[:i]
}

// Frontend holds the outputs of infra/stacks/frontend that the pipeline reads.
type Frontend struct {
	ClientBucket           string `json:"client_bucket" output:"client_bucket"`
	DistributionID         string `json:"distribution_id" output:"distribution_id"`
	DistributionDomainName string `json:"distribution_domain_name" output:"distribution_domain_name"`
	ClientDomainName       string `json:"client_domain_name" output:"client_domain_name"`
	ClientURL              string `json:"client_url" output:"client_url"`
	APIDomainName          string `json:"api_domain_name" output:"api_domain_name"`
}

// ParseBase reads `tofu output -json` of the base stack.
func ParseBase(data []byte) (*Base, error) {
	var b Base
	if err := ParseOutputs("base", data, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// ParseBackend reads `tofu output -json` of the backend stack.
func ParseBackend(data []byte) (*Backend, error) {
	var b Backend
	if err := ParseOutputs("backend", data, &b); err != nil {
		return nil, err
	}
	if err := b.checkTemplates(); err != nil {
		return nil, err
	}
	return &b, nil
}

// ParseFrontend reads `tofu output -json` of the frontend stack.
func ParseFrontend(data []byte) (*Frontend, error) {
	var f Frontend
	if err := ParseOutputs("frontend", data, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// tofuOutput is one entry of `tofu output -json`.
type tofuOutput struct {
	Sensitive bool            `json:"sensitive"`
	Value     json.RawMessage `json:"value"`
}

// ParseOutputs fills dst (a pointer to a struct whose fields carry `output:"name"` tags; string,
// []string, map[string]string and int fields) from `tofu output -json`. Every tagged output must be present and
// non-empty unless the tag says ",optional"; the error names all missing or malformed outputs of
// stackName at once. Outputs not named by a tag are ignored.
func ParseOutputs(stackName string, data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("stack: ParseOutputs needs a pointer to a struct, got %T", dst)
	}
	var raw map[string]tofuOutput
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("stack: %s outputs are not the JSON of `tofu output -json`: %v", stackName, err)
	}
	var missing, bad []string
	sv := rv.Elem()
	st := sv.Type()
	for i := 0; i < st.NumField(); i++ {
		tag := st.Field(i).Tag.Get("output")
		if tag == "" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		optional := opts == "optional"
		out, ok := raw[name]
		if !ok || len(out.Value) == 0 || string(out.Value) == "null" {
			if !optional {
				missing = append(missing, name)
			}
			continue
		}
		field := sv.Field(i)
		if err := json.Unmarshal(out.Value, field.Addr().Interface()); err != nil {
			bad = append(bad, fmt.Sprintf("%s (want %s: %v)", name, kindName(field.Type()), shortErr(err)))
			continue
		}
		if !optional && isEmpty(field) {
			missing = append(missing, name+" (empty)")
		}
	}
	if len(missing) == 0 && len(bad) == 0 {
		return nil
	}
	sort.Strings(missing)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing output(s) "+strings.Join(missing, ", "))
	}
	if len(bad) > 0 {
		parts = append(parts, "malformed output(s) "+strings.Join(bad, "; "))
	}
	return fmt.Errorf("stack: %s: %s — apply infra/stacks/%s from this revision, then pass `tofu output -json` again",
		stackName, strings.Join(parts, "; "), stackName)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "list of " + t.Elem().Kind().String()
	case reflect.Map:
		return "map of " + t.Elem().Kind().String()
	case reflect.Int:
		return "number"
	default:
		return t.Kind().String()
	}
}

func shortErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "got " + te.Value
	}
	return err.Error()
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return v.String() == ""
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Int:
		return v.Int() == 0
	}
	return false
}
