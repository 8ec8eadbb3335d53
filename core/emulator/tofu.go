package emulator

import (
	"fmt"

	"bookme-deploy/core/stack"
)

// What OpenTofu and tool containers need to reach the emulated account (the rest of the adapter,
// which needs core/deploy, is in ./rehearsal).

// Host is the name tool containers reach the emulator by, and the name its certificate is made for.
const Host = "moto"

// CAPath is where tool containers find the emulator's CA.
const CAPath = "/etc/bookme/emulator-ca.pem"

// Tofu are the files written into the working copy of infra/ that point OpenTofu at the emulator at
// endpoint, whose CA is at caBundle (provider endpoints, S3 backend), and carry moto's documented
// workarounds.
func Tofu(endpoint, caBundle string) (stack.Overrides, error) {
	o := map[string]string{}
	for dir, content := range ModuleOverrides {
		o["modules/"+dir+"/emulator_override.tf"] = content
	}
	for _, name := range []string{stack.StackBase, stack.StackBackend, stack.StackFrontend} {
		var aliases []string
		if name == stack.StackFrontend {
			aliases = []string{"us_east_1"}
		}
		o["stacks/"+name+"/emulator_override.tf"] = ProviderOverrideCA(endpoint, caBundle, aliases...)
		o["stacks/"+name+"/emulator.s3.tfbackend"] = S3BackendConfigCA(endpoint, caBundle, "", "", "")
		vars, err := stack.VarsJSON(StackVars[name])
		if err != nil {
			return stack.Overrides{}, err
		}
		o["stacks/"+name+"/emulator.tfvars.json"] = string(vars)
	}
	return stack.Overrides{Files: o, VarFiles: []string{"emulator.tfvars.json"}, BackendFiles: []string{"emulator.s3.tfbackend"}}, nil
}

// StateEncryption is OpenTofu's TF_ENCRYPTION for a passphrase (state and plans encrypted).
func StateEncryption(passphrase string) string {
	return fmt.Sprintf(`key_provider "pbkdf2" "main" {
  passphrase = %q
}
method "aes_gcm" "main" {
  keys = key_provider.pbkdf2.main
}
state {
  method   = method.aes_gcm.main
  enforced = true
}
plan {
  method   = method.aes_gcm.main
  enforced = true
}
`, passphrase)
}
