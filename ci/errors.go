package main

import (
	"errors"

	"dagger/bookme/internal/dagger"
)

func asExecErr(err error, target **dagger.ExecError) bool { return errors.As(err, target) }
