package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// TestEvalAcceptsEveryRunState is EVAL-6 and ACC-2 over random ledger
// runs: after every event of a run (gen.LedgerRun with every capability),
// the state the model's ledger writes is loaded by both ledgers, `perpcheck
// eval` exits 0 on it, and every trader account is either reported or,
// exactly when its wallet or an isolated margin is negative or its report
// leaves the number range (NUM-2), listed under unevaluated; model and
// reference agree on every account (same report or
// same error rule and path).
func TestEvalAcceptsEveryRunState(t *testing.T) {
	c := gen.Config{Isolated: true, Funding: true, ADL: true, EntryBasis: true}
	var unevaluated int
	rapid.Check(t, func(rt *rapid.T) {
		run := gen.LedgerRun(c).Draw(rt, "run")
		l, err := model.NewLedger(&run.State)
		if err != nil {
			rt.Skip("the model rejects the generated state")
		}
		for k, ev := range run.Events {
			if _, err := l.Apply(ev); err != nil {
				continue
			}
			st := l.State()
			if _, err := reference.NewLedger(st); err != nil {
				rt.Fatalf("event %d: reference.NewLedger(model's state) = %v", k, err)
			}
			data, _ := json.Marshal(st)
			var out, errb bytes.Buffer
			if code := evalState(data, &out, &errb); code != 0 {
				rt.Fatalf("event %d: eval exits %d on a state run writes: %s\n%s", k, code, errb.String(), data)
			}
			var rep stateReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				rt.Fatal(err)
			}
			for id, a := range st.Accounts {
				negative := a.WalletBalance.IsNegative()
				for _, p := range a.Positions {
					negative = negative || (p.IsolatedMargin.Valid && p.IsolatedMargin.Decimal.IsNegative())
				}
				ue, ok := rep.Unevaluated[id]
				rangeErr := ok && ue.Rule == "NUM-2"
				if ok != (negative || rangeErr) {
					rt.Fatalf("event %d: account %s negative %v but unevaluated %v", k, id, negative, ue)
				}
				if ok {
					unevaluated++
				} else if rep.Accounts[id] == nil {
					rt.Fatalf("event %d: account %s has no report", k, id)
				}
				s := &spec.Scenario{Markets: st.Markets, Prices: st.Prices, Account: a}
				mr, merr := model.Evaluate(s)
				rr, rerr := reference.Evaluate(s)
				me, re := asSpecError(merr), asSpecError(rerr)
				switch {
				case (merr == nil) != (rerr == nil):
					rt.Fatalf("event %d: account %s: model %v, reference %v", k, id, merr, rerr)
				case merr != nil && (me == nil || re == nil || me.Rule != re.Rule || me.Path != re.Path):
					rt.Fatalf("event %d: account %s: model %v, reference %v", k, id, merr, rerr)
				case merr == nil:
					if d := spec.Diff(mr, rr); len(d) > 0 {
						rt.Fatalf("event %d: account %s: model and reference differ: %v", k, id, d)
					}
				}
			}
		}
	})
	t.Logf("accounts listed as unevaluated: %d", unevaluated)
}

func asSpecError(err error) *spec.Error {
	me, _ := err.(*spec.Error)
	return me
}

// TestEvalListsNegativeAccounts: a state whose trader has a negative cross
// wallet kept healthy by unrealized profit (ACC-2: a fee or funding can
// leave it so) is evaluated with that account under unevaluated (ACC-1 at
// its walletBalance) and the others reported. By hand: alice holds long 1
// BTC from 50,000 at mark 60,000, U = 10,000, wallet -5, equity 9,995.
func TestEvalListsNegativeAccounts(t *testing.T) {
	state := `{"markets": {"BTC": {"tickSize": "0.1", "lotSize": "0.001",
    "tiers": [{"minNotional": "0", "maxNotional": "1000000", "maintenanceMarginRate": "0.01", "maxLeverage": "20"}]}},
  "prices": {"BTC": {"mark": "60000"}},
  "accounts": {
    "alice": {"walletBalance": "-5", "positions": [{"market": "BTC", "side": "long", "size": "1", "entryPrice": "50000", "marginMode": "cross"}]},
    "bob": {"walletBalance": "20000", "positions": [{"market": "BTC", "side": "short", "size": "1", "entryPrice": "50000", "marginMode": "cross"}]}},
  "insuranceFund": {"walletBalance": "0"}}`
	var out, errb bytes.Buffer
	if code := evalState([]byte(state), &out, &errb); code != 0 {
		t.Fatalf("eval exits %d: %s", code, errb.String())
	}
	var rep stateReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if e := rep.Unevaluated["alice"]; e == nil || e.Rule != "ACC-1" || e.Path != "accounts.alice.walletBalance" {
		t.Errorf("alice: unevaluated %+v, want ACC-1 at accounts.alice.walletBalance", e)
	}
	if rep.Accounts["alice"] != nil || rep.Accounts["bob"] == nil {
		t.Errorf("reports: alice %v, bob %v; want bob's only", rep.Accounts["alice"] != nil, rep.Accounts["bob"] != nil)
	}
}
