package properties

import (
	"fmt"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

func propLedgerInvariants(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.startRun(t, gen.LedgerState(e.gen).Draw(t, "state"), false)
		t.Repeat(r.actions(t))
	}
}

func propLedgerDifferential(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.startRun(t, gen.LedgerState(e.gen).Draw(t, "state"), true)
		t.Repeat(r.actions(t))
	}
}

// prefixRun starts a run on a generated state and applies 0..n random
// events, for the metamorphic properties that need a state with history.
func (e *env) prefixRun(t *rapid.T, c gen.Config, n int) *ledgerRun {
	t.Helper()
	r := e.startRun(t, gen.LedgerState(c).Draw(t, "state"), false)
	steps := rapid.IntRange(0, n).Draw(t, "prefixEvents")
	for i := 0; i < steps; i++ {
		kind := rapid.SampledFrom([]gen.EventKind{gen.Open, gen.Open, gen.Reduce, gen.PriceMove, gen.Deposit}).Draw(t, "prefixKind")
		r.apply(t, gen.LedgerEventOf(r.st, c, kind).Draw(t, "event"))
	}
	return r
}

// reload creates a fresh engine ledger from st; a state that SPEC OPEN-1 or
// OPEN-2 makes invalid input (a negative wallet or isolated margin) skips
// the case, any other error fails it.
func (r *ledgerRun) reload(t *rapid.T, st *spec.State) LedgerSession {
	t.Helper()
	l, err := r.e.newLedger(t, st.Clone(), r.runs)
	if err != nil {
		if openGapState(st) {
			t.Skipf("state not reloadable (SPEC OPEN-1/OPEN-2): %v", err)
		}
		r.fail(t, "LED-1: NewLedger rejects the engine's own State(): %v", err)
	}
	return l
}

// openGapState says whether st has a negative trader wallet or isolated
// margin (SPEC OPEN-1, OPEN-2).
func openGapState(st *spec.State) bool {
	for _, a := range st.Accounts {
		if a.WalletBalance.Sign() < 0 {
			return true
		}
		for _, p := range a.Positions {
			if p.IsolatedMargin.Valid && p.IsolatedMargin.Decimal.Sign() < 0 {
				return true
			}
		}
	}
	return false
}

// applyAll applies events to l, recovering panics as errors.
func applyAll(l LedgerSession, evs []spec.Event) (effects [][]spec.Effect, errs []error) {
	for _, ev := range evs {
		var eff []spec.Effect
		var err error
		func() {
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("panic: %v", v)
				}
			}()
			eff, err = l.Apply(ev)
		}()
		effects, errs = append(effects, eff), append(errs, err)
	}
	return effects, errs
}

func hasLiquidation(effs [][]spec.Effect) bool {
	for _, eff := range effs {
		for _, f := range eff {
			if f.Type == spec.EffectLiquidation {
				return true
			}
		}
	}
	return false
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func ruleOf(err error) string {
	if me, ok := err.(*spec.Error); ok {
		return me.Rule
	}
	return ""
}

// splitLots splits n >= k lots into k positive parts.
func splitLots(t *rapid.T, n, k int64) []int64 {
	parts := make([]int64, k)
	left := n
	for i := int64(0); i < k-1; i++ {
		p := rapid.Int64Range(1, left-(k-1-i)).Draw(t, "piece")
		parts[i] = p
		left -= p
	}
	parts[k-1] = left
	return parts
}

func propSplitVsWhole(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		c := e.gen
		c.Isolated = false // isolated margin depends on the tier of each piece (TRD-3): not a rounding relation
		r := e.prefixRun(t, c, 6)
		ev := gen.LedgerEventOf(r.st, c, rapid.SampledFrom([]gen.EventKind{gen.Open, gen.Reduce}).Draw(t, "tradeKind")).Draw(t, "event")
		lot := r.st.Markets[ev.Market].LotSize
		lots := ev.Size.Decimal.Div(lot).IntPart()
		k := int64(rapid.IntRange(2, 4).Draw(t, "pieces"))
		if lots < 2 {
			t.Skip("a trade of one lot cannot be split")
		}
		if lots < k {
			k = lots
		}
		var pieces []spec.Event
		for _, n := range splitLots(t, lots, k) {
			p := ev
			p.Size = nd(lot.Mul(decimal.NewFromInt(n)))
			pieces = append(pieces, p)
		}
		whole, split := r.reload(t, r.st), r.reload(t, r.st)
		_, werrs := applyAll(whole, []spec.Event{ev})
		_, serrs := applyAll(split, pieces)
		werr, serr := werrs[0], firstErr(serrs)
		ctx := func(format string, args ...any) {
			st := r.st
			r.e.failRuns(t, []labeledRun{{"whole", st, []spec.Event{ev}}, {"split", st, pieces}}, format, args...)
		}
		switch {
		case werr != nil && serr == nil:
			if ruleOf(werr) == "TRD-5" {
				ctx("TRD-5: the whole trade is rejected (%v) but its %d pieces are all accepted: splitting must not lower the margin requirement", werr, k)
			}
			t.Skipf("whole trade rejected: %v", werr)
		case werr != nil || serr != nil:
			t.Skipf("rejected: whole %v, split %v", werr, serr)
		}
		a, b := bookOf(whole.State()), bookOf(split.State())
		for key, p := range a.pos {
			if q := b.pos[key]; !q.x.Equal(p.x) {
				ctx("TRD-2: after the whole trade position %s is %s, after the pieces %s", key, p.x, q.x)
			}
		}
		for key, q := range b.pos {
			if _, ok := a.pos[key]; !ok && !q.x.IsZero() {
				ctx("TRD-2: position %s exists only after the pieces", key)
			}
		}
		bound := units(2 * (k - 1))
		for _, name := range sortedNames(a.bal) {
			x, y := a.get(name), b.get(name)
			switch {
			case name == "wallet:"+ev.Buyer || name == "wallet:"+ev.Seller:
				if y.GreaterThan(x) {
					ctx("TRD-2/TRD-4: splitting the trade into %d pieces benefits %s: %s after the pieces, %s after the whole trade (rounding must be against the trader in every piece)", k, name, y, x)
				}
				if x.Sub(y).GreaterThan(bound) {
					ctx("TRD-2/TRD-4: splitting the trade into %d pieces costs %s %s, more than %s (one unit of fee and one of basis rounding per extra piece)", k, name, x.Sub(y), bound)
				}
			case name == "fees":
				if y.LessThan(x) || y.Sub(x).GreaterThan(bound) {
					ctx("TRD-4: the fee pool gains %s with the pieces vs %s whole; want between 0 and %s more", y, x, bound)
				}
			case name == "settlement":
			default:
				if !x.Equal(y) {
					ctx("TRD-2: %s is %s after the whole trade and %s after the pieces; only the two sides, fees and settlement may differ", name, x, y)
				}
			}
		}
	}
}

func propFundingSplit(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.prefixRun(t, e.gen, 4)
		var open []string
		for _, name := range sortedNames(r.st.Markets) {
			for _, a := range stateAccounts(r.st) {
				if !signedSize(a, name).IsZero() {
					open = append(open, name)
					break
				}
			}
		}
		if len(open) == 0 {
			t.Skip("no open position")
		}
		market := rapid.SampledFrom(open).Draw(t, "market")
		k := int64(rapid.IntRange(2, 4).Draw(t, "pieces"))
		piece := dec(rapid.SampledFrom([]int64{1, 3, 7, 10, 33, 100, 125, 1000}).Draw(t, "pieceMillionths"), -6)
		if capR := r.st.Markets[market].FundingRateCap; capR.Valid {
			piece = decimal.Min(piece, floorGrid(capR.Decimal.Div(decimal.NewFromInt(k)), units(1)))
		}
		if piece.Sign() <= 0 {
			t.Skip("cap too small")
		}
		if rapid.Bool().Draw(t, "negative") {
			piece = piece.Neg()
		}
		once := spec.Event{Type: spec.EventFunding, Market: market, Rate: nd(piece.Mul(decimal.NewFromInt(k)))}
		var pieces []spec.Event
		for i := int64(0); i < k; i++ {
			pieces = append(pieces, spec.Event{Type: spec.EventFunding, Market: market, Rate: nd(piece)})
		}
		whole, split := r.reload(t, r.st), r.reload(t, r.st)
		weff, werrs := applyAll(whole, []spec.Event{once})
		seff, serrs := applyAll(split, pieces)
		ctx := func(format string, args ...any) {
			r.e.failRuns(t, []labeledRun{{"once", r.st, []spec.Event{once}}, {"pieces", r.st, pieces}}, format, args...)
		}
		if (werrs[0] == nil) != (firstErr(serrs) == nil) {
			ctx("FND-2: funding at %s once gives error %v, in %d pieces %v", once.Rate.Decimal, werrs[0], k, firstErr(serrs))
		}
		if werrs[0] != nil || hasLiquidation(weff) || hasLiquidation(seff) {
			t.Skip("an error or a liquidation")
		}
		a, b := bookOf(whole.State()), bookOf(split.State())
		bound := units(k - 1)
		for _, name := range sortedNames(a.bal) {
			x, y := a.get(name), b.get(name)
			switch name {
			case "dust":
				if y.LessThan(x) {
					ctx("FND-3: dust is %s after %d pieces, less than %s after one payment", y, k, x)
				}
			default:
				if y.GreaterThan(x) || x.Sub(y).GreaterThan(bound) {
					ctx("FND-2/FND-3: %s is %s after funding %s once and %s after %d pieces of %s; want the pieces lower or equal by at most %s",
						name, x, once.Rate.Decimal, y, k, piece, bound)
				}
			}
		}
		for key, p := range a.pos {
			if q := b.pos[key]; !q.x.Equal(p.x) || !q.v.Equal(p.v) {
				ctx("FND-2: funding changed position %s differently (once %s/%s, pieces %s/%s)", key, p.x, p.v, q.x, q.v)
			}
		}
	}
}

func propLedgerDeterminism(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.startRun(t, gen.LedgerState(e.gen).Draw(t, "state"), false)
		twin := r.reload(t, r.input)
		n := rapid.IntRange(1, 15).Draw(t, "events")
		cut := rapid.IntRange(0, n-1).Draw(t, "reloadAt")
		var reloaded LedgerSession
		for i := 0; i < n; i++ {
			if i == cut {
				reloaded = r.reload(t, r.st)
			}
			ev := gen.LedgerEvent(r.st, e.gen).Draw(t, "event")
			eff, err := r.apply(t, ev)
			teff, terrs := applyAll(twin, []spec.Event{ev})
			if d := append(spec.Diff(eff, teff[0]), spec.Diff(r.st, twin.State())...); r.e.errKey(err) != r.e.errKey(terrs[0]) || d != nil {
				r.fail(t, "LED-8: two ledgers on the same state differ at event %d (error %v vs %v):\n  %s", i, err, terrs[0], diffText(d))
			}
			if reloaded != nil {
				reff, rerrs := applyAll(reloaded, []spec.Event{ev})
				if d := append(spec.Diff(reindexed(eff), reindexed(reff[0])), spec.Diff(r.st, reloaded.State())...); ruleOf(err) != ruleOf(rerrs[0]) || (err == nil) != (rerrs[0] == nil) || d != nil {
					r.fail(t, "LED-1/LED-8: a ledger created from State() before event %d continues differently at event %d (error %v vs %v; original vs reloaded):\n  %s",
						cut, i, err, rerrs[0], diffText(d))
				}
			}
		}
	}
}

// reindexed is a copy of the effects with Event set to 0 (a reloaded ledger
// numbers its events from 0).
func reindexed(eff []spec.Effect) []spec.Effect {
	c := append([]spec.Effect(nil), eff...)
	for i := range c {
		c[i].Event = 0
	}
	return c
}

func propPathIndependence(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.prefixRun(t, e.gen, 6)
		ids := sortedNames(r.st.Accounts)
		a := rapid.SampledFrom(ids).Draw(t, "a")
		b := rapid.SampledFrom(ids).Draw(t, "b")
		x := dec(rapid.Int64Range(1, 1e9).Draw(t, "xCents"), -2)
		y := dec(rapid.Int64Range(1, 1e9).Draw(t, "yCents"), -2)
		dep := func(id string, v decimal.Decimal) spec.Event {
			return spec.Event{Type: spec.EventDeposit, Account: id, Amount: nd(v)}
		}
		run := func(evs ...spec.Event) (*spec.State, error) {
			l := r.reload(t, r.st)
			_, errs := applyAll(l, evs)
			if err := firstErr(errs); err != nil {
				return nil, err
			}
			return l.State(), nil
		}
		orders := [][]spec.Event{
			{dep(a, x), dep(b, y)}, {dep(b, y), dep(a, x)},
		}
		s1, err1 := run(orders[0]...)
		s2, err2 := run(orders[1]...)
		if err1 != nil || err2 != nil {
			r.e.failRuns(t, []labeledRun{{"a-then-b", r.st, orders[0]}, {"b-then-a", r.st, orders[1]}}, "LED-9: deposits rejected: %v / %v", err1, err2)
		}
		if spec.Diff(s1, s2) != nil {
			r.e.failRuns(t, []labeledRun{{"a-then-b", r.st, orders[0]}, {"b-then-a", r.st, orders[1]}}, "LED-9: deposits to %s and %s give different states in the two orders", a, b)
		}
		two := []spec.Event{dep(a, x), dep(a, y)}
		one := []spec.Event{dep(a, x.Add(y))}
		s3, _ := run(two...)
		s4, _ := run(one...)
		if spec.Diff(s3, s4) != nil {
			r.e.failRuns(t, []labeledRun{{"two-deposits", r.st, two}, {"one-deposit", r.st, one}}, "LED-9: deposits of %s and %s differ from one of %s", x, y, x.Add(y))
		}
		back := []spec.Event{dep(a, x), {Type: spec.EventWithdraw, Account: a, Amount: nd(x)}}
		s5, err5 := run(back...)
		if err5 == nil && spec.Diff(s5, r.reload(t, r.st).State()) != nil {
			r.e.failRuns(t, []labeledRun{{"deposit-withdraw", r.st, back}}, "LED-9: depositing and withdrawing %s to %s changes the state", x, a)
		}
	}
}
