package model

import (
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// NewLedger: the first violation, with its path and rule, in the order
// documented on Ledger.
func TestLedgerStateErrors(t *testing.T) {
	iso := func(a spec.Account) spec.Account {
		a.Positions = []spec.Position{{Market: "BTCUSDT", Side: spec.Long, Size: d("0.1"), EntryPrice: d("30000"), MarginMode: spec.Isolated}}
		return a
	}
	for _, c := range []struct {
		name       string
		mut        func(st *spec.State)
		path, rule string
	}{
		{"bad id", func(st *spec.State) { st.Accounts["@x"] = spec.Account{} }, "accounts.@x", "LED-1"},
		{"empty id", func(st *spec.State) { st.Accounts[""] = spec.Account{} }, `accounts.""`, "LED-1"},
		{"wallet NUM-1", func(st *spec.State) { st.Accounts["zed"] = spec.Account{WalletBalance: d("0.000000001")} }, "accounts.zed.walletBalance", "NUM-1"},
		{"fund NUM-2", func(st *spec.State) { st.InsuranceFund.WalletBalance = d("1e20") }, "insuranceFund.walletBalance", "NUM-2"},
		{"isolated without settings", func(st *spec.State) { st.Accounts["zed"] = iso(spec.Account{}) }, "accounts.zed.positions[0].marginMode", "LED-2"},
		{"leverage differs", func(st *spec.State) {
			a := iso(spec.Account{Settings: map[string]spec.AccountSettings{"BTCUSDT": {MarginMode: spec.Isolated, Leverage: nd("5")}}})
			st.Accounts["zed"] = a
		}, "accounts.zed.positions[0].leverage", "LED-2"},
		{"settings market", func(st *spec.State) {
			st.Accounts["zed"] = spec.Account{Settings: map[string]spec.AccountSettings{"XXX": {}}}
		}, "accounts.zed.settings.XXX", "POS-1"},
		{"settings leverage", func(st *spec.State) {
			st.Accounts["zed"] = spec.Account{Settings: map[string]spec.AccountSettings{"BTCUSDT": {Leverage: nd("11")}}}
		}, "accounts.zed.settings.BTCUSDT.leverage", "POS-4"},
		{"settings mode", func(st *spec.State) {
			st.Accounts["zed"] = spec.Account{Settings: map[string]spec.AccountSettings{"BTCUSDT": {MarginMode: "portfolio"}}}
		}, "accounts.zed.settings.BTCUSDT.marginMode", "POS-3"},
		{"fund isolated", func(st *spec.State) {
			st.InsuranceFund.Settings = map[string]spec.AccountSettings{"BTCUSDT": {MarginMode: spec.Isolated}}
		}, "insuranceFund.settings.BTCUSDT.marginMode", "LED-2"},
		{"fund position isolated", func(st *spec.State) { st.InsuranceFund = iso(spec.Account{}) }, "insuranceFund.positions[0].marginMode", "LED-2"},
		{"account order", func(st *spec.State) {
			st.Accounts["zed"] = spec.Account{Positions: []spec.Position{crossPos("BTCUSDT", spec.Long, "0.001", "0.00000001")}}
			st.Accounts["mm"] = spec.Account{Positions: append(st.Accounts["mm"].Positions, crossPos("BTCUSDT", spec.Short, "0.001", "0.00000001"))}
		}, "accounts.mm.positions[2].market", "POS-6"}, // mm is validated before zed
		{"entry value off grid 2", func(st *spec.State) {
			st.Accounts["zed"] = spec.Account{Positions: []spec.Position{crossPos("BTCUSDT", spec.Long, "0.001", "0.00000001")}}
		}, "accounts.zed.positions[0].entryPrice", "LED-1"},
		{"tick*lot", func(st *spec.State) {
			m := st.Markets["ETHUSDT"]
			m.TickSize = d("0.00000001")
			st.Markets["ETHUSDT"] = m
		}, "accounts.alice.positions[1].market", "LED-1"},
		{"feePool", func(st *spec.State) { st.FeePool = d("-1") }, "feePool", "LED-1"},
		{"dust", func(st *spec.State) { st.Dust = d("-0.00000001") }, "dust", "LED-1"},
		{"settlement", func(st *spec.State) { st.Settlement = nd("1") }, "settlement", "LED-4"},
		{"open interest", func(st *spec.State) {
			st.Accounts["zed"] = spec.Account{Positions: []spec.Position{crossPos("ETHUSDT", spec.Long, "1", "2000")}}
		}, "markets.ETHUSDT", "LED-4"},
		{"market", func(st *spec.State) {
			m := st.Markets["BTCUSDT"]
			m.LotSize = d("0")
			st.Markets["BTCUSDT"] = m
		}, "markets.BTCUSDT.lotSize", "MKT-1"},
		{"price", func(st *spec.State) { st.Prices["BTCUSDT"] = spec.Price{Mark: nd("-1")} }, "prices.BTCUSDT.mark", "MARK-1"},
		{"entry value above MAX", func(st *spec.State) {
			st.Accounts["p1"] = spec.Account{Positions: []spec.Position{crossPos("ETHUSDT", spec.Long, "1000000", "1000000")}}
			st.Accounts["p2"] = spec.Account{Positions: []spec.Position{crossPos("ETHUSDT", spec.Short, "1000000", "1000000")}}
		}, "accounts.p1.positions[0].entryValue", "NUM-2"},
		{"derived settlement above MAX", func(st *spec.State) {
			st.Accounts["p1"] = spec.Account{Positions: []spec.Position{crossPos("ETHUSDT", spec.Long, "10", "9000000000")}}
			st.Accounts["p3"] = spec.Account{Positions: []spec.Position{crossPos("ETHUSDT", spec.Long, "10", "9000000000")}}
			st.Accounts["p2"] = spec.Account{Positions: []spec.Position{crossPos("ETHUSDT", spec.Short, "20", "0.01")}}
		}, "settlement", "NUM-2"},
	} {
		st := seedAState("")
		c.mut(st)
		_, err := NewLedger(st)
		e, ok := err.(*spec.Error)
		if !ok || e.Path != c.path || e.Rule != c.rule {
			t.Errorf("%s: got %v, want %s at %s", c.name, err, c.rule, c.path)
		}
	}
	// ACC-2: a trader's wallet may be negative in a state.
	st := seedAState("")
	st.Accounts["zed"] = spec.Account{WalletBalance: d("-1")}
	if _, err := NewLedger(st); err != nil {
		t.Errorf("ACC-2: negative trader wallet in a state: %v", err)
	}
	// A settlement that is given and right is accepted; the fund may be negative.
	st = seedAState("")
	st.Settlement = nd("0")
	st.InsuranceFund.WalletBalance = d("-5")
	if _, err := NewLedger(st); err != nil {
		t.Fatal(err)
	}
}

// Event validation: path and rule of the first violation (order in
// ledger_events.go).
func TestLedgerEventErrors(t *testing.T) {
	for _, c := range []struct {
		name       string
		ev         spec.Event
		path, rule string
	}{
		{"type", spec.Event{Type: "x"}, "events[0].type", "LED-5"},
		{"foreign field", spec.Event{Type: spec.EventDeposit, Account: "alice", Market: "BTCUSDT", Amount: nd("1")}, "events[0].market", "LED-5"},
		{"foreign field order", spec.Event{Type: spec.EventFunding, Market: "BTCUSDT", Rate: nd("0"), Leverage: nd("1"), Maker: "buyer"}, "events[0].maker", "LED-5"},
		{"no account", evDeposit("bob", "1"), "events[0].account", "LED-5"},
		{"no amount", spec.Event{Type: spec.EventDeposit, Account: "alice"}, "events[0].amount", "LED-5"},
		{"amount 0", evDeposit("alice", "0"), "events[0].amount", "LED-5"},
		{"amount NUM-1", evDeposit("alice", "0.000000001"), "events[0].amount", "NUM-1"},
		{"deposit overflow", evDeposit("mm", "92233720368"), "events[0].amount", "NUM-2"},
		// TRD-5 is checked before NUM-2 on the reported values.
		{"trade TRD-5 before NUM-2", evTrade("BTCUSDT", "mm", "alice", "100", "1000000000"), "events[0].buyer", "TRD-5"},
		{"trade market", evTrade("XXX", "alice", "mm", "1", "1"), "events[0].market", "TRD-1"},
		{"trade buyer", evTrade("ETHUSDT", "bob", "mm", "1", "1"), "events[0].buyer", "TRD-1"},
		{"trade self", evTrade("ETHUSDT", "mm", "mm", "1", "1"), "events[0].seller", "TRD-1"},
		{"trade size", spec.Event{Type: spec.EventTrade, Market: "ETHUSDT", Buyer: "mm", Seller: "alice", Price: nd("1")}, "events[0].size", "LED-5"},
		{"trade lot", evTrade("ETHUSDT", "mm", "alice", "0.001", "1"), "events[0].size", "TRD-1"},
		{"trade tick", evTrade("ETHUSDT", "mm", "alice", "1", "2000.001"), "events[0].price", "TRD-1"},
		{"trade maker", spec.Event{Type: spec.EventTrade, Market: "ETHUSDT", Buyer: "mm", Seller: "alice", Size: nd("1"), Price: nd("2000"), Maker: "x"}, "events[0].maker", "LED-5"},
		{"price market", evMark("XXX", "1"), "events[0].market", "PRICE-1"},
		{"funding market", evFunding("XXX", "1"), "events[0].market", "POS-1"},
		{"price mark", evMark("BTCUSDT", "0"), "events[0].mark", "MARK-1"},
		{"price index", spec.Event{Type: spec.EventPrice, Market: "BTCUSDT", Last: nd("1")}, "events[0].index", "MARK-2"},
		{"funding rate", spec.Event{Type: spec.EventFunding, Market: "BTCUSDT"}, "events[0].rate", "LED-5"},
		{"leverage", spec.Event{Type: spec.EventSetLeverage, Account: "alice", Market: "BTCUSDT", Leverage: nd("10.5")}, "events[0].leverage", "POS-4"},
		{"mode change with position", spec.Event{Type: spec.EventSetMarginMode, Account: "alice", Market: "BTCUSDT", MarginMode: spec.Isolated}, "events[0].marginMode", "LED-2"},
		{"fund isolated", spec.Event{Type: spec.EventSetMarginMode, Account: spec.InsuranceAccount, Market: "BTCUSDT", MarginMode: spec.Isolated}, "events[0].marginMode", "LED-2"},
		{"add margin cross", spec.Event{Type: spec.EventAddMargin, Account: "alice", Market: "BTCUSDT", Amount: nd("1")}, "events[0].market", "POS-5"},
		{"add margin market", spec.Event{Type: spec.EventAddMargin, Account: "alice", Market: "X", Amount: nd("1")}, "events[0].market", "POS-1"},
		{"no leverage", spec.Event{Type: spec.EventSetLeverage, Account: "alice", Market: "BTCUSDT"}, "events[0].leverage", "POS-4"},
		{"no mode", spec.Event{Type: spec.EventSetMarginMode, Account: "alice", Market: "BTCUSDT"}, "events[0].marginMode", "POS-3"},
	} {
		l, err := NewLedger(seedAState(""))
		if err != nil {
			t.Fatal(err)
		}
		before := mustJSON(t, l.State())
		_, err = l.Apply(c.ev)
		e, ok := err.(*spec.Error)
		if !ok || e.Path != c.path || e.Rule != c.rule {
			t.Errorf("%s: got %v, want %s at %s", c.name, err, c.rule, c.path)
		}
		if mustJSON(t, l.State()) != before {
			t.Errorf("%s: state changed", c.name)
		}
	}
	// The event index counts failed events too.
	l, _ := NewLedger(seedAState(""))
	l.Apply(spec.Event{Type: "x"})
	effs, err := l.Apply(evDeposit("alice", "1"))
	if err != nil || effs[0].Event != 1 {
		t.Fatalf("%v %v", effs, err)
	}
	if _, err := l.Apply(spec.Event{Type: "x"}); err.(*spec.Error).Path != "events[2].type" {
		t.Fatalf("%v", err)
	}
}

// addMargin: the amount must not exceed the wallet (ACC-1) even when the
// cross pool's unrealized profit would cover it, and must leave the cross
// pool at E >= IM (POOL-6). x: wallet 10, cross long 1 M @100 at mark 200
// (U = 100, IM 20), isolated short 1 N @100 (margin 10).
func TestLedgerAddMarginLimits(t *testing.T) {
	m := mkt("1", "1", spec.BasisMark, oneTier("0.05", "10"))
	st := &spec.State{
		Markets: map[string]spec.Market{"M": m, "N": m},
		Prices:  map[string]spec.Price{"M": {Mark: nd("200")}, "N": {Mark: nd("100")}},
		Accounts: map[string]spec.Account{
			"x": {WalletBalance: d("10"), Settings: map[string]spec.AccountSettings{"N": {MarginMode: spec.Isolated, Leverage: nd("10")}},
				Positions: []spec.Position{crossPos("M", spec.Long, "1", "100"),
					{Market: "N", Side: spec.Short, Size: d("1"), EntryPrice: d("100"), MarginMode: spec.Isolated, Leverage: nd("10")}}},
			"y": {WalletBalance: d("1000"), Positions: []spec.Position{crossPos("M", spec.Short, "1", "100"), crossPos("N", spec.Long, "1", "100")}},
		},
	}
	h := newHarness(t, st)
	add := func(amt string) spec.Event {
		return spec.Event{Type: spec.EventAddMargin, Account: "x", Market: "N", Amount: nd(amt)}
	}
	h.reject(add("10.00000001"), "events[0].amount", "ACC-1")
	h.ok(add("10")) // E = 0 + 100 = 100 >= IM 20
	h.ok(evMark("M", "110"))
	// Now wallet 0, E = 10 < IM 11: nothing more can move.
	h.reject(add("0.00000001"), "events[3].amount", "ACC-1")
	// With 5 deposited, E = 15 and IM 11: 4 may move, 5 breaks POOL-6.
	h.ok(evDeposit("x", "5"))
	h.reject(add("5"), "events[5].amount", "POOL-6")
	h.ok(add("4"))
}
