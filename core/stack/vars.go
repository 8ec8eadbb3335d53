package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Stack names, in apply order.
const (
	StackBase     = "base"
	StackBackend  = "backend"
	StackFrontend = "frontend"
)

// BackendVars returns the backend stack's inputs that come from the base stack's outputs, keyed
// by the backend's variable names. Write it with VarsJSON to a *.tfvars.json file and pass it with
// -var-file: the stacks then share no state and no name is copied by hand.
func (b *Base) BackendVars() map[string]any {
	return map[string]any{
		"vpc_id":                b.VPCID,
		"public_subnet_ids":     b.PublicSubnetIDs,
		"private_subnet_ids":    b.PrivateSubnetIDs,
		"app_security_group_id": b.AppSecurityGroupID,
		"ecr_repository_url":    b.ECRRepositoryURL,
		"ecr_repository_arn":    b.ECRRepositoryARN,
		"config_bucket":         b.ConfigBucket,
		"static_bucket":         b.StaticBucket,
		"app_secret_arn":        b.AppSecretARN,
		"db_secret_arn":         b.DBSecretARN,
	}
}

// VarsJSON encodes variables as a *.tfvars.json document.
func VarsJSON(vars map[string]any) ([]byte, error) {
	data, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("stack: encode variables: %w", err)
	}
	return append(data, '\n'), nil
}

// VarFiles returns the -var-file arguments of one stack in one environment, relative to the stack
// directory infra/stacks/<stack>: the environment's shared file, then the stack's own file when it
// exists. It fails when the environment's shared file is missing.
func VarFiles(infraDir, environment, stackName string) ([]string, error) {
	shared := filepath.Join(infraDir, "environments", environment+".tfvars")
	if _, err := os.Stat(shared); err != nil {
		return nil, fmt.Errorf("stack: environment %q has no %s: add it (see infra/README.md)", environment, shared)
	}
	files := []string{filepath.Join("..", "..", "environments", environment+".tfvars")}
	own := filepath.Join(infraDir, "environments", environment+"."+stackName+".tfvars")
	if _, err := os.Stat(own); err == nil {
		files = append(files, filepath.Join("..", "..", "environments", environment+"."+stackName+".tfvars"))
	}
	return files, nil
}
