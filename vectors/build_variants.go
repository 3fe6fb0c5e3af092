package vectors

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// This file builds ledger/VAR/variants.json: runs on markets that select
// the ledger's rule variants (SPEC VAR: LQ-4, TRD-4, ADL-2, FND-1, LED-9),
// each kept because it tells the reference from one of the variant
// mutants (an engine that applies the wrong variant), and the helpers that
// name the variants a test requires and the former OPEN rules it reaches.

// variantCaps returns the capabilities RULE:name of the non-default
// variants the markets of st select (SPEC VAR-2: an engine runs a test only
// when it declares them).
func variantCaps(st *spec.State) []string {
	var out []string
	for _, m := range st.Markets {
		if m.Variants == nil {
			continue
		}
		for _, c := range spec.VariantChoices() {
			if n := m.Variants.Get(c.Key); n != c.Names[0] {
				out = append(out, c.Rule+":"+n)
			}
		}
	}
	return out
}

// negativeRules names the rules that allow st's negative balances: a
// trader's negative wallet (ACC-2), a negative isolated margin (FND-5,
// ACC-2), a negative insurance fund (LQ-9).
func negativeRules(st *spec.State) []string {
	var out []string
	for _, a := range st.Accounts {
		if a.WalletBalance.Sign() < 0 {
			out = append(out, "ACC-2")
		}
		for _, p := range a.Positions {
			if p.IsolatedMargin.Valid && p.IsolatedMargin.Decimal.Sign() < 0 {
				out = append(out, "ACC-2", "FND-5")
			}
		}
	}
	if st.InsuranceFund.WalletBalance.Sign() < 0 {
		out = append(out, "LQ-9")
	}
	return out
}

// variantMutants are the ledger mutants that apply the wrong variant.
var variantMutants = []mutation.Mutation{
	mutation.LeftoverToTrader, mutation.SplitAllToFund, mutation.FeeFromWallet, mutation.ADLAccountAsPosition,
	mutation.FundingCapLinkedIgnored, mutation.SetLeverageNoCheck, mutation.SetLeverageAlwaysChecked,
}

// outcomes applies run on a ledger and returns, per event, its error
// (path and rule) or effects as JSON, and the final state; ok is false
// when the state is rejected.
func outcomes(l interface {
	Apply(spec.Event) ([]spec.Effect, error)
	State() *spec.State
}, run *spec.Run) ([]string, *spec.State) {
	var out []string
	for _, ev := range run.Events {
		effs, err := l.Apply(ev)
		if se, ok := err.(*spec.Error); ok {
			out = append(out, "error "+se.Path+" "+se.Rule)
			continue
		} else if err != nil {
			out = append(out, "error "+err.Error())
			continue
		}
		b, _ := json.Marshal(effs)
		out = append(out, string(b))
	}
	return out, l.State()
}

// catches says whether the mutant m behaves differently from the reference
// on run (an event's error or effects, or the final state).
func catches(run *spec.Run, m mutation.Mutation) bool {
	ref, err := reference.NewLedger(run.State.Clone())
	if err != nil {
		return false
	}
	mut, err := mutation.NewLedger(run.State.Clone(), m)
	if err != nil {
		return false
	}
	a, sa := outcomes(ref, run)
	b, sb := outcomes(mut, run)
	return !slices.Equal(a, b) || spec.Diff(sa, sb) != nil
}

// variantsFile is ledger/VAR/variants.json: gen.LedgerRun runs on markets
// with every ledger variant allowed; a run is kept when it catches a
// variant mutant that no earlier kept run catches, until each is caught
// twice, plus four random runs.
func variantsFile() *ledgerBuilder {
	b := newLedger("VAR", "variants", "Ledger rule variants (SPEC VAR): where an isolated liquidation's leftover goes (LQ-4:trader, insurance, liquidator-split), who pays an isolated position's fee (TRD-4:wallet, position), the ADL ranking (ADL-2:position, account), the funding cap (FND-1:fixed, margin-linked) and the leverage check (LED-9:checked, unchecked). A group requires the variants its markets select (PROTOCOL.md PR-5).")
	c := gen.Config{Isolated: true, Funding: true, ADL: true, Variants: map[string][]string{}}
	for _, ch := range spec.VariantChoices() {
		if slices.Contains(gen.LedgerVariantKeys, ch.Key) {
			c.Variants[ch.Key] = ch.Names
		}
	}
	addTargetedRuns(b, c, variantMutants, 5000, 4, "every ledger variant", []string{"VAR-2"})
	// FND-5 (and ACC-2), by hand: alice's isolated long of 1,000 at 1 with
	// margin 10, at mark 2 (U = 1,000, E = 1,010 >= MM = 100), pays funding
	// up(1,000 * 2 * 0.02) = 40 from her margin, which ends at -30 while her
	// pool stays healthy (E = 970 >= 100): not liquidated.
	hand := `{"markets": {"XRP": {"tickSize": "0.0001", "lotSize": "1",
    "tiers": [{"minNotional": "0", "maxNotional": "10000000", "maintenanceMarginRate": "0.05", "maxLeverage": "10"}]}},
  "prices": {"XRP": {"mark": "2"}},
  "accounts": {
    "alice": {"walletBalance": "500", "settings": {"XRP": {"marginMode": "isolated", "leverage": "10"}},
      "positions": [{"market": "XRP", "side": "long", "size": "1000", "entryPrice": "1", "marginMode": "isolated", "leverage": "10", "isolatedMargin": "10"}]},
    "bob": {"walletBalance": "10000",
      "positions": [{"market": "XRP", "side": "short", "size": "1000", "entryPrice": "1", "marginMode": "cross", "leverage": "10"}]}},
  "insuranceFund": {"walletBalance": "0"}}`
	var st spec.State
	if err := json.Unmarshal([]byte(hand), &st); err != nil {
		panic(err)
	}
	b.add(&spec.Run{State: st, Events: []spec.Event{{Type: spec.EventFunding, Market: "XRP", Rate: decimal.NewNullDecimal(decimal.RequireFromString("0.02"))}}},
		"funding beyond an isolated margin kept healthy by its profit: the margin ends at -30 (FND-5, ACC-2)", []string{"hand-made"}, []string{"FND-5"}, true)
	// VAR-1 on the ledger's parameters: liquidator-split without its share.
	bad := st.Clone()
	m := bad.Markets["XRP"]
	m.Variants = &spec.Variants{IsolatedLeftover: spec.LeftoverLiquidatorSplit}
	bad.Markets["XRP"] = m
	b.add(&spec.Run{State: *bad}, "LQ-4:liquidator-split without liquidatorShare: VAR-1 at markets.XRP.variants.liquidatorShare", []string{"hand-made"}, []string{"VAR-1"}, true)
	return b
}

// marginRatesMutants are the ledger mutants of SPEC TIER-3:half-initial and
// TIER-5's explicit initial margin rates.
var marginRatesMutants = []mutation.Mutation{mutation.LedgerHalfInitialGiven, mutation.LedgerIMRIgnored}

// marginRatesFile is ledger/VAR/margin-rates.json: gen.LedgerRun runs on
// markets whose margin rates are TIER-3:half-initial (MMR_t = 1/(2
// maxLeverage_t)) or explicit per-tier initial margin rates (TIER-5), with
// the ledger variants allowed; a run is kept when it catches one of the two
// mutants that apply the given rates or drop the explicit ones in the
// ledger, until each is caught twice, plus two random runs.
func marginRatesFile() *ledgerBuilder {
	b := newLedger("VAR", "margin-rates", "Ledger margin rates (SPEC TIER-3:half-initial and TIER-5's explicit initial margin rates in LED, TRD, FND, LQ): the trigger of the sweep with MM = N/(2 maxLeverage_t) - cum_t (rational), TRD-3's transfer, TRD-5, LED-9 and POOL-6 with IM = N * max(1/L, IMR_t), FND-1:margin-linked's cap with IMR_1 and MMR_1 of those rates. A group requires the variant or capability explicit-imr (PROTOCOL.md PR-5).")
	c := gen.Config{Isolated: true, Funding: true, ADL: true, LedgerExplicitIMR: true, Variants: map[string][]string{"maintenanceRate": {spec.MaintenanceRateGiven, spec.MaintenanceRateHalfInitial}}}
	for _, ch := range spec.VariantChoices() {
		if slices.Contains(gen.LedgerVariantKeys, ch.Key) {
			c.Variants[ch.Key] = ch.Names
		}
	}
	addTargetedRuns(b, c, marginRatesMutants, 8000, 2, "half-initial and explicit rates, every ledger variant", []string{"TIER-3", "TIER-5"})
	return b
}

// addTargetedRuns adds to b gen.LedgerRun(c) runs (seeds from seed0, at most
// 3,000, each cut to 30 events): a run is kept when it tells the reference
// from one of mutants that no two kept runs tell yet (flag "targeted"),
// plus the first random runs (flag "random"), until each mutant is told
// twice; rules are the SPEC rules each test names, draws says what c draws.
func addTargetedRuns(b *ledgerBuilder, c gen.Config, mutants []mutation.Mutation, seed0, random int, draws string, rules []string) {
	caught := map[mutation.Mutation]int{}
	kept := 0
	for seed := seed0; seed < seed0+3000; seed++ {
		done := kept >= random
		for _, m := range mutants {
			done = done && caught[m] >= 2
		}
		if done {
			break
		}
		run, ok := example(gen.LedgerRun(c), seed)
		if !ok {
			continue
		}
		if len(run.Events) > 30 {
			run.Events = run.Events[:30]
		}
		var why []string
		for _, m := range mutants {
			if caught[m] < 2 && catches(run, m) {
				why = append(why, string(m))
			}
		}
		comment := fmt.Sprintf("gen.LedgerRun (%s), seed %d, first %d events", draws, seed, len(run.Events))
		flags := []string{"random"}
		switch {
		case len(why) > 0:
			comment += fmt.Sprintf("; tells the reference from %v", why)
			flags = []string{"targeted"}
		case kept < random:
			kept++
		default:
			continue
		}
		if _, ok := b.add(run, comment, flags, rules, true); !ok {
			continue
		}
		for _, m := range mutants {
			if slices.Contains(why, string(m)) {
				caught[m]++
			}
		}
	}
}
