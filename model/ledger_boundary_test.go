package model_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// TestLedgerSettlementAtMax: a state's derived settlement (LED-4: minus the
// signed sum of the entry values) of exactly -MAX or MAX is in range
// (NUM-2 is for values beyond MAX); one unit beyond is NUM-2 at
// "settlement" (gremlins ledger.go:428, both bounds). By hand, MAX =
// 92233720368.54775807: longs a (size 1, V = MAX) and b (size 1e-8, V =
// b), a short c (size 1.00000001, V = 1e-8): settlement = -(MAX + b - 1e-8),
// = -MAX for b = 1e-8 and -MAX - 1e-8 for b = 2e-8. The mirror (sides
// swapped) gives +MAX and MAX + 1e-8.
func TestLedgerSettlementAtMax(t *testing.T) {
	for _, tc := range []struct {
		name      string
		big, tiny string // the sides of the positions of size 1 (V = MAX) and 1e-8
		vTiny     string
		wantErr   bool
	}{
		{"-MAX", "long", "long", "0.00000001", false},
		{"-MAX-1u", "long", "long", "0.00000002", true},
		{"+MAX", "short", "short", "0.00000001", false},
		{"+MAX+1u", "short", "short", "0.00000002", true},
	} {
		other := "short"
		if tc.big == "short" {
			other = "long"
		}
		pos := func(side, size, v string) string {
			return `{"walletBalance": "0", "positions": [{"market": "M", "side": "` + side + `", "size": "` + size + `", "entryValue": "` + v + `", "marginMode": "cross", "leverage": "1"}],
			  "settings": {"M": {"leverage": "1", "marginMode": "cross"}}}`
		}
		js := `{"markets": {"M": {"tickSize": "1", "lotSize": "0.00000001",
		    "tiers": [{"minNotional": "0", "maxNotional": "1000000000", "maintenanceMarginRate": "0.01", "maxLeverage": "1"}]}},
		  "prices": {"M": {"mark": "1"}},
		  "accounts": {"a": ` + pos(tc.big, "1", "92233720368.54775807") + `, "b": ` + pos(tc.tiny, "0.00000001", tc.vTiny) + `, "c": ` + pos(other, "1.00000001", "0.00000001") + `},
		  "insuranceFund": {"walletBalance": "0"}}`
		var st spec.State
		if err := json.Unmarshal([]byte(js), &st); err != nil {
			t.Fatal(err)
		}
		_, err := model.NewLedger(&st)
		var me *spec.Error
		switch {
		case tc.wantErr && (!errors.As(err, &me) || me.Path != "settlement" || me.Rule != "NUM-2"):
			t.Errorf("%s: NewLedger error %v, want NUM-2 at settlement", tc.name, err)
		case !tc.wantErr && err != nil:
			t.Errorf("%s: NewLedger error %v, want none (the settlement is in range)", tc.name, err)
		}
	}
}

// TestLedgerEntryPriceRange: a state reports a position's entryPrice only
// when V/size is on the 1e-8 grid (LED-1, RPT), so NUM-2 applies to it only
// then (gremlins ledger.go's `r == 0` tests in rangeInit and in the
// per-event range check, negated: open in session 5). By hand: size 1e-8
// and V = 1,000 give V/size = 100,000,000,000 > MAX, on the grid: NewLedger
// fails NUM-2 at the entryPrice; size 1 and V = MAX give MAX exactly: in
// range; size 3e-8 and V = 3,000.00000001 give 100,000,000,000.333... >
// MAX, off the grid: not reported, so the state loads, State reports no
// entryPrice, and a deposit to the account (which range-checks the
// account's positions again) is accepted. Account b holds the short side
// at price 1. The reference agrees on each.
func TestLedgerEntryPriceRange(t *testing.T) {
	type ledgerSession interface {
		Apply(spec.Event) ([]spec.Effect, error)
		State() *spec.State
	}
	for _, tc := range []struct {
		name, size, v string
		wantErr       bool
		wantPrice     string // the reported entryPrice, "" for none
	}{
		{"on the grid, above MAX", "0.00000001", "1000", true, ""},
		{"on the grid, MAX", "1", "92233720368.54775807", false, "92233720368.54775807"},
		{"off the grid, above MAX", "0.00000003", "3000.00000001", false, ""},
	} {
		js := `{"markets": {"M": {"tickSize": "1", "lotSize": "0.00000001",
		    "tiers": [{"minNotional": "0", "maxNotional": "92233720368.54775807", "maintenanceMarginRate": "0.01", "maxLeverage": "1"}]}},
		  "prices": {"M": {"mark": "1"}},
		  "accounts": {"a": {"walletBalance": "10", "positions": [{"market": "M", "side": "long", "size": "` + tc.size + `", "entryValue": "` + tc.v + `", "marginMode": "cross", "leverage": "1"}],
		    "settings": {"M": {"leverage": "1", "marginMode": "cross"}}},
		    "b": {"walletBalance": "10", "positions": [{"market": "M", "side": "short", "size": "` + tc.size + `", "entryValue": "` + tc.size + `", "marginMode": "cross", "leverage": "1"}],
		    "settings": {"M": {"leverage": "1", "marginMode": "cross"}}}},
		  "insuranceFund": {"walletBalance": "0"}}`
		for _, eng := range []struct {
			name      string
			newLedger func(*spec.State) (ledgerSession, error)
		}{
			{"model", func(st *spec.State) (ledgerSession, error) {
				l, err := model.NewLedger(st)
				if err != nil {
					return nil, err
				}
				return l, nil
			}},
			{"reference", func(st *spec.State) (ledgerSession, error) {
				l, err := reference.NewLedger(st)
				if err != nil {
					return nil, err
				}
				return l, nil
			}},
		} {
			var st spec.State
			if err := json.Unmarshal([]byte(js), &st); err != nil {
				t.Fatal(err)
			}
			l, err := eng.newLedger(&st)
			var me *spec.Error
			if tc.wantErr {
				if !errors.As(err, &me) || me.Path != "accounts.a.positions[0].entryPrice" || me.Rule != "NUM-2" {
					t.Errorf("%s, %s: NewLedger error %v, want NUM-2 at accounts.a.positions[0].entryPrice", eng.name, tc.name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s, %s: NewLedger error %v, want none", eng.name, tc.name, err)
				continue
			}
			got := ""
			if p := l.State().Accounts["a"].Positions[0]; !p.EntryPrice.IsZero() {
				got = p.EntryPrice.String()
			}
			if got != tc.wantPrice {
				t.Errorf("%s, %s: State's entryPrice %q, want %q", eng.name, tc.name, got, tc.wantPrice)
			}
			if _, err := l.Apply(spec.Event{Type: spec.EventDeposit, Account: "a", Amount: decimal.NullDecimal{Decimal: decimal.NewFromInt(1), Valid: true}}); err != nil {
				t.Errorf("%s, %s: a deposit is rejected: %v", eng.name, tc.name, err)
			}
		}
	}
}
