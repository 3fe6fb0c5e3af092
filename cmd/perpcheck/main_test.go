package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// evalFile runs `perpcheck eval` on a file and decodes the report generically,
// so that this test checks the documented JSON field names, not Go types.
func evalFile(t *testing.T, path string) map[string]any {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"eval", path}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	return rep
}

func field(t *testing.T, rep map[string]any, list string, i int, name string) any {
	t.Helper()
	items, ok := rep[list].([]any)
	if !ok || i >= len(items) {
		t.Fatalf("report has no %s[%d]", list, i)
	}
	return items[i].(map[string]any)[name]
}

func wantDecimal(t *testing.T, got any, want string) {
	t.Helper()
	s, ok := got.(string)
	if !ok {
		t.Errorf("got %v (%T), want decimal string %q", got, got, want)
		return
	}
	// Reports use shortest form (NUM-5), so text equality is numeric equality.
	if s != want {
		t.Errorf("got %s, want %s", s, want)
	}
}

// Seed document 000 (ApeX Omni article, example B): isolated XRP long at 10x,
// $100 margin, MM 5% on entry value: liquidation near $0.95, bankruptcy at $0.90.
func TestEvalSeedIsolatedXRP(t *testing.T) {
	rep := evalFile(t, "../../examples/scenarios/seed-xrp-isolated.json")
	wantDecimal(t, field(t, rep, "positions", 0, "notional"), "970")
	wantDecimal(t, field(t, rep, "positions", 0, "unrealizedPnl"), "-30")
	wantDecimal(t, field(t, rep, "positions", 0, "initialMargin"), "97")
	wantDecimal(t, field(t, rep, "positions", 0, "maintenanceMargin"), "50")
	wantDecimal(t, field(t, rep, "positions", 0, "liquidationPrice"), "0.95")
	wantDecimal(t, field(t, rep, "positions", 0, "bankruptcyPrice"), "0.9")
	wantDecimal(t, field(t, rep, "positions", 0, "maxRemovableMargin"), "0")
	// pools[1] is the isolated pool: equity 100 - 30 = 70, MM/equity = 5/7 rounded up.
	wantDecimal(t, field(t, rep, "pools", 1, "equity"), "70")
	wantDecimal(t, field(t, rep, "pools", 1, "marginRatio"), "0.71428572")
	if field(t, rep, "pools", 1, "liquidatable") != false {
		t.Error("isolated pool at mark 0.97 must not be liquidatable (70 >= 50)")
	}
	// The cross wallet is untouched by the isolated position.
	wantDecimal(t, field(t, rep, "pools", 0, "equity"), "500")
	wantDecimal(t, field(t, rep, "pools", 0, "available"), "500")
}

// Seed document 000, example A: cross account, $1,000, long 0.1 BTC @30,000 and
// short 5 ETH @2,000; ETH up 8% (short loses $800), BTC up (long gains $100):
// equity $300 against MM 5% of the position values, so the account is liquidatable.
// Here MM is on the mark (the seed's $650 is on entry value: see model tests).
func TestEvalSeedCrossExampleA(t *testing.T) {
	rep := evalFile(t, "../../examples/scenarios/seed-cross-example-a.json")
	wantDecimal(t, field(t, rep, "pools", 0, "equity"), "300")
	wantDecimal(t, field(t, rep, "pools", 0, "maintenanceMargin"), "695")
	wantDecimal(t, field(t, rep, "pools", 0, "initialMargin"), "1390")
	wantDecimal(t, field(t, rep, "pools", 0, "marginRatio"), "2.31666667")
	if field(t, rep, "pools", 0, "liquidatable") != true {
		t.Error("equity 300 < MM 695 must be liquidatable (POOL-5)")
	}
	// ETH short, other position held at its mark: K = 1000 + 100 - 155 = 945,
	// root = (945 + 10000) / (5 * 1.05) = 2084.7619..., tickDown(0.01) = 2084.76.
	wantDecimal(t, field(t, rep, "positions", 1, "liquidationPrice"), "2084.76")
	wantDecimal(t, field(t, rep, "positions", 1, "liquidationPriceExact"), "2084.76190476")
	// BTC long: K = 1000 - 800 - 540 = -340, root = 3340 / 0.095 = 35157.8947..., tickUp(0.1).
	wantDecimal(t, field(t, rep, "positions", 0, "liquidationPrice"), "35157.9")
	// Bankruptcy: ETH 2000 + (1000 + 100)/5 = 2220; BTC 30000 - (1000 - 800)/0.1 = 28000.
	wantDecimal(t, field(t, rep, "positions", 1, "bankruptcyPrice"), "2220")
	wantDecimal(t, field(t, rep, "positions", 0, "bankruptcyPrice"), "28000")
}

// The Binance profile (2024-10 brackets, research notes §1.3(a)) with a mark
// computed by MARK-2..4: P1 = 60010 * (1 + 0.0001 * 4h/8h) = 60013.0005,
// P2 = 60010 + 12.5 = 60022.5, last 60100, median 60022.5.
func TestEvalBinanceProfileComputedMark(t *testing.T) {
	rep := evalFile(t, "../../examples/scenarios/binance-btcusdt-profile.json")
	prices := rep["prices"].(map[string]any)["BTCUSDT"].(map[string]any)
	wantDecimal(t, prices["mark"], "60022.5")
	if prices["computed"] != true {
		t.Error("mark must be reported as computed")
	}
	// Notional 90033.75 is in tier 2 (50k-600k, MMR 0.5%, cum 50): MM = 400.16875.
	wantDecimal(t, field(t, rep, "positions", 0, "maintenanceMargin"), "400.16875")
	wantDecimal(t, field(t, rep, "positions", 0, "initialMargin"), "4501.6875")
	if tier := field(t, rep, "positions", 0, "tier"); tier != float64(2) {
		t.Errorf("tier = %v, want 2", tier)
	}
	// Liquidation at the tier-2 root: (91500 - 10000 - 50) / (1.5 * 0.995) = 54572.8643...
	wantDecimal(t, field(t, rep, "positions", 0, "liquidationPrice"), "54572.9")
	wantDecimal(t, field(t, rep, "positions", 0, "liquidationPriceExact"), "54572.86432161")
	// Bankruptcy 61000 - 10000/1.5 = 54333.333..., tickUp(0.1) = 54333.4.
	wantDecimal(t, field(t, rep, "positions", 0, "bankruptcyPrice"), "54333.4")
}

func TestEvalBadInputExitsTwoWithPathAndRule(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown field", `{"markets":{},"prices":{},"account":{"walletBalance":"1","positions":[],"bogus":1}}`,
			"account.bogus: EVAL-4: unknown field"},
		{"NaN", `{"markets":{},"prices":{},"account":{"walletBalance":"NaN","positions":[]}}`,
			"account.walletBalance: EVAL-4"},
		{"too many digits", `{"markets":{},"prices":{},"account":{"walletBalance":"1.000000001","positions":[]}}`,
			"account.walletBalance: NUM-1"},
		{"negative wallet", `{"markets":{},"prices":{},"account":{"walletBalance":"-1","positions":[]}}`,
			"account.walletBalance: ACC-1"},
		{"unknown market", `{"markets":{},"prices":{},"account":{"walletBalance":"1","positions":[{"market":"X","side":"long","size":"1","entryPrice":"1","marginMode":"cross"}]}}`,
			"account.positions[0].market: POS-1"},
		{"unknown profile", `{"markets":{"X":{"profile":"nosuchvenue","symbol":"BTCUSDT"}},"prices":{},"account":{"walletBalance":"1","positions":[]}}`,
			"markets.X.profile: PROF-1"},
		{"isolated on coinbase", `{"markets":{"BTC":{"profile":"coinbase","symbol":"BTC-PERP"}},"prices":{"BTC":{"mark":"1"}},"account":{"walletBalance":"1","positions":[{"market":"BTC","side":"long","size":"1","entryPrice":"1","marginMode":"isolated"}]}}`,
			"account.positions[0].marginMode: POS-3"},
		{"not json", `{`, "EVAL-4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"eval", "-"}, strings.NewReader(tc.in), &out, &errb)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, errb.String())
			}
			msg := errb.String()
			if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tc.want) {
				t.Fatalf("stderr %q: want one line containing %q", msg, tc.want)
			}
			if out.Len() != 0 {
				t.Fatalf("no report may be printed on error, got %q", out.String())
			}
		})
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(nil, nil, &out, &errb); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if code := run([]string{"frobnicate"}, nil, &out, &errb); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	out.Reset()
	if code := run([]string{"profiles"}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "binance@2024-10-01") {
		t.Errorf("profiles: exit %d, output %q", code, out.String())
	}
}
