package bench

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// TestAgreeLedger runs each BenchmarkLedger sequence (and one mixed sequence
// that reaches the rules the benchmarks' do not: rounding of the removed cost
// basis, a flip, a rejected trade, funding with dust, solvent liquidations
// with and without the fee cap, the fund reducing and flipping its position)
// on model.Ledger, decimalLedger (shopspring) and floatLedger (float64), and
// after every event compares their states with the model's:
//
//   - shopspring must equal the model exactly: every trader's wallet, side,
//     size and cost basis V, the fund's wallet and position, the fee pool,
//     dust and settlement;
//   - both kernels must accept and reject the same events and liquidate the
//     same accounts as the model;
//   - float64 must agree within a bound that grows with the work done. The
//     float kernel never rounds to 1e-8 (see floatLedger), while the model
//     rounds each fee, funding payment, removed cost basis Vr (at most one
//     per fill) and liquidation fee once, by less than one unit u = 1e-8.
//     Every balance and V is a sum of such amounts or of differences passed
//     on with coefficients of magnitude <= 1 (Vr = V*q/x with q <= x, a
//     deficit paid by the fund, a fee capped at the remaining equity), so it
//     differs from the model's by less than U units, U the number of those
//     rounded amounts so far. On top comes float64's own error: every value
//     here is below 2^21 in magnitude, where one operation errs by at most
//     2^-32 ~ 2.3e-10, and each effect's amounts take at most four
//     operations, so 1e-9 per effect so far covers it. The bound is
//     u*U + 1e-9*P (P effects so far). Sizes are sums and differences of
//     lot multiples below 2 and must agree within 1e-12 (far above float64's
//     error and far below a lot of 0.001).
//
// The bounds are at most 2.2e-5 on these sequences (the test logs each
// final bound and the largest error relative to it; the errors observed are
// far smaller). A real disagreement of the rules the float kernel runs is
// larger: a fee at the wrong rate or on the wrong side differs by at least
// 60 * 0.0003 = 0.018 on the smallest trade here, a tick on the smallest
// size by 1e-4, a missed or extra liquidation changes the liquidated set.
// What the float bound cannot see (a rounding in the wrong direction) is
// what the exact shopspring comparison is for.
func TestAgreeLedger(t *testing.T) {
	trade := make([]spec.Event, 200)
	funding := make([]spec.Event, 20)
	for k := range trade {
		trade[k] = ledgerTradeEvents()[k%2]
	}
	for k := range funding {
		funding[k] = ledgerFundingEvents()[k%2]
	}
	cases := []struct {
		name  string
		state *spec.State
		evs   []spec.Event
		check func(t *testing.T, effs []spec.Effect, final *spec.State)
	}{
		{"event=trade", ledgerState(2, "100000"), trade, nil},
		{"event=funding/accounts=100", ledgerState(100, "100000"), funding, nil},
		{"event=cascade/accounts=100", ledgerState(100, "40"), ledgerCascadeEvents(),
			func(t *testing.T, effs []spec.Effect, _ *spec.State) {
				if n := countLiquidations(effs); n != 50 {
					t.Errorf("the cascade liquidates %d accounts, want 50", n)
				}
			}},
		{"mixed", mixedLedgerState(), mixedLedgerEvents(), checkMixedCoverage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ml, err := model.NewLedger(c.state)
			if err != nil {
				t.Fatal(err)
			}
			dl, err := newDecimalLedger(c.state)
			if err != nil {
				t.Fatal(err)
			}
			fl, err := newFloatLedger(c.state)
			if err != nil {
				t.Fatal(err)
			}
			var dops, fops []func() (int, error)
			for k, ev := range c.evs {
				d, err := decimalOp(dl, ev)
				if err != nil {
					t.Fatalf("event %d: %v", k, err)
				}
				f, err := floatOp(fl, ev)
				if err != nil {
					t.Fatalf("event %d: %v", k, err)
				}
				dops, fops = append(dops, d), append(fops, f)
			}
			var all []spec.Effect
			var rounded, effects int
			worst := 0.0 // largest float64 error / its bound
			for k := range c.evs {
				what := fmt.Sprintf("event %d (%s)", k, c.evs[k].Type)
				dBefore, fBefore := decimalSizes(dl), floatSizes(fl)
				eff, merr := ml.Apply(c.evs[k])
				dn, derr := dops[k]()
				fn, ferr := fops[k]()
				if (merr == nil) != (derr == nil) || (merr == nil) != (ferr == nil) {
					t.Fatalf("%s: model error %v, shopspring %v, float64 %v", what, merr, derr, ferr)
				}
				for i := range eff {
					eff[i].Event = k
				}
				all = append(all, eff...)
				rounded += countRounded(eff)
				effects += len(eff)
				want := liquidatedAccounts(eff)
				if got := closedAccounts(dBefore, decimalSizes(dl)); !slices.Equal(got, want) || dn != len(want) {
					t.Fatalf("%s: shopspring liquidated %v (count %d), model %v", what, got, dn, want)
				}
				if got := closedAccounts(fBefore, floatSizes(fl)); !slices.Equal(got, want) || fn != len(want) {
					t.Fatalf("%s: float64 liquidated %v (count %d), model %v", what, got, fn, want)
				}
				st := ml.State()
				compareDecimalLedger(t, what, st, dl)
				bound := 1e-8*float64(rounded) + 1e-9*float64(effects)
				worst = math.Max(worst, compareFloatLedger(t, what, st, fl, bound))
				if t.Failed() {
					t.FailNow()
				}
			}
			if c.check != nil {
				c.check(t, all, ml.State())
			}
			t.Logf("%d events, %d effects, %d rounded amounts; float64: largest error %.3g of its bound (final bound %.3g)",
				len(c.evs), effects, rounded, worst, 1e-8*float64(rounded)+1e-9*float64(effects))
		})
	}
}

// mixedLedgerState is ledgerState(8, "100") with acct00004 (long) and
// acct00005 (short) holding 10,070 so that they can trade 1 BTC (tier 2),
// and a liquidation fee rate of 0.2% instead of 1.25%: below tier 1's
// maintenance rate (0.4%), so that a solvent liquidation can leave more
// equity than its fee (with 1.25% every fee here is capped).
func mixedLedgerState() *spec.State {
	st := ledgerState(8, "100")
	for _, id := range []string{"acct00004", "acct00005"} {
		a := st.Accounts[id]
		a.WalletBalance = ldec("10070")
		st.Accounts[id] = a
	}
	m := st.Markets["BTC"]
	m.LiquidationFeeRate = lnd("0.002")
	st.Markets["BTC"] = m
	return st
}

// mixedLedgerEvents: trades with a cost basis that does not divide evenly, a
// maker buyer, a flip, a rejected trade (TRD-5) and a tier-2 position;
// funding at an odd mark and rate (dust); a drop to a mark off the tick grid
// that bankrupts two longs (LQ-5) and liquidates two solvent ones (LQ-4, the
// tier-2 one with its fee capped, acct00006 without);
// negative funding with the fund holding a position; a rise that liquidates
// every short against the fund's long, which closes it (realized PnL for the
// fund).
func mixedLedgerEvents() []spec.Event {
	tr := func(buyer, seller, size, price, maker string) spec.Event {
		return spec.Event{Type: spec.EventTrade, Market: "BTC", Buyer: buyer, Seller: seller,
			Size: lnd(size), Price: lnd(price), Maker: maker}
	}
	mark := func(m string) spec.Event { return spec.Event{Type: spec.EventPrice, Market: "BTC", Mark: lnd(m)} }
	fund := func(r string) spec.Event { return spec.Event{Type: spec.EventFunding, Market: "BTC", Rate: lnd(r)} }
	return []spec.Event{
		tr("acct00000", "acct00003", "0.007", "60000.1", ""),
		tr("acct00001", "acct00000", "0.003", "60123.4", "buyer"),
		tr("acct00001", "acct00002", "0.02", "59990", ""),
		tr("acct00004", "acct00005", "5", "60000", ""),
		tr("acct00004", "acct00005", "1", "60000", ""),
		mark("60001.23"),
		fund("0.00012347"),
		mark("50157.43"),
		fund("-0.0003"),
		mark("70000.05"),
	}
}

// checkMixedCoverage fails when the mixed sequence no longer reaches what it
// is there for.
func checkMixedCoverage(t *testing.T, effs []spec.Effect, final *spec.State) {
	t.Helper()
	reasons := map[string]int{}
	capped, uncapped := 0, 0
	lastFill := map[string]spec.Effect{} // the liquidated account's last liquidation fill
	for _, e := range effs {
		if e.Type == spec.EffectFill && e.Kind == "liquidation" {
			lastFill[e.Account] = e
		}
		if e.Type != spec.EffectPosting {
			continue
		}
		reasons[e.Reason]++
		if e.Reason == "liquidation-fee" {
			f := lastFill[e.From[len("wallet:"):]]
			full := f.Size.Decimal.Mul(f.Price.Decimal).Mul(ldec("0.002")).RoundCeil(8)
			if e.Amount.Decimal.LessThan(full) {
				capped++
			} else {
				uncapped++
			}
		}
	}
	if capped == 0 || uncapped == 0 {
		t.Errorf("liquidation fees: %d capped, %d not; want both", capped, uncapped)
	}
	if reasons["insurance"] == 0 || reasons["realized-pnl"] == 0 || reasons["dust"] == 0 {
		t.Errorf("postings by reason %v: want insurance, realized-pnl and dust", reasons)
	}
	rejected := 0
	for k, ev := range mixedLedgerEvents() {
		found := false
		for _, e := range effs {
			found = found || e.Event == k
		}
		if ev.Type == spec.EventTrade && !found {
			rejected++
		}
	}
	if rejected != 1 {
		t.Errorf("%d trades were rejected, want 1", rejected)
	}
	fundPnL := 0
	for _, e := range effs {
		if e.Type == spec.EffectPosting && e.Reason == "realized-pnl" && (e.From == "wallet:@insurance" || e.To == "wallet:@insurance") {
			fundPnL++
		}
	}
	if fundPnL == 0 {
		t.Errorf("the fund never reduces its position")
	}
	t.Logf("postings by reason %v; liquidation fees capped %d, not %d; fund realized PnL %d times; fund ends with %v",
		reasons, capped, uncapped, fundPnL, final.InsuranceFund.Positions)
}

func countLiquidations(effs []spec.Effect) int {
	n := 0
	for _, e := range effs {
		if e.Type == spec.EffectLiquidation {
			n++
		}
	}
	return n
}

// countRounded counts the amounts the model rounds to 1e-8 and the float
// kernel does not: fees, funding payments, liquidation fees, and one
// removed cost basis per fill.
func countRounded(effs []spec.Effect) int {
	n := 0
	for _, e := range effs {
		switch {
		case e.Type == spec.EffectFill:
			n++
		case e.Type == spec.EffectPosting && (e.Reason == "fee" || e.Reason == "funding" || e.Reason == "liquidation-fee"):
			n++
		}
	}
	return n
}

func liquidatedAccounts(effs []spec.Effect) []string {
	var out []string
	for _, e := range effs {
		if e.Type == spec.EffectLiquidation {
			out = append(out, e.Account)
		}
	}
	sort.Strings(out)
	return out
}

func decimalSizes(l *decimalLedger) map[string]bool {
	m := map[string]bool{}
	for _, a := range l.Accounts {
		m[a.ID] = !a.Size.IsZero()
	}
	return m
}

func floatSizes(l *floatLedger) map[string]bool {
	m := map[string]bool{}
	for _, a := range l.Accounts {
		m[a.ID] = a.Size != 0
	}
	return m
}

// closedAccounts lists the accounts that had a position before and none
// after (sorted).
func closedAccounts(before, after map[string]bool) []string {
	var out []string
	for id, had := range before {
		if had && !after[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// modelPos returns an account's one position in the model's state.
func modelPos(t *testing.T, what, id string, a spec.Account) (has, long bool, size, value decimal.Decimal) {
	t.Helper()
	switch len(a.Positions) {
	case 0:
		return false, false, decimal.Zero, decimal.Zero
	case 1:
		p := a.Positions[0]
		if !p.EntryValue.Valid {
			t.Fatalf("%s: %s: the model's state has no entryValue", what, id)
		}
		return true, p.Side == spec.Long, p.Size, p.EntryValue.Decimal
	}
	t.Fatalf("%s: %s: %d positions in the model's state", what, id, len(a.Positions))
	return
}

func compareDecimalLedger(t *testing.T, what string, st *spec.State, l *decimalLedger) {
	t.Helper()
	if len(st.Accounts) != len(l.Accounts) {
		t.Fatalf("%s: %d accounts in the model, %d in shopspring", what, len(st.Accounts), len(l.Accounts))
	}
	acct := func(ma spec.Account, a decimalLedgerAccount) {
		has, long, size, value := modelPos(t, what, a.ID, ma)
		if !a.Wallet.Equal(ma.WalletBalance) {
			t.Errorf("%s: %s wallet shopspring %s, model %s", what, a.ID, a.Wallet, ma.WalletBalance)
		}
		if has != !a.Size.IsZero() || (has && (long != a.Long || !size.Equal(a.Size) || !value.Equal(a.Value))) {
			t.Errorf("%s: %s position shopspring long=%v size %s V %s, model has=%v long=%v size %s V %s",
				what, a.ID, a.Long, a.Size, a.Value, has, long, size, value)
		}
		if !has && !a.Value.IsZero() {
			t.Errorf("%s: %s is flat with V %s in shopspring", what, a.ID, a.Value)
		}
	}
	for _, a := range l.Accounts {
		ma, ok := st.Accounts[a.ID]
		if !ok {
			t.Fatalf("%s: account %s is not in the model", what, a.ID)
		}
		acct(ma, a)
	}
	acct(st.InsuranceFund, l.Fund)
	for _, x := range []struct {
		name      string
		got, want decimal.Decimal
	}{{"fee pool", l.FeePool, st.FeePool}, {"dust", l.Dust, st.Dust}, {"settlement", l.Settlement, st.Settlement.Decimal}} {
		if !x.got.Equal(x.want) {
			t.Errorf("%s: %s shopspring %s, model %s", what, x.name, x.got, x.want)
		}
	}
}

// compareFloatLedger checks l against st within bound (sizes within 1e-12)
// and returns the largest error divided by bound.
func compareFloatLedger(t *testing.T, what string, st *spec.State, l *floatLedger, bound float64) float64 {
	t.Helper()
	worst := 0.0
	near := func(name string, got float64, want decimal.Decimal, tol float64) {
		e := math.Abs(got - want.InexactFloat64())
		if e > tol {
			t.Errorf("%s: %s float64 %.12f, model %s (error %.3g > bound %.3g)", what, name, got, want, e, tol)
		}
		if tol == bound {
			worst = math.Max(worst, e/bound)
		}
	}
	acct := func(ma spec.Account, a floatLedgerAccount) {
		has, long, size, value := modelPos(t, what, a.ID, ma)
		near(a.ID+" wallet", a.Wallet, ma.WalletBalance, bound)
		near(a.ID+" size", a.Size, size, 1e-12)
		if has {
			if long != (a.Sign > 0) {
				t.Errorf("%s: %s side float64 %v, model long=%v", what, a.ID, a.Sign, long)
			}
			near(a.ID+" V", a.Value, value, bound)
		} else if a.Size != 0 {
			t.Errorf("%s: %s is flat in the model, size %g in float64", what, a.ID, a.Size)
		}
	}
	for _, a := range l.Accounts {
		acct(st.Accounts[a.ID], a)
	}
	acct(st.InsuranceFund, l.Fund)
	near("fee pool", l.FeePool, st.FeePool, bound)
	near("dust", l.Dust, st.Dust, bound)
	near("settlement", l.Settlement, st.Settlement.Decimal, bound)
	return worst
}
