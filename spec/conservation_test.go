package spec_test

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestCheckConservation checks SPEC LED-4 on changes to a balanced state
// (state(): settlement 0 = minus the signed cost bases, open interest
// equal in both markets). wantPath is the Path of the expected *Error
// ("-" for none).
func TestCheckConservation(t *testing.T) {
	account := func(st *spec.State, id string, f func(a *spec.Account)) {
		a := st.Accounts[id].Clone()
		f(&a)
		st.Accounts[id] = a
	}
	cases := []struct {
		name                  string
		change                func(st *spec.State)
		deposits, withdrawals decimal.Decimal
		wantPath              string
	}{
		{name: "unchanged", change: func(*spec.State) {}, wantPath: "-"},
		{name: "a created unit", change: func(st *spec.State) {
			account(st, "alice", func(a *spec.Account) { a.WalletBalance = a.WalletBalance.Add(d("0.00000001")) })
		}, wantPath: ""},
		{name: "the same unit as a deposit", change: func(st *spec.State) {
			account(st, "alice", func(a *spec.Account) { a.WalletBalance = a.WalletBalance.Add(d("0.00000001")) })
		}, deposits: d("0.00000001"), wantPath: "-"},
		{name: "a withdrawal", change: func(st *spec.State) {
			account(st, "mm", func(a *spec.Account) { a.WalletBalance = a.WalletBalance.Sub(d("250")) })
		}, withdrawals: d("250"), wantPath: "-"},
		{name: "a withdrawal not taken from any account", withdrawals: d("250"), change: func(*spec.State) {}, wantPath: ""},
		{name: "a fee moved to the fee pool", change: func(st *spec.State) {
			account(st, "alice", func(a *spec.Account) { a.WalletBalance = a.WalletBalance.Sub(d("1.5")) })
			st.FeePool = st.FeePool.Add(d("1.5"))
		}, wantPath: "-"},
		{name: "margin moved into an isolated position", change: func(st *spec.State) {
			account(st, "alice", func(a *spec.Account) {
				a.WalletBalance = a.WalletBalance.Sub(d("10"))
				a.Positions[1].IsolatedMargin = nd("1010")
			})
		}, wantPath: "-"},
		{name: "dust and the insurance fund count", change: func(st *spec.State) {
			st.InsuranceFund.WalletBalance = st.InsuranceFund.WalletBalance.Sub(d("0.00000002"))
			st.Dust = st.Dust.Add(d("0.00000002"))
		}, wantPath: "-"},
		{name: "settlement off, the sum kept", change: func(st *spec.State) {
			st.Settlement = nd("1")
			st.FeePool = st.FeePool.Sub(d("1"))
		}, wantPath: "settlement"},
		{name: "an absent settlement is derived", change: func(st *spec.State) { st.Settlement = decimal.NullDecimal{} }, wantPath: "-"},
		// mm's positions vanish: settlement = -(3000 - 10000 - 1500) = 8500
		// and mm's wallet pays it (sum kept), so only open interest is off;
		// BTCUSDT comes first.
		{name: "open interest", change: func(st *spec.State) {
			st.Accounts["mm"] = spec.Account{WalletBalance: d("91500")}
			st.Settlement = nd("8500")
		}, wantPath: "markets.BTCUSDT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, after := state(), state()
			tc.change(after)
			err := spec.CheckConservation(before, after, tc.deposits, tc.withdrawals)
			if tc.wantPath == "-" {
				if err != nil {
					t.Fatalf("CheckConservation: %v", err)
				}
				return
			}
			var e *spec.Error
			if !errors.As(err, &e) || e.Rule != "LED-4" || e.Path != tc.wantPath {
				t.Fatalf("CheckConservation: %v, want an LED-4 error at %q", err, tc.wantPath)
			}
		})
	}
}

// TestCheckBalanced checks the one-state part of LED-4.
func TestCheckBalanced(t *testing.T) {
	cases := []struct {
		name     string
		change   func(st *spec.State)
		wantPath string
	}{
		{"balanced", func(*spec.State) {}, "-"},
		{"no accounts", func(st *spec.State) { *st = spec.State{} }, "-"},
		{"settlement off", func(st *spec.State) { st.Settlement = nd("0.00000001") }, "settlement"},
		{"settlement absent", func(st *spec.State) { st.Settlement = decimal.NullDecimal{} }, "-"},
		{"entry value counts as the cost basis", func(st *spec.State) {
			st.InsuranceFund.Positions[0].EntryValue = nd("1501")
		}, "settlement"},
		{"open interest off in ETHUSDT", func(st *spec.State) {
			a := st.Accounts["mm"].Clone()
			a.Positions[1].Size = d("4")
			a.Positions[1].EntryPrice = d("2500") // the same cost basis, 10000
			st.Accounts["mm"] = a
		}, "markets.ETHUSDT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := state()
			tc.change(st)
			err := spec.CheckBalanced(st)
			if tc.wantPath == "-" {
				if err != nil {
					t.Fatalf("CheckBalanced: %v", err)
				}
				return
			}
			var e *spec.Error
			if !errors.As(err, &e) || e.Rule != "LED-4" || e.Path != tc.wantPath {
				t.Fatalf("CheckBalanced: %v, want an LED-4 error at %q", err, tc.wantPath)
			}
		})
	}
}
