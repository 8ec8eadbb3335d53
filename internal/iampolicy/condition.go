package iampolicy

import (
	"fmt"
	"strings"
)

// operator is one condition operator: match compares one request value with one policy value;
// negated operators (StringNotEquals, …) are true when no policy value matches.
type operator struct {
	match   func(policy, value string) bool
	negated bool
	// null is the Null operator: policy value "true" means the key is absent.
	null bool
	// anyValue, allValues: the ForAnyValue: / ForAllValues: set qualifiers; ifExists: …IfExists.
	anyValue, allValues, ifExists bool
}

var baseOperators = map[string]operator{
	"StringEquals":           {match: func(p, v string) bool { return p == v }},
	"StringNotEquals":        {match: func(p, v string) bool { return p == v }, negated: true},
	"StringEqualsIgnoreCase": {match: strings.EqualFold},
	"StringLike":             {match: Glob},
	"StringNotLike":          {match: Glob, negated: true},
	"ArnEquals":              {match: func(p, v string) bool { return p == v }},
	"ArnNotEquals":           {match: func(p, v string) bool { return p == v }, negated: true},
	"ArnLike":                {match: MatchARN},
	"ArnNotLike":             {match: MatchARN, negated: true},
	"Bool":                   {match: strings.EqualFold},
	"Null":                   {null: true},
}

func operatorFor(name string) (operator, error) {
	base := name
	var op operator
	switch {
	case strings.HasPrefix(base, "ForAnyValue:"):
		base, op.anyValue = strings.TrimPrefix(base, "ForAnyValue:"), true
	case strings.HasPrefix(base, "ForAllValues:"):
		base, op.allValues = strings.TrimPrefix(base, "ForAllValues:"), true
	}
	if strings.HasSuffix(base, "IfExists") && base != "Null" {
		base, op.ifExists = strings.TrimSuffix(base, "IfExists"), true
	}
	b, ok := baseOperators[base]
	if !ok {
		return operator{}, fmt.Errorf("condition operator %q is not supported by this evaluator", name)
	}
	b.anyValue, b.allValues, b.ifExists = op.anyValue, op.allValues, op.ifExists
	return b, nil
}

func lookup(ctx map[string][]string, key string) ([]string, bool) {
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// evalCondition evaluates one key of one operator block: the policy values are ORed.
func evalCondition(opName, key string, policyValues []string, ctx map[string][]string) (bool, error) {
	if strings.Contains(key, "${") {
		return false, fmt.Errorf("policy variable in condition key %q is not supported", key)
	}
	op, err := operatorFor(opName)
	if err != nil {
		return false, err
	}
	values, present := lookup(ctx, key)
	if op.null {
		want := strings.EqualFold(first(policyValues), "true")
		return want == !present, nil
	}
	matchOne := func(v string) bool { // does request value v satisfy the (positive) operator?
		for _, p := range policyValues {
			if op.match(p, v) {
				return true
			}
		}
		return false
	}
	switch {
	case op.allValues:
		// Every request value must satisfy; an absent or empty key is vacuously true (as in AWS).
		for _, v := range values {
			if matchOne(v) == op.negated {
				return false, nil
			}
		}
		return true, nil
	case op.anyValue:
		if !present {
			return false, nil
		}
		for _, v := range values {
			if matchOne(v) != op.negated {
				return true, nil
			}
		}
		return false, nil
	}
	if !present {
		// A missing key: …IfExists and negated operators are true, the others false.
		return op.ifExists || op.negated, nil
	}
	if len(values) != 1 {
		return false, fmt.Errorf("condition key %s has %d values: a single-valued operator needs ForAnyValue/ForAllValues", key, len(values))
	}
	return matchOne(values[0]) != op.negated, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
