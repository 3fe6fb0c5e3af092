package properties

import (
	"fmt"
	"maps"
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the metamorphic ledger properties of SPEC LED-8 and
// LED-9 (determinism, reload from State, path independence of deposits)
// and the LED-9 checks of deposits and withdrawals.

// checkDepositWithdraw is LED-9's effect of a deposit or withdrawal: one
// posting of the amount between external and the wallet.
func checkDepositWithdraw(ev spec.Event, effects []spec.Effect) string {
	from, to, reason := "external", "wallet:"+ev.Account, "deposit"
	if ev.Type == spec.EventWithdraw {
		from, to, reason = to, from, "withdraw"
	}
	if len(effects) != 1 || effects[0].From != from || effects[0].To != to || effects[0].Reason != reason || !effects[0].Amount.Decimal.Equal(ev.Amount.Decimal) {
		return fmt.Sprintf("LED-9: a %s of %s to %s must be one posting %s -> %s, got %s", ev.Type, ev.Amount.Decimal, ev.Account, from, to, effectsJSON(effects))
	}
	return ""
}

// checkWithdrawLimit is what LED-9 implies for an accepted withdrawal by a
// trader, judged by the engine's own query on the state after it: the wallet
// is >= 0 and WB + sum over cross positions of min(U, 0) >= IM of the cross
// pool (unrealized profit is not withdrawable). On reported values (U
// rounded down, IM up) the bound loses one unit per position and one for IM.
func (e *env) checkWithdrawLimit(ev spec.Event, after *spec.State) string {
	a, ok := after.Accounts[ev.Account]
	if !ok {
		return "" // the fund may withdraw up to its wallet
	}
	if a.WalletBalance.Sign() < 0 {
		return fmt.Sprintf("LED-9: the withdrawal left %s's wallet at %s", ev.Account, a.WalletBalance)
	}
	rep, ok := e.queryAccount(after, a)
	if !ok {
		return ""
	}
	lhs, n := a.WalletBalance, int64(0)
	for i, p := range a.Positions {
		if p.MarginMode == spec.Isolated {
			continue
		}
		lhs = lhs.Add(decimal.Min(rep.Positions[i].UnrealizedPnl, decimal.Zero))
		n++
	}
	if im := rep.Pools[0].InitialMargin; lhs.LessThan(im.Sub(units(n + 1))) {
		return fmt.Sprintf("LED-9: after withdrawing %s, %s has WB + sum min(U, 0) = %s below the cross initial margin %s: unrealized profit was withdrawn",
			ev.Amount.Decimal, ev.Account, lhs, im)
	}
	return ""
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
			if !r.e.caps.hasOutputs("effects") { // a ledger of final states only: compare the states
				eff, teff[0] = nil, nil
			}
			if d := append(spec.Diff(eff, teff[0]), spec.Diff(r.st, twin.State())...); r.e.errKey(err) != r.e.errKey(terrs[0]) || d != nil {
				r.fail(t, "LED-8: two ledgers on the same state differ at event %d (error %v vs %v):\n  %s", i, err, terrs[0], diffText(d))
			}
			if reloaded != nil {
				reff, rerrs := applyAll(reloaded, []spec.Event{ev})
				if !r.e.caps.hasOutputs("effects") {
					reff[0] = nil
				}
				if d := append(spec.Diff(reindexed(eff), reindexed(reff[0])), spec.Diff(r.st, reloaded.State())...); ruleOf(err) != ruleOf(rerrs[0]) || (err == nil) != (rerrs[0] == nil) || d != nil {
					r.fail(t, "LED-1/LED-8: a ledger created from State() before event %d continues differently at event %d (error %v vs %v; original vs reloaded):\n  %s",
						cut, i, err, rerrs[0], diffText(d))
				}
			}
		}
		r.checkInput(t)
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
		ids := slices.Sorted(maps.Keys(r.st.Accounts))
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

// lowersLeverage says whether a setLeverage event lowers the leverage of a
// trader who holds a position in its market: the only change LED-9:checked
// may reject. It also returns the setting before the event.
func lowersLeverage(before *spec.State, ev spec.Event) bool {
	a, ok := before.Accounts[ev.Account]
	m, okm := before.Markets[ev.Market]
	if !ok || !okm || !ev.Leverage.Valid || specutil.SignedSize(a, ev.Market).IsZero() {
		return false
	}
	old := specutil.SettingOf(a, ev.Market, m).Leverage.Decimal
	return ev.Leverage.Decimal.LessThan(old)
}

// checkLeverageRejection is LED-9's choice for a setLeverage rejected with
// rule LED-9: only LED-9:checked rejects, and only a change that lowers the
// leverage of an open position.
func checkLeverageRejection(before *spec.State, ev spec.Event, err *spec.Error) string {
	v := variantOf(before.Markets[ev.Market], "setLeverage")
	if v != spec.SetLeverageChecked || !lowersLeverage(before, ev) {
		return fmt.Sprintf("LED-9:%s: setLeverage %s of %s in %s is rejected (%v), but only a lowered leverage of an open position under LED-9:checked may be", v, ev.Leverage.Decimal, ev.Account, ev.Market, err)
	}
	return ""
}

// checkLeverageChange is LED-9 for an accepted setLeverage, judged by the
// engine's own query on the state after it: under LED-9:checked, a lowered
// leverage of an open position leaves the pool holding it with equity >=
// initial margin (on the reported values: reported E >= reported IM - 1e-8).
func (e *env) checkLeverageChange(before *spec.State, ev spec.Event, after *spec.State) string {
	v := variantOf(before.Markets[ev.Market], "setLeverage")
	if v != spec.SetLeverageChecked || !lowersLeverage(before, ev) {
		return ""
	}
	a := after.Accounts[ev.Account]
	rep, ok := e.queryAccount(after, a)
	if !ok {
		return ""
	}
	for i, p := range a.Positions {
		if p.Market != ev.Market {
			continue
		}
		pl := rep.Pools[0]
		if p.MarginMode == spec.Isolated {
			for _, q := range rep.Pools {
				if q.Position == i {
					pl = q
				}
			}
		}
		if pl.Equity.LessThan(pl.InitialMargin.Sub(units(1))) {
			return fmt.Sprintf("LED-9:checked: after lowering %s's leverage in %s to %s, its %s pool has equity %s below the initial margin %s",
				ev.Account, ev.Market, ev.Leverage.Decimal, pl.Pool, pl.Equity, pl.InitialMargin)
		}
	}
	return ""
}
