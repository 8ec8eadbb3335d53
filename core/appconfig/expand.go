package appconfig

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"bookme-deploy/core/stack"
)

// EnvPlaceholder is the placeholder of the environment's name ({env}).
const EnvPlaceholder = "env"

// ClientPlaceholders are the names a client build-time variable may use as {name}: the frontend
// stack's outputs (core/stack.Frontend: the client is built once that stack is applied) and {env}.
func ClientPlaceholders() []string {
	names := outputNames(reflect.TypeOf(stack.Frontend{}))
	names = append(names, EnvPlaceholder)
	sort.Strings(names)
	return names
}

// outputNames are the `output:"name"` tags of a core/stack outputs struct.
func outputNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("output"); tag != "" {
			name, _, _ := strings.Cut(tag, ",")
			out = append(out, name)
		}
	}
	return out
}

// FrontendValues are the placeholder values of a client build: the frontend outputs by name and env.
func FrontendValues(f *stack.Frontend, env string) map[string]string {
	values := map[string]string{EnvPlaceholder: env}
	v := reflect.ValueOf(*f)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("output"); tag != "" && v.Field(i).Kind() == reflect.String {
			name, _, _ := strings.Cut(tag, ",")
			values[name] = v.Field(i).String()
		}
	}
	return values
}

// placeholders returns the {names} of a template in order; "{{" and "}}" are literal braces.
// A "{" without its "}" or an empty or malformed name is an error.
func placeholders(template string) ([]string, error) {
	var names []string
	_, err := expand(template, func(name string) (string, error) {
		names = append(names, name)
		return "", nil
	})
	return names, err
}

// Expand replaces each {name} of template by values[name]; an unknown name is an error.
func Expand(template string, values map[string]string) (string, error) {
	return expand(template, func(name string) (string, error) {
		v, ok := values[name]
		if !ok {
			return "", fmt.Errorf("unknown placeholder {%s}", name)
		}
		return v, nil
	})
}

func expand(s string, value func(string) (string, error)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("a { without its }: write {{ for a literal brace")
			}
			name := s[i+1 : i+end]
			if !isName(name, false) {
				return "", fmt.Errorf("{%s} is not a placeholder (a lower-case output name such as {api_domain_name}; write {{ for a literal brace)", name)
			}
			v, err := value(name)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		case c == '}':
			return "", fmt.Errorf("a } without its {: write }} for a literal brace")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// isName: [a-z_][a-z0-9_]* (upper case too when upper).
func isName(s string, upper bool) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case upper && c >= 'A' && c <= 'Z':
		case i > 0 && c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return true
}

// ClientEnv expands the client's build-time variables for one environment from the frontend
// stack's outputs.
func (c *Config) ClientEnv(f *stack.Frontend) (map[string]string, error) {
	return c.ClientEnvWith(FrontendValues(f, c.Env))
}

// ClientEnvWith expands the client's build-time variables with these placeholder values; a build
// outside a deploy (build-client) knows only some of them, and a variable naming another is an error.
func (c *Config) ClientEnvWith(values map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(c.Client.Env))
	for k, tmpl := range c.Client.Env {
		v, err := Expand(tmpl, values)
		if err != nil {
			return nil, fmt.Errorf("%s: client.env.%s: %w", c.Source, k, err)
		}
		out[k] = v
	}
	return out, nil
}
