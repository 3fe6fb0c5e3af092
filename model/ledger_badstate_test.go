package model

import (
	"maps"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// genBadState returns a random state (as the random runs start from) with
// one to three random defects, so that NewLedger's first violation can be
// compared with the reference's.
func genBadState(seed, i uint64) *spec.State {
	r := rand.New(rand.NewPCG(seed, i^0x5eed))
	st, _ := genStart(r)
	ids := []string{"a1", "a2", "a3", "a4"}
	pick := func() string { return ids[r.IntN(len(ids))] }
	names := slices.Sorted(maps.Keys(st.Markets))
	mk := func() string { return names[r.IntN(len(names))] }
	for n := 1 + r.IntN(3); n > 0; n-- {
		id := pick()
		a := st.Accounts[id]
		switch r.IntN(16) {
		case 0:
			a.WalletBalance = d("-1")
		case 1:
			a.WalletBalance = d("0.000000001")
		case 2:
			st.Accounts["@"+id] = spec.Account{}
		case 3:
			a.Settings = map[string]spec.AccountSettings{"XXX": {}}
		case 4:
			a.Settings = map[string]spec.AccountSettings{mk(): {Leverage: nd("1000")}}
		case 5:
			a.Settings = map[string]spec.AccountSettings{mk(): {MarginMode: "portfolio"}}
		case 6:
			st.InsuranceFund.Settings = map[string]spec.AccountSettings{mk(): {MarginMode: spec.Isolated}}
		case 7:
			a.Positions = append(a.Positions, crossPos(mk(), spec.Long, "1", "100"))
		case 8:
			a.Positions = append(a.Positions, spec.Position{Market: mk(), Side: spec.Short, Size: d("1"), EntryPrice: d("100"), MarginMode: spec.Isolated})
		case 9:
			if len(a.Positions) > 0 {
				a.Positions[0].Leverage = nd(strconv.Itoa(1 + r.IntN(3)))
			}
		case 10:
			if len(a.Positions) > 0 {
				a.Positions[0].EntryPrice = d("0.000000011")
				a.Positions[0].EntryValue.Valid = false
			}
		case 11:
			st.FeePool = d("-0.00000001")
		case 12:
			st.Dust = d("-5")
		case 13:
			st.Settlement = nd(strconv.Itoa(r.IntN(3)))
		case 14:
			st.InsuranceFund.WalletBalance = d("-1000")
		default:
			if len(a.Positions) > 0 {
				a.Positions[0].Size = a.Positions[0].Size.Add(d("1"))
			}
		}
		if _, ok := st.Accounts[id]; ok {
			st.Accounts[id] = a
		}
	}
	return st
}

// TestLedgerBadStates: NewLedger never panics on the defective states, and
// either accepts one or names a path in the state.
func TestLedgerBadStates(t *testing.T) {
	for i := uint64(0); i < 300; i++ {
		st := genBadState(1, i)
		if _, err := NewLedger(st); err != nil {
			if _, ok := err.(*spec.Error); !ok {
				t.Fatalf("%d: %T %v", i, err, err)
			}
		}
	}
}

// TestLedgerGeIM checks the integer comparison x >= IM against exact
// rationals at and around the boundary, for the cross pool and each isolated
// position of random states.
func TestLedgerGeIM(t *testing.T) {
	checked := 0
	for i := uint64(0); i < 400; i++ {
		r := rand.New(rand.NewPCG(9, i))
		st := randomState(r)
		addRandomPositions(r, st)
		l, err := NewLedger(st)
		if err != nil {
			continue
		}
		for _, id := range l.ids {
			a := l.acc[id]
			try := func(only *lpos, im *big.Rat) {
				// im*1e8 at scale 1e-16: floor and ceil, and neighbours.
				x := new(big.Rat).Mul(im, big.NewRat(int64(u8), 1))
				fl := new(big.Int).Quo(x.Num(), x.Denom())
				for _, dlt := range []int64{-2, -1, 0, 1, 2} {
					v := new(big.Int).Add(fl, big.NewInt(dlt))
					w := wide.Int{W0: v.Uint64()} // v >= 0 and < 2^64 here
					if v.Sign() < 0 || !v.IsUint64() {
						continue
					}
					want := new(big.Rat).SetFrac(v, big.NewInt(int64(u8))).Cmp(im) >= 0
					if got := l.geIM(w, a, only); got != want {
						t.Fatalf("state %d %s: geIM(%s) = %v, want %v (IM %s)", i, id, v, got, want, im.FloatString(20))
					}
					checked++
				}
			}
			try(nil, l.crossIM(a))
			for j := range a.pos {
				if !a.pos[j].cross {
					try(&a.pos[j], l.im(a, &a.pos[j]))
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d comparisons", checked)
	}
}
