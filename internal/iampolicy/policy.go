// Package iampolicy evaluates IAM policy documents the way AWS does for one request: an explicit Deny
// wins, then any Allow, else the request is implicitly denied. It is the proof behind the CI roles'
// tests (test/ciaccess): moto 5.2.1 enforces IAM only partly (with INITIAL_NO_AUTH_ACTION_COUNT it
// checks actions, but every non-S3 request is checked against the resource "*", conditions are matched
// only for trust policies and a failed condition turns an Allow into a Deny), so it can neither grant
// nor deny "UpdateService on the production cluster" the way AWS would.
//
// Covered: Action/NotAction, Resource/NotResource (ARN matched segment by segment, * and ? wildcards),
// Principal (for trust policies), and the condition operators the project's policies use (String*, Arn*,
// Bool, Null, with ForAllValues:/ForAnyValue: and …IfExists). An operator it does not know, or a policy
// variable (${…}), is an error, never a silent allow or deny. Not covered: resource policies, SCPs,
// permission boundaries, session policies (none is used by the CI roles).
package iampolicy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	Name       string
	Statements []Statement
}

// Statement is one statement; the string lists are normalised (a single string becomes a list).
type Statement struct {
	Sid         string
	Effect      string // "Allow" or "Deny"
	Actions     []string
	NotActions  []string
	Resources   []string
	NotResource []string
	// Principals maps a principal type (AWS, Federated, Service) to its values; "*" as Principal is {"*": ["*"]}.
	Principals map[string][]string
	// Conditions: operator → key → values.
	Conditions map[string]map[string][]string
}

type rawStatement struct {
	Sid         string                                `json:"Sid"`
	Effect      string                                `json:"Effect"`
	Action      stringList                            `json:"Action"`
	NotAction   stringList                            `json:"NotAction"`
	Resource    stringList                            `json:"Resource"`
	NotResource stringList                            `json:"NotResource"`
	Principal   json.RawMessage                       `json:"Principal"`
	Condition   map[string]map[string]json.RawMessage `json:"Condition"`
}

// stringList accepts "x" or ["x", "y"].
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %s", b)
	}
	*s = many
	return nil
}

// conditionValues accepts "x", true, 1 or a list of them (IAM writes booleans as strings or JSON booleans).
func conditionValues(b json.RawMessage) ([]string, error) {
	var list []any
	if err := json.Unmarshal(b, &list); err != nil {
		var one any
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, err
		}
		list = []any{one}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case bool, float64:
			out = append(out, fmt.Sprint(x))
		default:
			return nil, fmt.Errorf("condition value %v is not a string", v)
		}
	}
	return out, nil
}

// Parse reads a policy document (JSON, possibly URL-decoded already).
func Parse(name, doc string) (Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", name, err)
	}
	if raw.Version != "2012-10-17" {
		return Policy{}, fmt.Errorf("policy %s: Version %q, want 2012-10-17 (policy variables need it)", name, raw.Version)
	}
	var stmts []rawStatement
	if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		var one rawStatement
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return Policy{}, fmt.Errorf("policy %s: Statement: %w", name, err)
		}
		stmts = []rawStatement{one}
	}
	p := Policy{Name: name}
	for i, r := range stmts {
		s := Statement{Sid: r.Sid, Effect: r.Effect, Actions: r.Action, NotActions: r.NotAction, Resources: r.Resource, NotResource: r.NotResource}
		where := fmt.Sprintf("policy %s statement %d (%s)", name, i, r.Sid)
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return Policy{}, fmt.Errorf("%s: Effect %q", where, s.Effect)
		}
		if (len(s.Actions) == 0) == (len(s.NotActions) == 0) {
			return Policy{}, fmt.Errorf("%s: exactly one of Action and NotAction", where)
		}
		if len(s.Resources) > 0 && len(s.NotResource) > 0 {
			return Policy{}, fmt.Errorf("%s: both Resource and NotResource", where)
		}
		if len(r.Principal) > 0 {
			pr, err := parsePrincipal(r.Principal)
			if err != nil {
				return Policy{}, fmt.Errorf("%s: Principal: %w", where, err)
			}
			s.Principals = pr
		}
		if len(r.Condition) > 0 {
			s.Conditions = map[string]map[string][]string{}
			for op, keys := range r.Condition {
				if _, err := operatorFor(op); err != nil {
					return Policy{}, fmt.Errorf("%s: %w", where, err)
				}
				s.Conditions[op] = map[string][]string{}
				for k, v := range keys {
					vals, err := conditionValues(v)
					if err != nil {
						return Policy{}, fmt.Errorf("%s: condition %s %s: %w", where, op, k, err)
					}
					s.Conditions[op][k] = vals
				}
			}
		}
		for _, list := range [][]string{s.Actions, s.NotActions, s.Resources, s.NotResource} {
			for _, v := range list {
				if strings.Contains(v, "${") {
					return Policy{}, fmt.Errorf("%s: policy variable in %q is not supported by this evaluator", where, v)
				}
			}
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func parsePrincipal(b json.RawMessage) (map[string][]string, error) {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("%q: a string principal must be *", star)
		}
		return map[string][]string{"*": {"*"}}, nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for k, v := range m {
		out[k] = v
	}
	return out, nil
}
