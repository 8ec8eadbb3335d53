package envfile

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := "# comment\n\n  FOO=bar baz  \r\nQUOTED=\"a \\\"b\\\" \\n c\" # trailing comment\nSINGLE='x ${y} \\n'\nEMPTY=\nHASH=a#b\n  SPACED = v\n"
	f, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Key: "FOO", Value: "bar baz", Line: 3},
		{Key: "QUOTED", Value: "a \"b\" \n c", Line: 4},
		{Key: "SINGLE", Value: `x ${y} \n`, Line: 5},
		{Key: "EMPTY", Value: "", Line: 6},
		{Key: "HASH", Value: "a#b", Line: 7},
		{Key: "SPACED", Value: "v", Line: 8},
	}
	if !reflect.DeepEqual(f.Entries, want) {
		t.Fatalf("entries:\n got %#v\nwant %#v", f.Entries, want)
	}
}

func TestParseReportsEveryProblemWithLineNumbers(t *testing.T) {
	src := "OK=1\nno equals sign\n1BAD=x\nQ=\"s3cr3t-unterminated\nOK=2\nT='v' junk\n"
	_, err := Parse([]byte(src))
	if err == nil {
		t.Fatal("want an error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		"line 2: expected KEY=VALUE",
		"line 3: invalid key name \"1BAD\"",
		"line 4: Q: unterminated double quote",
		"line 5: duplicate key OK (first set on line 1)",
		"line 6: T: unexpected text after the closing quote",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error leaks a value: %s", err)
	}
}

func TestFormatRoundTripAndRefusals(t *testing.T) {
	f := &File{Entries: []Entry{{Key: "A", Value: "x=y #z"}, {Key: "B", Value: ""}}}
	b, err := f.Format()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "A=x=y #z\nB=\n" {
		t.Fatalf("format = %q", b)
	}
	back, err := Parse(b)
	if err != nil || !reflect.DeepEqual(back.Map(), f.Map()) {
		t.Fatalf("round trip: %v %v", back, err)
	}
	for _, bad := range []string{"two\nlines", " padded", `"quoted"`} {
		_, err := (&File{Entries: []Entry{{Key: "K", Value: bad}}}).Format()
		if err == nil {
			t.Errorf("Format accepted %q", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("error leaks value: %v", err)
		}
	}
}

func i64(v int64) *int64 { return &v }

func testSchema() *Schema {
	return &Schema{Keys: map[string]KeySpec{
		"NAME":    {Type: TypeString, Required: true},
		"PORT":    {Type: TypeInt, Required: true, Min: i64(1), Max: i64(65535)},
		"DEBUG":   {Type: TypeBool},
		"SITE":    {Type: TypeURL, Schemes: []string{"https"}},
		"ORIGINS": {Type: TypeURLList},
		"HOST":    {Type: TypeHost},
		"HOSTS":   {Type: TypeHostList},
		"MODE":    {Type: TypeEnum, Values: []string{"a", "b"}},
		"TOKEN":   {Type: TypeString, Required: true, Secret: true},
		"OPT_SEC": {Type: TypeString, Secret: true},
	}}
}

func TestValidateListsEveryProblem(t *testing.T) {
	src := strings.Join([]string{
		"NAME=<your name>",                     // 1 placeholder
		"PORT=99999",                           // 2 out of range
		"DEBUG=yes",                            // 3 bad bool
		"SITE=http://x.example",                // 4 wrong scheme
		"ORIGINS=https://a.example,nope",       // 5 bad list item
		"HOST=db.example:5432",                 // 6 host with port
		"HOSTS=.example.com,api.example.com,*", // ok
		"MODE=c",                               // 8 enum
		"TOKEN=hunter2-plaintext",              // 9 plain secret
		"EXTRA=1",                              // 10 unknown
		"OPT_SEC=arn:aws:secretsmanager:eu-central-1:123456789012:secret:x-AbCdEf", // ok
		"SITE2=${x}", // 12 unknown (checked before placeholder)
	}, "\n")
	f, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f.Entries = append(f.Entries, Entry{Key: "NAME", Value: "dup", Line: 13})
	err = Validate(f, testSchema())
	if err == nil {
		t.Fatal("want problems")
	}
	got := err.Error()
	want := []string{
		"line 1: NAME still holds a <…> placeholder",
		"line 2: PORT: want an integer ≤ 65535",
		"line 3: DEBUG: want a boolean",
		"line 4: SITE: want a URL with scheme https",
		"line 5: ORIGINS: item 2: want an absolute URL",
		"line 6: HOST: want a host name",
		"line 8: MODE: want one of a, b",
		"line 9: TOKEN is a secret and is written in plain text",
		"line 10: unknown key EXTRA",
		"line 12: unknown key SITE2",
		"line 13: duplicate key NAME (first set on line 1)",
	}
	lines := strings.Split(got, "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), got)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	if strings.Contains(got, "hunter2") || strings.Contains(got, "99999") {
		t.Fatalf("validation error leaks a value:\n%s", got)
	}
	var ve *ValidationError
	if !asValidation(err, &ve) || len(ve.Problems) != len(want) {
		t.Fatalf("want *ValidationError with %d problems, got %T", len(want), err)
	}
}

func asValidation(err error, target **ValidationError) bool {
	v, ok := err.(*ValidationError)
	*target = v
	return ok
}

func TestValidateMissingRequiredAndMisplacedReference(t *testing.T) {
	f, _ := Parse([]byte("NAME=ssm:/bookme/name\nTOKEN=\n"))
	err := Validate(f, testSchema())
	want := "line 1: NAME is not a secret but holds a secret reference, which ECS would pass on literally: mark it secret in schema.json or put the value in\n" +
		"line 2: TOKEN is required but empty\n" +
		"missing required key PORT"
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestSecretReferences(t *testing.T) {
	good := []string{
		"arn:aws:secretsmanager:eu-central-1:123456789012:secret:bookme/django-AbCdEf",
		"arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-1234-AbCdEf:password::",
		"arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x",
		"arn:aws:ssm:eu-central-1:123456789012:parameter/bookme/prod/key",
		"ssm:/bookme/prod/key",
		"ssm:plain-name",
	}
	for _, g := range good {
		if !IsSecretRef(g) {
			t.Errorf("IsSecretRef(%q) = false", g)
		}
	}
	bad := []string{"hunter2", "arn:aws:secretsmanager:eu-central-1:1234:secret:x", "arn:aws:s3:::bucket/key", "ssm:", "ssm:a b", "arn:aws:secretsmanager:eu-central-1:123456789012:secret:"}
	for _, b := range bad {
		if IsSecretRef(b) {
			t.Errorf("IsSecretRef(%q) = true", b)
		}
	}
	if ValueFrom("ssm:/x/y") != "/x/y" || ValueFrom(good[0]) != good[0] {
		t.Fatal("ValueFrom")
	}
}

func TestDiffKeysNamesOnly(t *testing.T) {
	old, _ := Parse([]byte("A=1\nB=old-secretish\nC=3\n"))
	nw, _ := Parse([]byte("B=new-secretish\nC=3\nD=4\n"))
	d := DiffKeys(old, nw)
	if !reflect.DeepEqual(d, KeyDiff{Added: []string{"D"}, Removed: []string{"A"}, Changed: []string{"B"}}) {
		t.Fatalf("diff = %+v", d)
	}
	if txt := d.Text(); txt != "+ D\n- A\n~ B\n" || strings.Contains(txt, "secretish") {
		t.Fatalf("text = %q", txt)
	}
	if !DiffKeys(old, old).Empty() || DiffKeys(nil, nw).Summary() != "3 added, 0 removed, 0 changed" {
		t.Fatal("empty/nil diff")
	}
}

// repoFiles loads the committed template and schema.
func repoFiles(t *testing.T) ([]byte, *Schema) {
	t.Helper()
	dir := filepath.Join("..", "..", "service-config", "api")
	tmpl, err := os.ReadFile(filepath.Join(dir, "env.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSchema(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl, s
}

// sampleOutputs is what a deploy would pass: OpenTofu outputs plus deploy inputs.
func sampleOutputs() map[string]string {
	return map[string]string{
		"api_domain_name": "api.bookme.example", "client_domain_name": "app.bookme.example",
		"db_name": "bookme", "db_host": "bookme-prod.abc.eu-central-1.rds.amazonaws.com", "db_port": "5432",
		"db_app_user": "bookme_app", "region": "eu-central-1", "static_bucket": "book-me-prod-static",
		"static_bucket_domain_name": "", "sendgrid_sender_email": "noreply@bookme.example",
		"sendgrid_activation_template_id": "d-0123456789abcdef",
		"app_secret_arn":                  appSecretARN,
		"redis_secret_arn":                "arn:aws:secretsmanager:eu-central-1:123456789012:secret:book-me-prod/redis-XyZ123",
	}
}

const appSecretARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:book-me-prod-app-AbCdEf"

// sampleRefs: the repository template needs none (its secrets point into app_secret_arn).
func sampleRefs() map[string]string { return map[string]string{} }

// The seed's list of settings (FACTS.md); BROKER_URL also carries the Redis cache and sessions.
var seedKeys = strings.Fields(`AWS_S3_REGION_NAME AWS_S3_ACCESS_KEY_ID AWS_S3_SECRET_ACCESS_KEY
AWS_S3_STORAGE_BUCKET_NAME AWS_S3_CUSTOM_DOMAIN BROKER_URL CELERY_LOG_LEVEL DJANGO_ALLOWED_HOSTS
DJANGO_CORS_ALLOW_CREDENTIALS DJANGO_CORS_ORIGIN_ALLOW_ALL DJANGO_CORS_ALLOWED_ORIGINS
DJANGO_CSRF_TRUSTED_ORIGINS DJANGO_DEBUG DJANGO_LOG_LEVEL DJANGO_SECRET_KEY POSTGRES_DB POSTGRES_HOST
POSTGRES_PASSWORD POSTGRES_PORT POSTGRES_USER SENDGRID_API_KEY SENDGRID_SENDER_EMAIL
SENDGRID_ACCOUNT_ACTIVATION_TEMPLATE_ID TARGET_ENV`)

func TestRepoTemplateAndSchemaAgree(t *testing.T) {
	tmpl, s := repoFiles(t)
	for _, k := range seedKeys {
		if _, ok := s.Keys[k]; !ok {
			t.Errorf("schema.json lacks %s", k)
		}
	}
	for k := range s.Keys {
		if !regexp.MustCompile(`(?m)^(# )?` + k + `=`).Match(tmpl) {
			t.Errorf("env.tmpl does not mention %s (as KEY= or a commented # KEY= line)", k)
		}
	}
	for _, k := range []string{"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "SENDGRID_API_KEY", "BROKER_URL", "AWS_S3_SECRET_ACCESS_KEY"} {
		if !s.Keys[k].Secret {
			t.Errorf("%s must be a secret", k)
		}
	}
}

func TestRenderRepoTemplate(t *testing.T) {
	tmpl, s := repoFiles(t)
	r, err := Render(tmpl, s, sampleOutputs(), sampleRefs())
	if err != nil {
		t.Fatal(err)
	}
	env := string(r.EnvFile)
	for _, line := range []string{
		"DJANGO_ALLOWED_HOSTS=api.bookme.example\n",
		"DJANGO_CSRF_TRUSTED_ORIGINS=https://app.bookme.example,https://api.bookme.example\n",
		"POSTGRES_PORT=5432\n", "TARGET_ENV=production\n",
	} {
		if !strings.Contains(env, line) {
			t.Errorf("env file lacks %q:\n%s", line, env)
		}
	}
	if strings.Contains(env, "AWS_S3_CUSTOM_DOMAIN") {
		t.Error("an optional key that rendered empty must be left out")
	}
	for _, k := range s.SecretKeys() {
		if strings.Contains(env, k+"=") {
			t.Errorf("secret key %s written to the env file", k)
		}
	}
	if strings.Contains(env, "arn:aws:secretsmanager") {
		t.Error("secret references belong in Secrets, not the env file")
	}
	var names []string
	for _, sr := range r.Secrets {
		names = append(names, sr.Name)
	}
	if strings.Join(names, ",") != "BROKER_URL,DJANGO_SECRET_KEY,POSTGRES_PASSWORD,SENDGRID_API_KEY" {
		t.Fatalf("secrets = %v", names)
	}
	if r.Secrets[1].ValueFrom != appSecretARN+":DJANGO_SECRET_KEY::" {
		t.Fatalf("valueFrom = %q", r.Secrets[1].ValueFrom)
	}
	// The Redis URL (with the RBAC user's password) comes from the secret the base stack writes.
	if r.Secrets[0].ValueFrom != sampleOutputs()["redis_secret_arn"]+":url::" {
		t.Fatalf("BROKER_URL valueFrom = %q", r.Secrets[0].ValueFrom)
	}
	if len(r.SHA256) != 64 || strings.Contains(r.Text(), "5432") {
		t.Fatalf("hash %q / text leaks values:\n%s", r.SHA256, r.Text())
	}
}

func TestRenderRefusals(t *testing.T) {
	tmpl, s := repoFiles(t)
	outs := sampleOutputs()
	delete(outs, "db_host")
	delete(outs, "app_secret_arn")
	delete(outs, "redis_secret_arn")
	_, err := Render(tmpl, s, outs, sampleRefs())
	if err == nil || !strings.Contains(err.Error(), `POSTGRES_HOST: no output "db_host"`) || !strings.Contains(err.Error(), `DJANGO_SECRET_KEY: no output "app_secret_arn"`) ||
		!strings.Contains(err.Error(), `BROKER_URL: no output "redis_secret_arn"`) {
		t.Fatalf("missing placeholders: %v", err)
	}
	outs = sampleOutputs()
	outs["app_secret_arn"] = "plain-django-secret-value"
	outs["db_port"] = "fivefourthreetwo"
	_, err = Render(tmpl, s, outs, sampleRefs())
	if err == nil || !strings.Contains(err.Error(), "DJANGO_SECRET_KEY is a secret and is written in plain text") ||
		!strings.Contains(err.Error(), "POSTGRES_PORT: want an integer") {
		t.Fatalf("plain secret / type: %v", err)
	}
	if strings.Contains(err.Error(), "plain-django-secret-value") {
		t.Fatalf("error leaks the secret: %v", err)
	}
	outs = sampleOutputs()
	outs["api_domain_name"] = "api.example\nINJECTED=1"
	if _, err := Render(tmpl, s, outs, sampleRefs()); err == nil {
		t.Fatal("an output with a line break must be refused")
	}
}

func TestRenderSecretMapAndSSM(t *testing.T) {
	s := testSchema()
	tmpl := []byte("NAME=\"svc ${name}\"\nPORT=${port}\nTOKEN=${secret:token}\nOPT_SEC=${secret:opt}\n")
	r, err := Render(tmpl, s, map[string]string{"name": "api", "port": "8000"}, map[string]string{"token": "ssm:/bookme/prod/token", "opt": ""})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.EnvFile) != "NAME=svc api\nPORT=8000\n" {
		t.Fatalf("env file = %q", r.EnvFile)
	}
	if !reflect.DeepEqual(r.Secrets, []SecretRef{{Name: "TOKEN", ValueFrom: "/bookme/prod/token"}}) {
		t.Fatalf("secrets = %+v", r.Secrets)
	}
	if _, err := Render(tmpl, s, map[string]string{"name": "api", "port": "8000"}, map[string]string{"opt": ""}); err == nil ||
		!strings.Contains(err.Error(), `line 3: TOKEN: no secret reference "token"`) {
		t.Fatalf("missing secret ref: %v", err)
	}
}

func TestLoadSchemaRefusesBadSchemas(t *testing.T) {
	for _, bad := range []string{
		`{"keys":{}}`,
		`{"keys":{"A":{"type":"float"}}}`,
		`{"keys":{"A":{"type":"enum"}}}`,
		`{"keys":{"A":{"type":"string","secrte":true}}}`,
		`{"keys":{"1A":{"type":"string"}}}`,
	} {
		if _, err := LoadSchema([]byte(bad)); err == nil {
			t.Errorf("LoadSchema accepted %s", bad)
		}
	}
}
