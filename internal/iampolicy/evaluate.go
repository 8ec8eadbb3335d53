package iampolicy

import (
	"fmt"
	"strings"
)

// Request is one API call to decide.
type Request struct {
	// Action is service:Operation, e.g. ecs:UpdateService (matched case-insensitively).
	Action string
	// Resource is the ARN the call acts on ("*" for actions without resource-level permissions).
	Resource string
	// PrincipalType and Principal are the caller, for trust policies (e.g. Federated and the OIDC provider's ARN).
	PrincipalType, Principal string
	// Context holds the request's condition keys (matched case-insensitively), e.g.
	// "token.actions.githubusercontent.com:sub" or "aws:ResourceTag/Environment". A key that is absent is
	// absent, as in AWS (which matters for Null, …IfExists, negated operators and ForAllValues).
	Context map[string][]string
}

// Effect is the outcome of an evaluation.
type Effect string

const (
	Allowed      Effect = "allow"
	ExplicitDeny Effect = "explicit deny"
	ImplicitDeny Effect = "implicit deny"
)

// Decision says what was decided and by which statements.
type Decision struct {
	Effect Effect
	// By names the deciding statements as policy/Sid (every matching Deny, or every matching Allow).
	By []string
}

// Allowed reports whether the request is allowed.
func (d Decision) Allowed() bool { return d.Effect == Allowed }

func (d Decision) String() string {
	if len(d.By) == 0 {
		return string(d.Effect)
	}
	return fmt.Sprintf("%s (%s)", d.Effect, strings.Join(d.By, ", "))
}

// Evaluate decides a request against identity policies (or one trust policy): any matching Deny denies,
// otherwise any matching Allow allows, otherwise it is an implicit deny.
func Evaluate(r Request, policies ...Policy) (Decision, error) {
	var allows, denies []string
	for _, p := range policies {
		for _, s := range p.Statements {
			ok, err := s.matches(r)
			if err != nil {
				return Decision{}, fmt.Errorf("policy %s statement %s: %w", p.Name, s.Sid, err)
			}
			if !ok {
				continue
			}
			if s.Effect == "Deny" {
				denies = append(denies, p.Name+"/"+s.Sid)
			} else {
				allows = append(allows, p.Name+"/"+s.Sid)
			}
		}
	}
	switch {
	case len(denies) > 0:
		return Decision{Effect: ExplicitDeny, By: denies}, nil
	case len(allows) > 0:
		return Decision{Effect: Allowed, By: allows}, nil
	}
	return Decision{Effect: ImplicitDeny}, nil
}

func (s Statement) matches(r Request) (bool, error) {
	if len(s.Actions) > 0 && !anyMatch(s.Actions, r.Action, matchAction) {
		return false, nil
	}
	if len(s.NotActions) > 0 && anyMatch(s.NotActions, r.Action, matchAction) {
		return false, nil
	}
	if len(s.Resources) > 0 && !anyMatch(s.Resources, r.Resource, MatchARN) {
		return false, nil
	}
	if len(s.NotResource) > 0 && anyMatch(s.NotResource, r.Resource, MatchARN) {
		return false, nil
	}
	if s.Principals != nil && !s.principalMatches(r) {
		return false, nil
	}
	for op, keys := range s.Conditions {
		for key, values := range keys {
			ok, err := evalCondition(op, key, values, r.Context)
			if err != nil {
				return false, err
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

func (s Statement) principalMatches(r Request) bool {
	if _, ok := s.Principals["*"]; ok {
		return true
	}
	for _, v := range s.Principals[r.PrincipalType] {
		if v == "*" || v == r.Principal {
			return true
		}
	}
	return false
}

func anyMatch(patterns []string, value string, match func(pattern, value string) bool) bool {
	for _, p := range patterns {
		if match(p, value) {
			return true
		}
	}
	return false
}

func matchAction(pattern, action string) bool {
	return Glob(strings.ToLower(pattern), strings.ToLower(action))
}

// MatchARN matches a resource pattern against an ARN as IAM does: "*" matches everything; otherwise the
// first five colon-separated segments (arn, partition, service, region, account) are matched one by one,
// and the rest (the resource, which may contain colons and slashes) as a whole, so a wildcard never spans
// the service or account.
func MatchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	ps := strings.SplitN(pattern, ":", 6)
	as := strings.SplitN(arn, ":", 6)
	if len(ps) != 6 || len(as) != 6 {
		return Glob(pattern, arn)
	}
	for i := range ps {
		if !Glob(ps[i], as[i]) {
			return false
		}
	}
	return true
}

// Glob matches * (any run of characters, including none) and ? (one character), case-sensitively.
func Glob(pattern, s string) bool {
	// Iterative matching with backtracking to the last star.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
