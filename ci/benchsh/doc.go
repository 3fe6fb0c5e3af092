// Package benchsh holds the end-to-end tests of ci/bench.sh. Most create
// throwaway git repositories with a tiny benchmark package and run the
// script against them (REPO=...), checking its exit status, its reports
// and that it removes its temporary worktree. TestGateCatchesSlowedModel
// runs it on this repository's real code instead: in a temporary clone of
// HEAD it slows model.Portfolio.Cross down about 3x and checks that
// `bench.sh compare` fails with BenchmarkHealth/impl=model/pos=10
// REGRESSED, and that the unmodified clone (HEAD against HEAD) passes.
// All of them are skipped with -short.
package benchsh
