package model

import (
	"strconv"
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// BenchmarkLedgerTrade applies alternating trades that open and close a
// cross position between two funded accounts (TRD-2..5 with fees).
func BenchmarkLedgerTrade(b *testing.B) {
	st := seedAState("0.01")
	st.Accounts["alice"] = spec.Account{WalletBalance: d("1000000"), Positions: st.Accounts["alice"].Positions}
	l, err := NewLedger(st)
	if err != nil {
		b.Fatal(err)
	}
	open, close := evTrade("BTCUSDT", "alice", "mm", "0.1", "30000"), evTrade("BTCUSDT", "mm", "alice", "0.1", "30000")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ev := open
		if i%2 == 1 {
			ev = close
		}
		if _, err := l.Apply(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLedgerPriceSweep applies price events to a market in which 200
// accounts hold healthy positions: the cost of the LQ-1 sweep that finds
// nothing to liquidate.
func BenchmarkLedgerPriceSweep(b *testing.B) {
	st := &spec.State{
		Markets:  map[string]spec.Market{"BTCUSDT": mkt("0.1", "0.001", spec.BasisMark, oneTier("0.005", "100"))},
		Prices:   map[string]spec.Price{"BTCUSDT": {Mark: nd("30000")}},
		Accounts: map[string]spec.Account{},
	}
	for i := 0; i < 200; i++ {
		side := spec.Long
		if i%2 == 1 {
			side = spec.Short
		}
		st.Accounts["acct"+strconv.Itoa(i)] = spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{crossPos("BTCUSDT", side, "1", "30000")}}
	}
	l, err := NewLedger(st)
	if err != nil {
		b.Fatal(err)
	}
	evs := []spec.Event{evMark("BTCUSDT", "30100"), evMark("BTCUSDT", "29900")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := l.Apply(evs[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}
