package properties

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// emptyPoolRescue is the LQ-3/LQ-4 case of issue 16 ("the cross liquidation
// of bob is solvent (E_x 4.86474, insurance fund 0) but the fund paid
// 0.10524947 into it"), made small enough to compute by hand.
//
// The price event crashes XRPUSDT to 1e-8 (tick 0.0001):
//
//   - alice (long 1000 at 1, V 1000, wallet 100) is first in id order:
//     E_x = 100 + 1000*tickDown(1e-8) - 1000 = 100 + 0 - 1000 = -900; the fund
//     (900) covers d = 900 exactly (LQ-5): it takes her long over at 0 (V 0)
//     and pays 900, ending at 0.
//   - bob (wallet 305; short 1000 XRP, V 1000; long 0.1 BTC, V 7000 at mark
//     57000): E = 305 + (1000 - 0.00001) - 1300 = 4.99999 < MM = 0.1*57000*0.01
//   - 0.00001*0.01 = 57.0000001, liquidatable. E_x (LQ-3: the short at
//     tickUp(1e-8) = 0.0001, the long at 57000) = 305 + 999.9 - 1300 = 4.9 >= 0:
//     solvent, LQ-4 cross. Largest loss first: BTC (U -1300) closes against
//     the fund at 57000, wallet 305 - 1300 = -995; E' (XRP at its mark) =
//     -995 + 999.99999 = 4.99999, and the fee min(up(0.01*0.1*57000) = 57,
//     down(E') = 4.99999) = 4.99999 leaves the wallet at -999.99999. Still
//     liquidatable (E = 0 < MM = 0.0000001): the short closes at its
//     execution price 0.0001, R = 1000 - 0.1 = 999.9, wallet -0.09999, and
//     the fee min(up(0.01*0.1), max(0, down(-0.09999))) = 0. The fund, long
//     1000 XRP at V 0, sells it to bob at 0.0001: +0.1.
//   - The pass liquidated something, so LQ-1 passes again: bob's cross pool,
//     now empty, has E = -0.09999 < MM = 0 (POOL-5: an empty pool has MM 0):
//     liquidatable again, E_x = -0.09999, d = 0.09999; the fund (4.99999 +
//     0.1 = 5.09999) covers it (LQ-5): no position to close (so no
//     liquidation effect) and an insurance posting of 0.09999 to bob's wallet.
//
// The LQ-4 cross fee takes down(E') with the remaining positions at their
// marks, while they close at their execution prices (worse by up to one
// tick), so a solvent pool can end empty and negative; the second pass's
// LQ-5 rescue is SPEC's behaviour (both engines), and the check must not
// count its insurance as paid into the solvent episode.
const emptyPoolRescue = `{
  "markets": {
    "BTCUSDT": {"tickSize": "0.1", "lotSize": "0.001", "liquidationFeeRate": "0.01",
      "tiers": [{"minNotional": "0", "maxNotional": "100000000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"}]},
    "XRPUSDT": {"tickSize": "0.0001", "lotSize": "0.1", "liquidationFeeRate": "0.01",
      "tiers": [{"minNotional": "0", "maxNotional": "100000000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"}]}
  },
  "prices": {"BTCUSDT": {"mark": "57000"}, "XRPUSDT": {"mark": "1"}},
  "accounts": {
    "alice": {"walletBalance": "100",
      "positions": [{"market": "XRPUSDT", "side": "long", "size": "1000", "entryPrice": "1", "marginMode": "cross", "leverage": "10"}],
      "settings": {"XRPUSDT": {"leverage": "10", "marginMode": "cross"}}},
    "bob": {"walletBalance": "305",
      "positions": [
        {"market": "XRPUSDT", "side": "short", "size": "1000", "entryPrice": "1", "marginMode": "cross", "leverage": "10"},
        {"market": "BTCUSDT", "side": "long", "size": "0.1", "entryPrice": "70000", "marginMode": "cross", "leverage": "10"}],
      "settings": {"XRPUSDT": {"leverage": "10", "marginMode": "cross"}, "BTCUSDT": {"leverage": "10", "marginMode": "cross"}}}
  },
  "insuranceFund": {"walletBalance": "900",
    "positions": [{"market": "BTCUSDT", "side": "short", "size": "0.1", "entryPrice": "70000", "marginMode": "cross", "leverage": "20"}]}
}`

// TestLQEmptyPoolRescue pins emptyPoolRescue: the model and the reference
// produce the effects computed by hand above, and the replay's LQ checks
// (checkStep) accept them. Before the fix, checkStep said "LQ-3/LQ-4: the
// cross liquidation of bob is solvent (E_x 4.9, insurance fund 0) but the
// fund paid 0.09999 into it".
func TestLQEmptyPoolRescue(t *testing.T) {
	var st spec.State
	if err := json.Unmarshal([]byte(emptyPoolRescue), &st); err != nil {
		t.Fatal(err)
	}
	ev := spec.Event{Type: spec.EventPrice, Market: "XRPUSDT", Mark: nd(decimal.RequireFromString("0.00000001"))}
	engines := []struct {
		name string
		new  func(*spec.State) (LedgerSession, error)
	}{
		{"model", modelEngine{}.NewLedger},
		{"reference", func(st *spec.State) (LedgerSession, error) { return reference.NewLedger(st) }},
	}
	for _, en := range engines {
		t.Run(en.name, func(t *testing.T) {
			before := decodeState(t, emptyPoolRescue)
			l, err := en.new(before)
			if err != nil {
				t.Fatal(err)
			}
			effects, err := l.Apply(ev)
			if err != nil {
				t.Fatal(err)
			}
			// The hand computation above: the postings of bob's wallet, in order.
			var got []string
			for _, f := range effects {
				if f.Type == spec.EffectPosting && (f.From == "wallet:bob" || f.To == "wallet:bob") {
					got = append(got, f.From+">"+f.To+" "+f.Reason+" "+f.Amount.Decimal.String())
				}
			}
			want := []string{
				"wallet:bob>settlement realized-pnl 1300",              // BTC closed at 57000: 0.1*(57000-70000)
				"wallet:bob>wallet:@insurance liquidation-fee 4.99999", // min(57, down(E') = 4.99999)
				"settlement>wallet:bob realized-pnl 999.9",             // XRP short closed at 0.0001: 1000 - 0.1
				"wallet:@insurance>wallet:bob insurance 0.09999",       // the second pass: LQ-5 of the empty pool
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("bob's postings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			e := newEnv(modelEngine{}, newCapSet(AllCapabilities()), &Config{})
			after := l.State()
			if msg, _ := checkStep(e, 0, before, bookOf(before), ev, effects, nil, after); msg != "" {
				t.Fatalf("checkStep: %s", msg)
			}
			// Teeth: the fund paying one unit more than the deficit (or
			// into the pool before its last position closed) is still caught.
			bad := append([]spec.Effect(nil), effects...)
			last := &bad[len(bad)-1]
			last.Amount = nd(decimal.RequireFromString("0.1"))
			if msg, _ := checkStep(e, 0, before, bookOf(before), ev, bad, nil, after); !strings.HasPrefix(msg, "LQ-3/LQ-4:") {
				t.Fatalf("a rescue of 0.1 (deficit 0.09999): checkStep says %q, want an LQ-3/LQ-4 failure", msg)
			}
			bad = append(append(append([]spec.Effect(nil), effects[:len(effects)-5]...), effects[len(effects)-1]), effects[len(effects)-5:len(effects)-1]...)
			if msg, _ := checkStep(e, 0, before, bookOf(before), ev, bad, nil, after); !strings.HasPrefix(msg, "LQ-3/LQ-4:") {
				t.Fatalf("the rescue posted before bob's last close: checkStep says %q, want an LQ-3/LQ-4 failure", msg)
			}
		})
	}
}

func decodeState(t *testing.T, s string) *spec.State {
	t.Helper()
	var st spec.State
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		t.Fatal(err)
	}
	return &st
}
