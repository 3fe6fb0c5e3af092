// The gofuzz tag is set by OSS-Fuzz / ClusterFuzzLite builds, whose
// go-118-fuzz-build rewrites the harness to its own testing.T: the function
// rapid.MakeFuzz returns takes the standard *testing.T and cannot be called
// there, so these targets exist only for go test (the decoder-based
// EvaluateDifferential and LedgerDifferential targets check the same
// properties under libFuzzer).

//go:build !gofuzz

package fuzz

import (
	"testing"

	"github.com/perpcheck/perpcheck/properties"
)

// suiteTarget returns the suite's property id, run on the model against
// the reference, as a fuzz target: the fuzzer's bytes are rapid's
// bitstream for the suite's generators.
func suiteTarget(f *testing.F, id string) func(*testing.T, []byte) {
	target, err := properties.FuzzTarget(properties.Model(), id, nil)
	if err != nil {
		f.Fatal(err)
	}
	return target
}

// FuzzEvaluateRapid runs the suite's differential query property
// (properties' EVAL-2/differential: valid, edge-magnitude, near-liquidation,
// near-boundary and corrupted scenarios, model.Evaluate against
// reference.Evaluate). Its seed corpus is testdata/fuzz/FuzzEvaluateRapid.
func FuzzEvaluateRapid(f *testing.F) {
	f.Fuzz(suiteTarget(f, "EVAL-2/differential"))
}

// FuzzLedgerRapid runs the suite's differential ledger property
// (properties' LED-6/differential-ledger: a generated state and event run,
// the model's ledger against the reference's after every event, plus every
// invariant of LED-4/stateful-invariants). Its seed corpus is
// testdata/fuzz/FuzzLedgerRapid.
func FuzzLedgerRapid(f *testing.F) {
	f.Fuzz(suiteTarget(f, "LED-6/differential-ledger"))
}
