// Package benchsh holds the end-to-end tests of ci/bench.sh: they create
// throwaway git repositories with a tiny benchmark package and run the
// script against them (REPO=...), checking its exit status, its reports
// and that it removes its temporary worktree.
package benchsh
