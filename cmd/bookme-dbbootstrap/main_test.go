package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
		code int
	}{
		{nil, nil, "--host is required", 2},
		{[]string{"--host", "h", "--db", "d"}, nil, "--role is required", 2},
		{[]string{"--host", "h", "--db", "d", "--role", "r", "hunter2"}, nil, "passwords are never arguments", 2},
		{[]string{"--port", "x", "--host", "h"}, nil, `port "x" is not a number`, 2},
		{nil, map[string]string{"BOOKME_DB_HOST": "h", "BOOKME_DB_NAME": "d", "BOOKME_DB_APP_ROLE": "r"}, "no master credentials", 1},
		{[]string{"--host", "h", "--db", "d", "--role", "r"}, map[string]string{"BOOKME_DB_MASTER_USER": "m", "BOOKME_DB_MASTER_PASSWORD": "Secret-master-1"}, "no app role password", 1},
		// The app password is read from the variable --app-password-env names, not the default one.
		{[]string{"--host", "h", "--db", "d", "--role", "r", "--app-password-env", "POSTGRES_PASSWORD"}, map[string]string{"BOOKME_DB_MASTER_USER": "m",
			"BOOKME_DB_MASTER_PASSWORD": "Secret-master-1", "BOOKME_DB_APP_PASSWORD": "Other-app-pw-2"}, "no app role password: give --app-secret-arn, or set POSTGRES_PASSWORD", 1},
		{[]string{"--host", "h.invalid", "--db", "d", "--role", "r", "--app-password-env", "POSTGRES_PASSWORD"}, map[string]string{"BOOKME_DB_MASTER_USER": "m",
			"BOOKME_DB_MASTER_PASSWORD": "Secret-master-1", "POSTGRES_PASSWORD": "Secret-master-1"}, "equals the master password", 1},
		// Refused before any connection: the app password equals the master's.
		{[]string{"--host", "h.invalid", "--db", "d", "--role", "r"}, map[string]string{"BOOKME_DB_MASTER_USER": "m",
			"BOOKME_DB_MASTER_PASSWORD": "Secret-master-1", "BOOKME_DB_APP_PASSWORD": "Secret-master-1"}, "equals the master password", 1},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, envOf(tc.env), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v %v: exit %d stderr %q, want %d and %q", tc.args, tc.env, code, errb.String(), tc.code, tc.want)
		}
		if strings.Count(errb.String(), "\n") != 1 || strings.Contains(errb.String()+out.String(), "Secret-master-1") {
			t.Errorf("%v: stderr must be one line without the password: %q", tc.args, errb.String())
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, envOf(nil), &out, &errb); code != 0 {
		t.Errorf("-h exit %d", code)
	}
	if !strings.Contains(errb.String(), "BOOKME_DB_MASTER_SECRET_ARN") {
		t.Errorf("help does not name the environment variables:\n%s", errb.String())
	}
}
