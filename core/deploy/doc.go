// Package deploy is one deployment of the book_me stack: its configuration, its stages (one file
// each, each written once with its plan and its apply) and the ports it talks to the outside
// through — OpenTofu, the image build and push, the client build, the repository's files and the
// smoke check. The Dagger module (ci/) implements the ports with containers and secrets; tests
// implement them with fakes. core/deployflow owns the DAG's shape, core/pipeline runs it (one
// OpenTelemetry span per stage).
//
// A deployment runs in one of two modes. In apply mode (Deploy) every stage plans, checks the part
// against a reviewed plan file when one is given, then applies. In plan mode (Plan) every stage
// stops after planning and reports what it would do; nothing is written anywhere.
package deploy
