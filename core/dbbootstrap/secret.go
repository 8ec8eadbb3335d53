package dbbootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// MasterFromSecret reads the master credentials from the RDS-managed secret (arn): a JSON string
// {"username": …, "password": …}. Errors name the secret, never its value.
func MasterFromSecret(ctx context.Context, sm *secretsmanager.Client, arn string) (Credentials, error) {
	raw, err := secretString(ctx, sm, arn)
	if err != nil {
		return Credentials{}, err
	}
	var v struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if json.Unmarshal([]byte(raw), &v) != nil {
		// The decoder's message quotes part of the input: never pass it on.
		return Credentials{}, fmt.Errorf("dbbootstrap: secret %s is not JSON; the RDS-managed master secret is {\"username\":…,\"password\":…}", arn)
	}
	if v.Username == "" || v.Password == "" {
		return Credentials{}, fmt.Errorf("dbbootstrap: secret %s lacks \"username\" or \"password\"; is it the RDS-managed master secret?", arn)
	}
	return Credentials{Username: v.Username, Password: v.Password}, nil
}

// PasswordFromSecret reads the app role's password from its secret (arn): either a JSON object
// with a "password" key (as Secrets Manager's console and RDS write them) or the bare password.
func PasswordFromSecret(ctx context.Context, sm *secretsmanager.Client, arn string) (string, error) {
	raw, err := secretString(ctx, sm, arn)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(strings.TrimSpace(raw), "{") {
		var v struct {
			Password string `json:"password"`
		}
		if json.Unmarshal([]byte(raw), &v) != nil {
			return "", fmt.Errorf("dbbootstrap: secret %s starts like JSON but is not valid JSON", arn)
		}
		if v.Password == "" {
			return "", fmt.Errorf("dbbootstrap: secret %s is JSON without a \"password\" key", arn)
		}
		return v.Password, nil
	}
	if raw == "" {
		return "", fmt.Errorf("dbbootstrap: secret %s is empty", arn)
	}
	return raw, nil
}

func secretString(ctx context.Context, sm *secretsmanager.Client, arn string) (string, error) {
	if strings.TrimSpace(arn) == "" {
		return "", errors.New("dbbootstrap: no secret ARN given")
	}
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return "", fmt.Errorf("dbbootstrap: secret %s does not exist (check the ARN and the region)", arn)
		}
		return "", fmt.Errorf("dbbootstrap: read secret %s: %w", arn, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("dbbootstrap: secret %s has no string value (binary secrets are not supported)", arn)
	}
	return *out.SecretString, nil
}
