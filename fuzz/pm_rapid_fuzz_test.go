//go:build !gofuzz

package fuzz

import "testing"

// FuzzPMRapid runs the suite's portfolio-margin differential property
// (properties' PM-9/differential: portfolio accounts over up to three
// underlyings, perpetuals and dated futures, isolated positions beside,
// model.Evaluate against reference.Evaluate); the fuzzer's bytes are
// rapid's bitstream. Its seed corpus is testdata/fuzz/FuzzPMRapid. Go test
// only, like the EvaluateRapid target.
func FuzzPMRapid(f *testing.F) {
	f.Fuzz(suiteTarget(f, "PM-9/differential"))
}
