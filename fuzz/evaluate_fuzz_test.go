package fuzz

import "testing"

// FuzzEvaluateDifferential is the differential target of model.Evaluate against
// reference.Evaluate on scenarios decoded by DecodeScenario (see
// CheckEvaluate). Its seed corpus is testdata/fuzz/FuzzEvaluateDifferential
// (generated, see doc.go).
func FuzzEvaluateDifferential(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := CheckEvaluate(data); err != nil {
			t.Fatal(err)
		}
	})
}
