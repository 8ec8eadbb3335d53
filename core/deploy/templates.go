package deploy

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"bookme-deploy/core/stack"
)

// releaseEnvFiles is the release field "env file" of every revision a release renders: the release's
// own env file in the config bucket (key, content-addressed: envfile.ReleaseKey); "" takes the
// backend stack's env_file_key (the fixed key OpenTofu's templates name).
func releaseEnvFiles(b *stack.Backend, key string) []ecstypes.EnvironmentFile {
	if key == "" {
		key = b.EnvFileKey
	}
	return []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3,
		Value: aws.String("arn:aws:s3:::" + b.ConfigBucket + "/" + key)}}
}
