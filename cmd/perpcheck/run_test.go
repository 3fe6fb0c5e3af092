package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Seed document 000, example A, as a ledger run (examples/runs/seed-example-a.json).
// Expected values are computed by hand from SPEC TRD-5, LQ-2..4:
//   - carol (wallet $1,000) opens long 0.1 BTC @30,000 (IM $300), then short 5 ETH
//     @2,000: IM $1,300 > $1,000, so the second trade is rejected, shortfall $300;
//   - alice holds both positions on $1,000; BTC -> 31,000 (+$100), ETH -> 2,160
//     (-$800): equity $300 < MM $695, so the sweep liquidates the largest loss
//     first, the ETH short, at tickUp(2160) = 2160 against the insurance fund, with
//     a fee min(0.5% * 5 * 2160, 300) = $54; then equity 246 >= MM 155 and it stops,
//     leaving the BTC long ("留下少量資金維持 BTC 多單").
func TestRunSeedExampleA(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.json")
	var out, errb bytes.Buffer
	code := run([]string{"run", "-state", statePath, "../../examples/runs/seed-example-a.json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Results []struct {
			Event int `json:"event"`
			Error *struct {
				Path, Rule, Msg string
			} `json:"error"`
		} `json:"results"`
		Effects []map[string]any `json:"effects"`
		State   struct {
			Accounts map[string]struct {
				WalletBalance string           `json:"walletBalance"`
				Positions     []map[string]any `json:"positions"`
			} `json:"accounts"`
			InsuranceFund struct {
				WalletBalance string           `json:"walletBalance"`
				Positions     []map[string]any `json:"positions"`
			} `json:"insuranceFund"`
		} `json:"state"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 4 {
		t.Fatalf("want 4 results, got %d", len(got.Results))
	}
	if e := got.Results[1].Error; e == nil || e.Rule != "TRD-5" || !strings.Contains(e.Msg, "shortfall 300") {
		t.Errorf("event 1: want a TRD-5 rejection with shortfall 300, got %+v", e)
	}
	for _, i := range []int{0, 2, 3} {
		if got.Results[i].Error != nil {
			t.Errorf("event %d rejected: %+v", i, got.Results[i].Error)
		}
	}
	var liquidations []string
	for _, e := range got.Effects {
		if e["type"] == "liquidation" {
			liquidations = append(liquidations, e["account"].(string)+"/"+e["market"].(string))
		}
		if e["reason"] == "liquidation-fee" && e["amount"] != "54" {
			t.Errorf("liquidation fee %v, want 54", e["amount"])
		}
	}
	if strings.Join(liquidations, ",") != "alice/ETHUSDT" {
		t.Errorf("liquidations %v, want only alice/ETHUSDT (largest loss first, then healthy)", liquidations)
	}
	alice := got.State.Accounts["alice"]
	if alice.WalletBalance != "146" || len(alice.Positions) != 1 || alice.Positions[0]["market"] != "BTCUSDT" {
		t.Errorf("alice after liquidation: %+v", alice)
	}
	fund := got.State.InsuranceFund
	if fund.WalletBalance != "10054" || len(fund.Positions) != 1 || fund.Positions[0]["entryValue"] != "10800" {
		t.Errorf("insurance fund after takeover: %+v", fund)
	}

	// perpcheck eval reads the final state: alice is healthy again (246 >= 155).
	if _, err := os.Stat(statePath); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"eval", statePath}, nil, &out, &errb); code != 0 {
		t.Fatalf("eval of the final state: exit %d: %s", code, errb.String())
	}
	var rep struct {
		Accounts map[string]struct {
			Pools []map[string]any `json:"pools"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	pool := rep.Accounts["alice"].Pools[0]
	if pool["equity"] != "246" || pool["maintenanceMargin"] != "155" || pool["liquidatable"] != false {
		t.Errorf("alice's cross pool after the run: %+v", pool)
	}
	if _, ok := rep.Accounts["@insurance"]; !ok {
		t.Error("the insurance fund's account must be evaluated too")
	}
}

func TestRunBadStateExitsTwo(t *testing.T) {
	var out, errb bytes.Buffer
	in := `{"markets":{},"prices":{},"accounts":{"@bad":{"walletBalance":"1","positions":[]}},"events":[]}`
	if code := run([]string{"run", "-"}, strings.NewReader(in), &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", code, errb.String())
	}
	if !strings.Contains(errb.String(), "LED-1") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("stderr %q: want one line naming LED-1", errb.String())
	}
}
