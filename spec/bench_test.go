package spec_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// BenchmarkDiffExactState is the suite's per-event mutation check: a state
// against its clone (equal).
func BenchmarkDiffExactState(b *testing.B) {
	st := state()
	c := st.Clone()
	b.ReportAllocs()
	for range b.N {
		if d := spec.DiffExact(st, c); d != nil {
			b.Fatal(d)
		}
	}
}

// BenchmarkDiffReport compares two equal reports.
func BenchmarkDiffReport(b *testing.B) {
	r := report()
	c := r.Clone()
	b.ReportAllocs()
	for range b.N {
		if d := spec.Diff(r, c); d != nil {
			b.Fatal(d)
		}
	}
}

// BenchmarkCloneState is one deep copy of a state.
func BenchmarkCloneState(b *testing.B) {
	st := state()
	b.ReportAllocs()
	for range b.N {
		_ = st.Clone()
	}
}
