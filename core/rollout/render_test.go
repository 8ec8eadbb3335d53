package rollout

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	oldImage = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	newImage = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/bookme@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func TestCheckImage(t *testing.T) {
	for ref, ok := range map[string]bool{
		newImage: true,
		"repo:v1@sha256:" + strings.Repeat("a", 64): true,
		"repo:latest":                            false,
		"repo":                                   false,
		"repo@sha256:abc":                        false,
		"":                                       false,
		"repo@sha256:" + strings.Repeat("A", 64): false,
	} {
		err := CheckImage(ref)
		if (err == nil) != ok {
			t.Errorf("CheckImage(%q) = %v, want ok=%v", ref, err, ok)
		}
	}
	if err := CheckImage("repo:latest"); err == nil || !strings.Contains(err.Error(), "no digest") {
		t.Errorf("tag-only error should say it has no digest: %v", err)
	}
}

// fill sets every settable field of v to a non-zero value (recursively), so that a field the render
// forgets to copy shows up as a zero in the output.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeOf(&time.Time{}) {
			v.Set(reflect.ValueOf(aws.Time(time.Unix(1700000000, 0))))
			return
		}
		if depth > 6 {
			return
		}
		n := reflect.New(v.Type().Elem())
		fill(n.Elem(), depth+1)
		v.Set(n)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if depth > 6 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, depth+1)
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("x-" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Float64, reflect.Float32:
		v.SetFloat(1.5)
	}
}

// TestRegisterInputCopiesEveryField fails when RegisterTaskDefinitionInput gains a field (SDK upgrade)
// that RegisterInputOf does not copy from DescribeTaskDefinition's output, or when a copy is dropped.
func TestRegisterInputCopiesEveryField(t *testing.T) {
	var td ecstypes.TaskDefinition
	fill(reflect.ValueOf(&td).Elem(), 0)
	td.ContainerDefinitions[0].Name = aws.String("web")
	tags := []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("bookme")}}
	in := RegisterInputOf(&td, tags)

	iv, tv := reflect.ValueOf(in).Elem(), reflect.ValueOf(td)
	it := iv.Type()
	for i := 0; i < it.NumField(); i++ {
		f := it.Field(i)
		if !f.IsExported() {
			continue
		}
		got := iv.Field(i)
		if f.Name == "Tags" { // tags come from DescribeTaskDefinition's Include=TAGS, not the task definition
			if !reflect.DeepEqual(got.Interface(), tags) {
				t.Errorf("Tags not copied: %v", got.Interface())
			}
			continue
		}
		src := tv.FieldByName(f.Name)
		if !src.IsValid() {
			t.Errorf("RegisterTaskDefinitionInput.%s has no counterpart in types.TaskDefinition: decide how to preserve it", f.Name)
			continue
		}
		if got.IsZero() {
			t.Errorf("RegisterInputOf drops field %s", f.Name)
			continue
		}
		if !reflect.DeepEqual(got.Interface(), src.Interface()) {
			t.Errorf("field %s copied wrongly: %v != %v", f.Name, got.Interface(), src.Interface())
		}
	}
}

func sampleTD() *ecstypes.TaskDefinition {
	return &ecstypes.TaskDefinition{
		TaskDefinitionArn: aws.String("arn:aws:ecs:eu-central-1:123456789012:task-definition/bookme-api:7"),
		Family:            aws.String("bookme-api"),
		Cpu:               aws.String("512"), Memory: aws.String("1024"),
		NetworkMode:      ecstypes.NetworkModeAwsvpc,
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"),
		TaskRoleArn:      aws.String("arn:aws:iam::123456789012:role/task"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("web"), Image: aws.String(oldImage), StopTimeout: aws.Int32(90), Essential: aws.Bool(true),
				PortMappings:     []ecstypes.PortMapping{{ContainerPort: aws.Int32(8000)}},
				LinuxParameters:  &ecstypes.LinuxParameters{InitProcessEnabled: aws.Bool(true)},
				EnvironmentFiles: []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3, Value: aws.String("arn:aws:s3:::cfg/old.env")}}},
			{Name: aws.String("sidecar"), Image: aws.String("public.ecr.aws/x/y:1")},
		},
	}
}

func TestRenderChangesOnlyTheImageAndTags(t *testing.T) {
	td := sampleTD()
	in, changed, err := Render(td, nil, Change{Container: "web", Image: newImage, GitSHA: "abc1234"})
	if err != nil || !changed {
		t.Fatalf("Render: changed=%v err=%v", changed, err)
	}
	if got := aws.ToString(in.ContainerDefinitions[0].Image); got != newImage {
		t.Errorf("image = %s", got)
	}
	if aws.ToString(td.ContainerDefinitions[0].Image) != oldImage {
		t.Errorf("Render modified the caller's task definition")
	}
	if aws.ToString(in.ContainerDefinitions[1].Image) != "public.ecr.aws/x/y:1" {
		t.Errorf("sidecar image changed")
	}
	if aws.ToInt32(in.ContainerDefinitions[0].StopTimeout) != 90 || !aws.ToBool(in.ContainerDefinitions[0].LinuxParameters.InitProcessEnabled) {
		t.Errorf("stopTimeout/linuxParameters lost")
	}
	d := Diff(RegisterInputOf(td, nil), in)
	want := "  ~ containerDefinitions[web].image: \"" + oldImage + "\" → \"" + newImage + "\"\n  + tags[git-sha].key: \"git-sha\"\n  + tags[git-sha].value: \"abc1234\"\n"
	if d != want {
		t.Errorf("diff:\n%s\nwant:\n%s", d, want)
	}
}

func TestRenderSameDigestIsNoOp(t *testing.T) {
	_, changed, err := Render(sampleTD(), nil, Change{Container: "web", Image: oldImage, GitSHA: "abc"})
	if err != nil || changed {
		t.Fatalf("same digest: changed=%v err=%v, want unchanged", changed, err)
	}
	// Same image but new environment files is a change.
	_, changed, _ = Render(sampleTD(), nil, Change{Container: "web", Image: oldImage,
		EnvironmentFiles: []ecstypes.EnvironmentFile{{Type: ecstypes.EnvironmentFileTypeS3, Value: aws.String("arn:aws:s3:::cfg/new.env")}}})
	if !changed {
		t.Errorf("new environment files should count as a change")
	}
}

func TestRenderErrors(t *testing.T) {
	if _, _, err := Render(sampleTD(), nil, Change{Container: "django", Image: newImage}); err == nil ||
		!strings.Contains(err.Error(), `no container "django"`) || !strings.Contains(err.Error(), "web") {
		t.Errorf("unknown container: %v", err)
	}
	if _, _, err := Render(sampleTD(), nil, Change{Container: "web", Image: "bookme:latest"}); err == nil {
		t.Errorf("tag-only image accepted")
	}
}

func TestDiffSecretsAndRemovals(t *testing.T) {
	a := &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"), Cpu: aws.String("256")}
	b := &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("web"),
			Secrets: []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("arn:aws:secretsmanager:x:1:secret:db")}}}}}
	d := Diff(a, b)
	for _, want := range []string{`  - cpu: "256"`, `  + containerDefinitions[web].secrets[DB_PASSWORD].valueFrom: "arn:aws:secretsmanager:x:1:secret:db"`} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if Diff(a, a) != "" {
		t.Errorf("identical inputs must give an empty diff")
	}
}

func TestFamilyOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:ecs:eu-central-1:1:task-definition/bookme-api:7": "bookme-api",
		"bookme-api:12": "bookme-api",
	} {
		if got := familyOf(in); got != want {
			t.Errorf("familyOf(%s) = %s", in, got)
		}
	}
}
