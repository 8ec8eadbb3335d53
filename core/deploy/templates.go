package deploy

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/stack"
)

// releaseEnvFiles is the release field "env file" of every revision a release renders: the env file
// in the config bucket under the backend stack's env_file_key (for now the environment's fixed key,
// the same one OpenTofu's templates name).
func releaseEnvFiles(b *stack.Backend) []ecstypes.EnvironmentFile {
	return []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3,
		Value: aws.String("arn:aws:s3:::" + b.ConfigBucket + "/" + b.EnvFileKey)}}
}
