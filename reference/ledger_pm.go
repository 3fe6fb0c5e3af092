package reference

import (
	"maps"
	"slices"
	"sort"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is the portfolio-margin ledger (SPEC PM-14..PM-18): the
// portfolio pool of an account (PM-10 on its portfolio positions, at the
// current marks), the wallet's pool (PM-16), PM-14's check of a trade that
// opens a position, and PM-17's close order.

// portfolioViews returns a's portfolio positions (ascending market order)
// as scenario positions at the current marks, with their markets and QTY
// quantities.
func (l *Ledger) portfolioViews(a *ledgerAccount) ([]string, []*position, []quantities) {
	var markets []string
	var ps []*position
	var qs []quantities
	for _, m := range slices.Sorted(maps.Keys(a.positions)) {
		if l.modeOf(a, m) != spec.Portfolio {
			continue
		}
		p := l.view(a, m)
		markets = append(markets, m)
		ps = append(ps, p)
		qs = append(qs, positionQuantities(p))
	}
	return markets, ps, qs
}

// hasPortfolio reports whether a holds a portfolio position (PM-2: then no
// cross position, and the wallet backs the portfolio pool).
func (l *Ledger) hasPortfolio(a *ledgerAccount) bool {
	for m := range a.positions {
		if l.modeOf(a, m) == spec.Portfolio {
			return true
		}
	}
	return false
}

// portfolioPoolOf is PM-10 for a's portfolio positions: a pool of mode
// portfolio (E = wallet + sum U_i, IM = sum IM_u, MM = sum MM_u, exact), the
// exact result with its units (PM-3..9), and the positions' markets and
// quantities (the units' members index into them).
func (l *Ledger) portfolioPoolOf(a *ledgerAccount) (pool, *pmResult, []string, []quantities) {
	markets, ps, qs := l.portfolioViews(a)
	pl := pool{mode: spec.Portfolio, position: -1, base: a.wallet, e: a.wallet, im: exact(dec(0)), mm: exact(dec(0))}
	res := computePortfolio(&input{wallet: a.wallet, positions: ps}, qs)
	if res == nil {
		return pl, nil, markets, qs
	}
	for i := range ps {
		pl.members = append(pl.members, i)
	}
	pl.e, pl.im, pl.mm = res.e, exact(res.im), exact(res.mm)
	return pl, res, markets, qs
}

// walletPoolOf is the pool the wallet backs (PM-16): the portfolio pool when
// a holds a portfolio position, else the cross pool (POOL-1). It also
// returns the pool's positions' quantities.
func (l *Ledger) walletPoolOf(a *ledgerAccount) (pool, []quantities) {
	if l.hasPortfolio(a) {
		pl, _, _, qs := l.portfolioPoolOf(a)
		return pl, qs
	}
	pl, _, qs := l.crossPoolOf(a)
	return pl, qs
}

// portfolioOrder is PM-17's close order of a's portfolio pool: the risk
// units by descending MR1 (ties by ascending underlying), within a unit
// largest loss first (most negative U; ties by market).
func (l *Ledger) portfolioOrder(a *ledgerAccount) []string {
	_, res, markets, qs := l.portfolioPoolOf(a)
	units := slices.Clone(res.units) // in ascending underlying order (PM-3)
	sort.SliceStable(units, func(i, j int) bool {
		if l.mut == mutPMSweepOrder {
			return units[i].mr1.Cmp(units[j].mr1) < 0 // the bug: smallest MR1 first
		}
		return units[i].mr1.Cmp(units[j].mr1) > 0
	})
	var out []string
	for _, u := range units {
		var ms []string
		var uq []quantities
		for _, i := range u.members {
			ms = append(ms, markets[i])
			uq = append(uq, qs[i])
		}
		out = append(out, largestLossFirst(ms, uq, false)...)
	}
	return out
}

// checkPortfolioOpen is PM-14 for a trade side that opens a position from
// flat in market m: a cross position beside a portfolio one, or portfolio
// parameters that differ on one underlying, would break PM-2 (rule PM-2 at
// the side's field).
func (l *Ledger) checkPortfolioOpen(k int, side fillSide, m string) *spec.Error {
	a := side.a
	switch l.modeOf(a, m) {
	case spec.Cross:
		if l.hasPortfolio(a) {
			return fail(evPath(k, side.field), "PM-2", "account %q holds a portfolio position: it cannot open a cross position in %q", a.id, m)
		}
	case spec.Portfolio:
		mkt := l.markets[m]
		for _, o := range slices.Sorted(maps.Keys(a.positions)) {
			switch l.modeOf(a, o) {
			case spec.Cross:
				return fail(evPath(k, side.field), "PM-2", "account %q holds a cross position: it cannot open a portfolio position in %q", a.id, m)
			case spec.Portfolio:
				om := l.markets[o]
				if underlyingOf(om) == underlyingOf(mkt) && !om.pm.params.equal(mkt.pm.params) {
					return fail(evPath(k, side.field), "PM-2", "market %q's portfolioMargin differs from %q's on underlying %q", m, o, underlyingOf(mkt))
				}
			}
		}
	}
	return nil
}
