package properties

import (
	"maps"
	"math/big"
	"slices"
	"strings"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the ledger's price-event checks (MARK-1, MARK-2, MARK-4 on
// a price event; issue 16's blind spots: an index or last of exactly 0, a
// computed mark of exactly 0).

// expectPriceEvent is what SPEC says of a ledger price event ev in market m:
// the field and rule of its error (MARK-1 for a given mark <= 0; MARK-2 for
// an index or last absent or <= 0 without a mark, or secondsToFunding < 0;
// MARK-4 for a computed mark down(m) <= 0; NUM-2 beyond MAX), or "" and the
// mark the ledger then uses (the given one, or down(m), MARK-2..4). The
// fields are checked in the order of EVAL-2 step 2: index, last,
// secondsToFunding, then the computed mark.
func expectPriceEvent(m spec.Market, ev spec.Event) (field, rule string, mark *big.Rat) {
	if ev.Mark.Valid {
		if ev.Mark.Decimal.Sign() <= 0 {
			return "mark", "MARK-1", nil
		}
		return "", "", rat(ev.Mark.Decimal)
	}
	switch {
	case !ev.Index.Valid || ev.Index.Decimal.Sign() <= 0:
		return "index", "MARK-2", nil
	case !ev.Last.Valid || ev.Last.Decimal.Sign() <= 0:
		return "last", "MARK-2", nil
	case ev.SecondsToFunding.Valid && ev.SecondsToFunding.Decimal.Sign() < 0:
		return "secondsToFunding", "MARK-2", nil
	}
	p := spec.Price{Index: ev.Index, Last: ev.Last, FundingRate: ev.FundingRate, SecondsToFunding: ev.SecondsToFunding, BasisAverage: ev.BasisAverage}
	mk := down(computedMark(m, p))
	switch {
	case mk.Sign() <= 0:
		return "mark", "MARK-4", nil
	case !inRange(mk):
		return "mark", "NUM-2", nil
	}
	return "", "", mk
}

// propLedgerPriceFields applies one price event on a price-field boundary
// (gen.PriceFieldEvent) to a ledger state reached by a few events, and
// judges it from the fields alone (expectPriceEvent): a rejected event fails
// with that rule at events[0].<field> (path and rule compared with
// CapErrorPaths) and changes nothing (LED-7); an accepted one stores the
// event's fields as the market's price (LED-5: the new Price is the event's
// fields) and the engine's own query on the state after it reports the mark
// expectPriceEvent computed, with computed = true when no mark was given.
func propLedgerPriceFields(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.prefixRun(t, e.gen, 3)
		market := rapid.SampledFrom(slices.Sorted(maps.Keys(r.st.Markets))).Draw(t, "market")
		pc := gen.PriceFieldEvent(r.st, market).Draw(t, "priceEvent")
		ev := pc.Event
		fail := func(format string, args ...any) {
			t.Helper()
			e.failRuns(t, []labeledRun{{"price event (" + pc.Case + ")", r.st, []spec.Event{ev}}}, format, args...)
		}
		l := r.reload(t, r.st)
		before := l.State()
		_, errs := applyAll(l, []spec.Event{ev})
		err := errs[0]
		after := l.State()
		field, rule, mark := expectPriceEvent(r.st.Markets[market], ev)
		if rule != "" {
			e.hit("MARK price event " + pc.Case + ": " + rule)
			if err == nil {
				fail("%s: the price event (%s) was accepted; want an error %s at events[0].%s", rule, pc.Case, rule, field)
			}
			me := asError(err)
			if me == nil {
				fail("LED-7: the price event (%s) failed with a %T, not a *spec.Error: %v", pc.Case, err, err)
			}
			if e.caps[CapErrorPaths] && (me.Rule != rule || me.Path != "events[0]."+field) {
				fail("%s: the price event (%s) failed with %s at %s (%v); want %s at events[0].%s", rule, pc.Case, me.Rule, me.Path, err, rule, field)
			}
			if d := spec.Diff(before, after); d != nil {
				fail("LED-7: the rejected price event (%s) changed the state (before vs after):\n  %s", pc.Case, diffText(d))
			}
			return
		}
		if err != nil {
			me := asError(err)
			if me == nil || strings.HasPrefix(me.Rule, "MARK-") || isPriceFieldPath(me.Path) {
				fail("MARK-1..4: the price event (%s) must be accepted (mark %s), got %v", pc.Case, fmtRat(mark), err)
			}
			e.hit("MARK price event " + pc.Case + ": rejected by " + me.Rule)
			t.Skipf("rejected by another rule (the sweep at the new mark): %v", err)
		}
		e.hit("MARK price event " + pc.Case + ": accepted")
		want := spec.Price{Mark: ev.Mark, Index: ev.Index, Last: ev.Last, FundingRate: ev.FundingRate,
			SecondsToFunding: ev.SecondsToFunding, BasisAverage: ev.BasisAverage}
		if d := spec.Diff(after.Prices[market], want); d != nil {
			fail("LED-5: after the price event (%s), prices.%s is not the event's fields:\n  %s", pc.Case, market, diffText(d))
		}
		for _, id := range slices.Sorted(maps.Keys(after.Accounts)) {
			rep, ok := e.queryAccount(after, after.Accounts[id])
			if !ok {
				continue
			}
			got := rep.Prices[market]
			if !eqRat(got.Mark, mark) || got.Computed == ev.Mark.Valid {
				fail("MARK-2..4: after the price event (%s), the engine's query of %s reports prices.%s mark %s (computed %v); want %s (computed %v)",
					pc.Case, id, market, got.Mark, got.Computed, fmtRat(mark), !ev.Mark.Valid)
			}
			return
		}
	}
}

// isPriceFieldPath says whether an error path names a price event's field.
func isPriceFieldPath(path string) bool {
	for _, f := range []string{"mark", "index", "last", "fundingRate", "secondsToFunding", "basisAverage"} {
		if strings.HasSuffix(path, "."+f) {
			return true
		}
	}
	return false
}
