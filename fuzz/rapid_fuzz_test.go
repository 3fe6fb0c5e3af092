// The gofuzz tag is set by OSS-Fuzz / ClusterFuzzLite builds, whose
// go-118-fuzz-build rewrites the harness to its own testing.T: the function
// rapid.MakeFuzz returns takes the standard *testing.T and cannot be called
// there, so this target exists only for go test (the decoder-based
// EvaluateDifferential target checks the same property under libFuzzer).

//go:build !gofuzz

package fuzz

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties"
)

// FuzzEvaluateRapid runs DifferentialProperty under the fuzzer through
// rapid.MakeFuzz: the fuzzer's bytes are rapid's random bitstream.
// Its seed corpus is testdata/fuzz/FuzzEvaluateRapid (generated, see doc.go).
func FuzzEvaluateRapid(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(DifferentialProperty))
}

// TestDifferentialProperty runs DifferentialProperty under rapid.Check
// (-rapid.checks, default 100).
func TestDifferentialProperty(t *testing.T) {
	rapid.Check(t, DifferentialProperty)
}

// FuzzLedgerRapid runs the suite's differential ledger property
// (properties' LED-6/differential-ledger: a generated state and event run,
// the model's ledger against the reference's after every event, plus every
// invariant of LED-4/stateful-invariants) with the fuzzer's bytes as rapid's
// bitstream. Its seed corpus is testdata/fuzz/FuzzLedgerRapid.
func FuzzLedgerRapid(f *testing.F) {
	target, err := properties.FuzzTarget(properties.Model(), "LED-6/differential-ledger", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(target)
}
