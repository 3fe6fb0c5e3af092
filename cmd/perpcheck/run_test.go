package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
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
	// EVAL-6: the fund is never checked for margin (LED-2) and may be
	// negative (LED-1); it has no report.
	if _, ok := rep.Accounts["@insurance"]; ok {
		t.Error("the insurance fund has a report; EVAL-6 says it has none")
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

// SPEC OPEN-5, the gap the suite found: the fund can go negative outside
// LQ-7 (examples/runs/open-5-fund-negative.json). Computed by hand from
// LQ-2, LQ-3, LQ-5 and TRD-2: bob, short 0.013 BTC from 20,000 on a wallet
// of 100, is liquidated when the mark reaches 28,500 (E = 100 + 260 - 370.5
// = -10.5 < MM 1.482); E_x at p = tickUp(28,500) = 28,500 is -10.5, the fund
// holds 50 >= 10.5, so LQ-5: the fund takes the short over, which closes its
// own long 0.013 from 57,000 and realizes 370.5 - 741 = -370.5, then pays the
// deficit 10.5. The fund ends at 50 - 370.5 - 10.5 = -331, bob at 0. The
// model and the reference agree (checked here on both ledgers).
func TestRunOpen5FundNegative(t *testing.T) {
	path := "../../examples/runs/open-5-fund-negative.json"
	var out, errb bytes.Buffer
	if code := run([]string{"run", path}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Effects []struct {
			Type, From, To, Reason, Account, Side, Kind string
			Amount, Size, Price                         *string
		} `json:"effects"`
		State struct {
			Accounts      map[string]struct{ WalletBalance string } `json:"accounts"`
			InsuranceFund struct {
				WalletBalance string
				Positions     []any
			} `json:"insuranceFund"`
		} `json:"state"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	type eff struct{ kind, from, to, amount, reason string }
	var postings []eff
	for _, e := range got.Effects {
		if e.Type == "posting" {
			postings = append(postings, eff{e.Type, e.From, e.To, *e.Amount, e.Reason})
		}
	}
	want := []eff{
		{"posting", "wallet:bob", "settlement", "110.5", "realized-pnl"},
		{"posting", "wallet:@insurance", "settlement", "370.5", "realized-pnl"},
		{"posting", "wallet:@insurance", "wallet:bob", "10.5", "insurance"},
	}
	if len(postings) != len(want) {
		t.Fatalf("postings %+v, want %+v", postings, want)
	}
	for i := range want {
		if postings[i] != want[i] {
			t.Errorf("posting %d: %+v, want %+v", i, postings[i], want[i])
		}
	}
	if w := got.State.InsuranceFund.WalletBalance; w != "-331" {
		t.Errorf("fund wallet %s, want -331", w)
	}
	if len(got.State.InsuranceFund.Positions) != 0 {
		t.Errorf("fund positions %v, want none", got.State.InsuranceFund.Positions)
	}
	if w := got.State.Accounts["bob"].WalletBalance; w != "0" {
		t.Errorf("bob's wallet %s, want 0", w)
	}

	// Both ledgers, effect by effect.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r spec.Run
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	ml, err := model.NewLedger(&r.State)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := reference.NewLedger(&r.State)
	if err != nil {
		t.Fatal(err)
	}
	me, err1 := ml.Apply(r.Events[0])
	re, err2 := rl.Apply(r.Events[0])
	mj, _ := json.Marshal(me)
	rj, _ := json.Marshal(re)
	if err1 != nil || err2 != nil || string(mj) != string(rj) {
		t.Errorf("model and reference differ:\nmodel:     %s %v\nreference: %s %v", mj, err1, rj, err2)
	}
}
