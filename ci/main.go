// Package main is the Dagger module `bookme`: the thin shell of bookme-deploy.
//
// It wires containers, secrets and services; every decision (what to upload, what to invalidate, how a
// task definition changes, whether a rollout failed) is made by the plain Go packages under ../core.
// One file per stage: build.go, client.go, check.go, dryrun.go, …
package main

// Bookme ships the book_me stack (Django API on ECS Fargate, React SPA on S3 + CloudFront) to AWS.
type Bookme struct{}
