package model_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/perpcheck/perpcheck/model"
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
