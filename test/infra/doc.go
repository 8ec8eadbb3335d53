// Package infra holds the tests of the OpenTofu code in infra/: contract checks in plain Go
// (untagged), and `//go:build infra` tests that run tofu fmt/validate and apply the three stacks
// against moto. It has no non-test code.
package infra
