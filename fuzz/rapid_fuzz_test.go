package fuzz

import (
	"testing"

	"pgregory.net/rapid"
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
