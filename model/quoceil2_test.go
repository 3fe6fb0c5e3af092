package model

import (
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestQuoCeil2 checks quoCeil2 (one step of Knuth's algorithm D with its
// corrections, cross_fast.go) against math/big: ceil(a/b) and whether it is
// <= MAX, for two-word a and b (b1 != 0). Random words rarely need the
// correction steps (the estimate too large by one or two, with the
// product's top word equal to the dividend's), so the cases also draw b1
// small (a large normalizing shift), b0 near 2^64 and a near a multiple of
// b, where gremlins' mutants of the correction (a dropped carry, '<' as
// '<=') survived the suite (session 8).
func TestQuoCeil2(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2))
	word := func() uint64 {
		switch r.IntN(5) {
		case 0:
			return r.Uint64N(16)
		case 1:
			return ^uint64(0) - r.Uint64N(16)
		case 2:
			return uint64(1) << r.IntN(64)
		default:
			return r.Uint64()
		}
	}
	mx := new(big.Int).SetUint64(maxU)
	of := func(hi, lo uint64) *big.Int { return natBig([]uint64{lo, hi}) } // exactge_test.go's word reader
	corrected := 0
	for n := 0; n < 200_000; n++ {
		b1, b0 := word(), word()
		if b1 == 0 {
			b1 = 1
		}
		b := of(b1, b0)
		var a *big.Int
		if r.IntN(2) == 0 { // a = b*q + e: near a multiple of b
			q := new(big.Int).SetUint64(r.Uint64N(maxU + 2))
			a = q.Mul(q, b).Add(q, big.NewInt(r.Int64N(5)-2))
		} else {
			a = of(word(), word())
		}
		if a.Sign() < 0 || a.BitLen() > 128 {
			continue
		}
		a1, a0 := new(big.Int).Rsh(a, 64).Uint64(), a.Uint64()
		want := new(big.Int)
		want.DivMod(new(big.Int).Add(a, new(big.Int).Sub(b, big.NewInt(1))), b, new(big.Int)) // ceil for a >= 0
		wantOK := want.Cmp(mx) <= 0
		got, ok := quoCeil2(a1, a0, b1, b0)
		if ok != wantOK || (ok && want.Uint64() != got) {
			t.Fatalf("quoCeil2(%#x:%#x, %#x:%#x) = %d, %v; want %s, %v", a1, a0, b1, b0, got, ok, want, wantOK)
		}
		// Count the cases whose first estimate needed a correction.
		s := uint(bits.LeadingZeros64(b1))
		u2, u1 := a1>>(64-s), a1<<s|a0>>(64-s)
		if s == 0 {
			u2 = 0
		}
		if q0, _ := bits.Div64(u2, u1, b1<<s|b0>>(64-s)); new(big.Int).SetUint64(q0).Cmp(new(big.Int).Quo(a, b)) > 0 {
			corrected++
		}
	}
	if corrected < 1000 {
		t.Fatalf("only %d cases needed a correction step", corrected)
	}
	t.Logf("%d cases needed a correction step", corrected)
}
