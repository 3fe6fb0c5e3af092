package model

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// floorFracs is exact: against math/big on random and on adversarial sums
// (exact integers made of non-dyadic fractions, which the 2^-64 bracket
// cannot decide and which take the multi-word fallback).
func TestFloorFracsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const maxTerms = 12
	p := &Portfolio{nat: make([]uint64, 3*(maxTerms+4))}
	check := func(ts []frac) {
		t.Helper()
		sum := new(big.Rat)
		for _, f := range ts {
			sum.Add(sum, new(big.Rat).SetFrac(new(big.Int).SetUint64(f.n), new(big.Int).SetUint64(f.d)))
		}
		want := new(big.Int).Div(sum.Num(), sum.Denom()) // Euclidean = floor for a positive denominator
		if got := p.floorFracs(ts); got != want.Int64() {
			t.Fatalf("floorFracs(%v) = %d, want %s", ts, got, want)
		}
	}
	for it := 0; it < 20000; it++ {
		n := 1 + r.IntN(maxTerms)
		ts := make([]frac, 0, n)
		for i := 0; i < n; i++ {
			d := r.Uint64()>>uint(r.IntN(63)) | 2
			ts = append(ts, frac{1 + r.Uint64N(d-1), d})
		}
		check(ts)
	}
	// Sums that are exactly an integer: k/d for d = 3, 7, 3e8, 7e8+1, ...
	for _, d := range []uint64{3, 7, 300_000_000, 700_000_001, 1<<63 - 25, 12_345_678_900_000_001} {
		for n := 3; n <= maxTerms; n++ {
			ts := make([]frac, 0, n)
			var used uint64
			for i := 0; i < n-1; i++ {
				x := 1 + r.Uint64N(d-1)
				ts = append(ts, frac{x, d})
				used += x % d // may wrap: fixed below by choosing the last term
			}
			last := d - used%d
			if last == d {
				last = d - 1 // not an integer sum then; still a valid case
			}
			ts = append(ts, frac{last, d})
			check(ts)
			// and one unit below / above the integer
			ts[n-1].n = max(1, last-1)
			check(ts)
			ts[n-1].n = min(d-1, last+1)
			check(ts)
		}
	}
	// Mixed denominators summing to an integer: 1/3 + 1/6 + 1/2, 1/5 + 4/5 + ...
	check([]frac{{1, 3}, {1, 6}, {1, 2}})
	check([]frac{{1, 300_000_000}, {1, 600_000_000}, {1, 200_000_000}, {99_999_999, 100_000_000}})
	check([]frac{{2, 3}, {2, 3}, {2, 3}, {1, 5}, {4, 5}})
}
