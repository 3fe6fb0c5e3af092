package properties

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the checks of SPEC LQ during the replay of a price or
// funding event: how each liquidated pool goes (LQ-3..5, LQ-8) and that no
// pool is left liquidatable (LQ-1, by the engine's own query).

// The ways a liquidation goes (LQ-3).
const (
	liqSolvent   = "solvent (LQ-4)"
	liqInsurance = "insurance (LQ-5)"
	liqADL       = "auto-deleveraging (LQ-6)"
)

// liqEpisode is the liquidation of one pool: the liquidation blocks of its
// positions (one for an isolated pool, one per closed position for a cross
// pool) and what LQ-3 says must happen to it.
type liqEpisode struct {
	id, market string // market: the isolated position's ("" for cross)
	pool       spec.MarginMode
	acct       string          // its ledger account (wallet or isolated margin)
	way        string          // liqSolvent, liqInsurance, liqADL, or "" when not computable
	ex         decimal.Decimal // E_x at the start
	fund       decimal.Decimal // wallet:@insurance at the start
	insurance  decimal.Decimal // insurance postings to the pool
	fee        bool            // a liquidation fee was charged
	// an isolated pool's leftover (LQ-4's choice): what its margin account
	// posts to the wallet (reason margin) and to the fund (reason insurance)
	toTrader, toFund decimal.Decimal
	kinds            map[string]bool // kinds of the liquidated account's fills
}

// startEpisode is called at each liquidation effect: it ends the current
// episode when the effect starts another pool's liquidation, and computes
// the new episode's expected way.
func (rp *replay) startEpisode(f spec.Effect) string {
	if ep := rp.ep; ep != nil && ep.pool != spec.Isolated && f.Pool == ep.pool && ep.id == f.Account {
		return "" // the next position of the same cross (or portfolio, PM-17) pool
	}
	if msg := rp.endEpisode(); msg != "" {
		return msg
	}
	ep := &liqEpisode{id: f.Account, pool: f.Pool, acct: "wallet:" + f.Account, kinds: map[string]bool{}}
	if f.Pool == spec.Isolated {
		ep.market = f.Market
		ep.acct = poolName(f.Account, f.Market, spec.Isolated)
	}
	rp.ep = ep
	ex, ok := rp.closeOutEquity(ep)
	if !ok {
		return "" // a position of the pool was filled earlier in the event: V unknown here
	}
	ep.ex = ex
	ep.fund = rp.b.get("wallet:" + spec.InsuranceAccount)
	if ex.Sign() < 0 {
		if s := side(ep.fund.Add(ex)); s != "" {
			rp.e.hit("LQ-5 fund-deficit " + s)
		}
	}
	switch {
	case ex.Sign() >= 0:
		ep.way = liqSolvent
	case ep.fund.GreaterThanOrEqual(ex.Neg()):
		ep.way = liqInsurance
	default:
		ep.way = liqADL
	}
	return ""
}

// closeOutEquity is LQ-3's E_x: the pool's balance plus, for every position
// of the pool, s * (Q * p - V) at its LQ-2 execution price p.
func (rp *replay) closeOutEquity(ep *liqEpisode) (decimal.Decimal, bool) {
	e := rp.b.get(ep.acct)
	for key, p := range rp.b.pos {
		if !strings.HasPrefix(key, ep.id+"|") || p.x.IsZero() || p.mode != ep.pool {
			continue
		}
		m := strings.TrimPrefix(key, ep.id+"|")
		if ep.pool == spec.Isolated && m != ep.market {
			continue
		}
		mark := rp.after.Prices[m].Mark
		if rp.touched[key] || !mark.Valid {
			return e, false
		}
		tick := rp.before.Markets[m].TickSize
		px, sv := specutil.FloorGrid(mark.Decimal, tick), p.v
		if p.x.Sign() < 0 {
			px, sv = specutil.CeilGrid(mark.Decimal, tick), sv.Neg()
		}
		e = e.Add(p.x.Mul(px).Sub(sv))
	}
	return e, true
}

// episodePosting records what a posting means for the current episode and
// checks LQ-5/LQ-7's bound on the fund.
func (rp *replay) episodePosting(f spec.Effect) string {
	ep := rp.ep
	if ep == nil {
		return ""
	}
	amt := f.Amount.Decimal
	if f.Reason == "insurance" && f.To == ep.acct && ep.way == liqSolvent && ep.pool == spec.Cross && !rp.hasCrossPosition(ep.id) {
		return rp.emptyPoolRescue(f)
	}
	if f.Reason == "insurance" && f.To == ep.acct {
		if f.From != "wallet:"+spec.InsuranceAccount {
			return fmt.Sprintf("LQ-5: an insurance posting to %s comes from %s, not the insurance fund", ep.acct, f.From)
		}
		// The fund's balance may go negative here even in LQ-5: taking the
		// positions over can realize a loss on a position the fund already
		// holds before it pays (SPEC OPEN-5). LQ-5's condition is on the
		// balance before the liquidation, checked by the way LQ-3 decides.
		ep.insurance = ep.insurance.Add(amt)
	}
	if f.Reason == "liquidation-fee" && f.From == ep.acct {
		ep.fee = true
	}
	if ep.pool == spec.Isolated && f.From == ep.acct {
		switch {
		case f.To == "wallet:"+ep.id && f.Reason == "margin":
			ep.toTrader = ep.toTrader.Add(amt)
		case f.To == "wallet:"+spec.InsuranceAccount && f.Reason == "insurance":
			ep.toFund = ep.toFund.Add(amt)
		}
	}
	return ""
}

// hasCrossPosition says whether account id holds an open cross position in
// the replay's book.
func (rp *replay) hasCrossPosition(id string) bool {
	for key, p := range rp.b.pos {
		if strings.HasPrefix(key, id+"|") && !p.x.IsZero() && p.mode == spec.Cross {
			return true
		}
	}
	return false
}

// emptyPoolRescue judges an insurance posting f into a cross pool whose
// solvent LQ-4 liquidation (the current episode) has closed every position.
// LQ-4's cross fee is min(up(rate*size*p), max(0, down(E'))) with E' valuing
// the remaining positions at their marks, while they then close at their
// LQ-2 execution prices (worse by up to a tick each): so a solvent pool can
// end with no position and a negative wallet. LQ-1's next pass finds it
// liquidatable (POOL-5: E < 0 = MM) and liquidates it again: E_x is its
// balance, bankrupt; LQ-5 (or LQ-6/LQ-7 with no position to close) makes
// the fund post exactly d = -balance, with no liquidation effect (there is
// no position). That is a second liquidation, not insurance paid into the
// solvent one: the episode ends here (checked without it), and the posting
// must be exactly the deficit of a negative balance.
func (rp *replay) emptyPoolRescue(f spec.Effect) string {
	ep := rp.ep
	amt := f.Amount.Decimal
	if msg := rp.endEpisode(); msg != "" {
		return msg
	}
	if f.From != "wallet:"+spec.InsuranceAccount {
		return fmt.Sprintf("LQ-5: an insurance posting to %s comes from %s, not the insurance fund", ep.acct, f.From)
	}
	bal := rp.b.get(ep.acct).Sub(amt) // before the posting
	if bal.Sign() >= 0 || !amt.Equal(bal.Neg()) {
		return fmt.Sprintf("LQ-3/LQ-4: the cross liquidation of %s is solvent (E_x %s, insurance fund %s) and closed every position, leaving %s; the fund then paid %s into it (only a negative balance is liquidated again, and then the fund pays exactly its deficit, LQ-5/LQ-7)", ep.id, ep.ex, ep.fund, bal, amt)
	}
	rp.e.hit("LQ-3 empty cross pool rescued")
	return ""
}

// checkLeftover is LQ-4's choice for an isolated pool's leftover Lo (what
// its margin account gives away after the fee: to the wallet and, as
// insurance, to the fund): LQ-4:trader gives it all to the wallet,
// LQ-4:insurance all to the fund, LQ-4:liquidator-split up(share x Lo) to
// the fund and the rest to the wallet.
func (rp *replay) checkLeftover(ep *liqEpisode, what string) string {
	m := rp.before.Markets[ep.market]
	v := variantOf(m, "isolatedLeftover")
	lo := ep.toTrader.Add(ep.toFund)
	want := decimal.Zero
	switch v {
	case spec.LeftoverInsurance:
		want = lo
	case spec.LeftoverLiquidatorSplit:
		want = upUnits(m.Variants.LiquidatorShare.Decimal.Mul(lo))
	}
	if !ep.toFund.Equal(want) {
		return fmt.Sprintf("LQ-4:%s: of the leftover %s of %s, the fund gets %s and the trader %s; want %s to the fund", v, lo, what, ep.toFund, ep.toTrader, want)
	}
	return ""
}

// endEpisode checks the episode that ends against the way LQ-3 decided.
func (rp *replay) endEpisode() string {
	ep := rp.ep
	rp.ep = nil
	if ep == nil || ep.way == "" {
		return ""
	}
	what := fmt.Sprintf("the %s liquidation of %s", ep.pool, ep.id)
	if ep.market != "" {
		what += " in " + ep.market
	}
	ctx := fmt.Sprintf("E_x %s, insurance fund %s", ep.ex, ep.fund)
	switch ep.way {
	case liqSolvent, liqInsurance:
		if ep.kinds["adl"] {
			return fmt.Sprintf("LQ-3: %s is %s (%s) but has ADL fills", what, ep.way, ctx)
		}
	case liqADL:
		if ep.kinds["liquidation"] {
			return fmt.Sprintf("LQ-3/LQ-6: %s must be auto-deleveraged (%s: the fund cannot pay the deficit) but the fund took positions over", what, ctx)
		}
		if ep.fee {
			return fmt.Sprintf("LQ-6: %s is auto-deleveraged (%s) but charged a liquidation fee", what, ctx)
		}
	}
	if ep.pool == spec.Isolated && ep.way != liqInsurance {
		if msg := rp.checkLeftover(ep, what); msg != "" {
			return msg
		}
	}
	switch ep.way {
	case liqSolvent:
		if ep.insurance.Sign() != 0 {
			return fmt.Sprintf("LQ-3/LQ-4: %s is solvent (%s) but the fund paid %s into it", what, ctx, ep.insurance)
		}
	case liqInsurance:
		if !ep.insurance.Equal(ep.ex.Neg()) {
			return fmt.Sprintf("LQ-5: the fund must pay exactly the deficit %s in %s (%s); it paid %s", ep.ex.Neg(), what, ctx, ep.insurance)
		}
		if ep.fee {
			return fmt.Sprintf("LQ-5: %s is covered by the fund (%s) but charged a liquidation fee", what, ctx)
		}
		if b := rp.b.get(ep.acct); b.Sign() != 0 {
			return fmt.Sprintf("LQ-5: after %s, %s holds %s, want 0 (%s)", what, ep.acct, b, ctx)
		}
	}
	return ""
}

// checkNoLiquidatable is LQ-1's end condition, judged by the engine's own
// query: after the sweep, no trader pool is liquidatable. Accounts whose
// state is not a valid scenario (a negative wallet or isolated margin, SPEC
// OPEN-1 and OPEN-2) are not judged.
func (e *env) checkNoLiquidatable(after *spec.State) string {
	for _, id := range slices.Sorted(maps.Keys(after.Accounts)) {
		a := after.Accounts[id]
		rep, ok := e.queryAccount(after, a)
		if !ok {
			continue
		}
		for _, pl := range rep.Pools {
			if pl.Liquidatable {
				return fmt.Sprintf("LQ-1: after the sweep, %s's %s pool is still liquidatable (equity %s < MM %s)", id, pl.Pool, pl.Equity, pl.MaintenanceMargin)
			}
		}
	}
	return ""
}

// queryAccount is the engine's own report on one account of a ledger state
// (the judge of LQ-1, TRD-5 and LED-9 after an event). ok is false when the
// account is not a valid scenario (SPEC OPEN-1, OPEN-2: a negative wallet or
// isolated margin) or the query fails; such accounts are not judged.
func (e *env) queryAccount(st *spec.State, a spec.Account) (rep *spec.Report, ok bool) {
	defer func() {
		if recover() != nil {
			rep, ok = nil, false
		}
	}()
	s := specutil.AccountScenario(st, a)
	ctx := func() []Counterexample { return scenarioItems([]named{{"account query", s}}) }
	if e.current != nil {
		ctx = func() []Counterexample {
			return append(runItems(e.current()), scenarioItems([]named{{"account query", s}})...)
		}
	}
	var err error
	e.call("Evaluate", ctx, func() { rep, err = e.engine.Evaluate(s) })
	e.notSupported("Evaluate", err)
	return rep, err == nil && rep != nil
}
