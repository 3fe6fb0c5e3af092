package fuzz

import "testing"

// FuzzQueriesDifferential is the differential target of model.Load, the
// Portfolio queries and SetMark against reference.Evaluate (see CheckQueries).
// Its seed corpus is testdata/fuzz/FuzzQueriesDifferential (generated, see
// doc.go).
func FuzzQueriesDifferential(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := CheckQueries(data); err != nil {
			t.Fatal(err)
		}
	})
}
