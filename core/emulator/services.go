package emulator

// Service is a container the rehearsal runs as a service, described without an engine: the shell
// builds it (files, secret files, environment, exposed port, entrypoint arguments).
type Service struct {
	Image string
	Port  int
	// Files are written into the container; SecretFiles are mounted as secrets (never in a layer).
	Files, SecretFiles map[string]string
	// Env are plain variables; SecretEnv are set as secret variables (never printed, never in a layer).
	Env, SecretEnv map[string]string
	// Args follow the image's entrypoint.
	Args []string
}

// MotoImage is the AWS emulator; RegistryImage stands in for ECR's storage (moto keeps ECR's API
// only). The real images on a user's machine; the test harness serves look-alikes.
const (
	MotoImage     = "motoserver/moto:5"
	RegistryImage = "registry:2"
	// RegistryPushHost is where the engine pushes: Publish's RegistryService sends it to the registry
	// service, and the name localhost makes the engine speak plain HTTP. Port 5001, not 5000: a push
	// that missed the service must fail rather than land in another registry on the engine's
	// localhost:5000.
	RegistryPushHost = "localhost:5001"
)

// Moto is moto speaking HTTPS with the throw-away certificate (so TLS-only bucket policies hold as
// in AWS), with the patch and environment that close its documented gaps.
func Moto(certs *TLS) Service {
	env := map[string]string{"PYTHONPATH": "/opt/bookme/moto-patch"}
	for k, v := range MotoEnv {
		env[k] = v
	}
	return Service{Image: MotoImage, Port: 5000,
		Files:       map[string]string{"/certs/cert.pem": string(certs.CertPEM), "/opt/bookme/moto-patch/sitecustomize.py": MotoPatch},
		SecretFiles: map[string]string{"/certs/key.pem": string(certs.KeyPEM)},
		Env:         env, Args: []string{"-c", "/certs/cert.pem", "-k", "/certs/key.pem"}}
}
