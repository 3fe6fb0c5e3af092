package reference

import (
	"maps"
	"slices"
	"sort"

	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is SPEC LQ (the liquidation process) and ADL
// (auto-deleveraging).

// sweep is LQ-1: after every price and funding event, visit the trader
// accounts in ascending byte order of id (the insurance fund is never
// liquidated, LED-2); for each, its isolated pools in ascending market order
// and then its cross pool; liquidate each pool that is liquidatable (POOL-5:
// E < MM, exact, at the mark). Repeat whole passes until a pass liquidates
// nothing.
//
// A cross pool with no position but a negative wallet is liquidatable too
// (POOL-5 with MM = 0); its liquidation closes nothing and covers the
// deficit (LQ-5 or LQ-7).
//
// It terminates: every liquidation closes at least one trader position or
// brings a position-less cross pool to 0, and no liquidation opens a trader
// position (the insurance fund takes positions over; ADL only reduces).
func (l *Ledger) sweep() {
	for {
		liquidated := false
		for _, id := range l.sortIDs() {
			if id == spec.InsuranceAccount {
				continue
			}
			a := l.accounts[id]
			for _, m := range slices.Sorted(maps.Keys(a.positions)) {
				if _, open := a.positions[m]; !open || l.modeOf(a, m) != spec.Isolated {
					continue
				}
				if pl, _ := l.isolatedPoolOf(a, m); l.triggered(pl) {
					l.liquidate(a, spec.Isolated, []string{m})
					liquidated = true
				}
			}
			if l.hasPortfolio(a) {
				// PM-17: the portfolio pool takes the cross pool's place.
				if pl, _, _, _ := l.portfolioPoolOf(a); liquidatable(pl) {
					l.liquidate(a, spec.Portfolio, l.portfolioOrder(a))
					liquidated = true
				}
			} else if pl, markets, qs := l.crossPoolOf(a); l.triggered(pl) {
				l.liquidate(a, spec.Cross, largestLossFirst(markets, qs, l.mut == mutLiqOrderTieReverse))
				liquidated = true
			}
		}
		if !liquidated {
			return
		}
	}
}

// largestLossFirst orders a pool's positions for LQ-4..6: largest loss first
// (most negative exact U at the mark), ties by ascending market (descending
// when reverseTies: mutLiqOrderTieReverse's bug).
func largestLossFirst(markets []string, qs []quantities, reverseTies bool) []string {
	idx := make([]int, len(markets))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool {
		i, j := idx[x], idx[y]
		if c := qs[i].u.Cmp(qs[j].u); c != 0 {
			return c < 0
		}
		if reverseTies {
			return markets[i] > markets[j]
		}
		return markets[i] < markets[j]
	})
	out := make([]string, len(idx))
	for x, i := range idx {
		out[x] = markets[i]
	}
	return out
}

// executionPrice is LQ-2: a position of side s liquidated at mark MP
// executes at p = tickDown(MP) for a long and tickUp(MP) for a short
// (against the trader), so that size * p is a multiple of 1e-8.
func executionPrice(s int, mp, tick *apd.Decimal) *apd.Decimal {
	if s > 0 {
		return tickDown(exact(mp), tick)
	}
	return tickUp(exact(mp), tick)
}

// poolAcct is the ledger account of a pool: the cross wallet or the isolated
// margin of market m.
func poolAcct(a *ledgerAccount, mode spec.MarginMode, m string) ledgerAcct {
	if mode == spec.Isolated {
		return isolatedAcct(a.id, m)
	}
	return walletAcct(a.id)
}

// closeOutEquity is LQ-3's E_x: the pool's equity if every position of the
// pool (markets) were closed at its execution price p (LQ-2), exact:
// E_x = B + sum s * (Q * p - V), B the wallet (cross) or the isolated margin.
func (l *Ledger) closeOutEquity(a *ledgerAccount, acct ledgerAcct, markets []string) *apd.Decimal {
	e := l.balance(acct)
	for _, m := range markets {
		p := a.positions[m]
		e = add(e, realizedPnl(p.s, p.q, l.execPriceOf(a, m), p.v))
	}
	return e
}

// execPriceOf is executionPrice for a's position in market m at its mark.
func (l *Ledger) execPriceOf(a *ledgerAccount, m string) *apd.Decimal {
	return executionPrice(a.positions[m].s, l.prices[m].mark, l.markets[m].tick)
}

// liquidate liquidates one liquidatable pool of account a: its isolated
// position markets[0], or its cross positions in markets (largest loss
// first). LQ-3 decides: a solvent pool (E_x >= 0) goes to LQ-4; a bankrupt
// one (deficit d = -E_x) to LQ-5 when the fund can pay (wallet:@insurance >=
// d), otherwise to LQ-6 (ADL) and LQ-7.
func (l *Ledger) liquidate(a *ledgerAccount, mode spec.MarginMode, markets []string) {
	m := ""
	if mode == spec.Isolated {
		m = markets[0]
	}
	acct := poolAcct(a, mode, m)
	ex := l.closeOutEquity(a, acct, markets)
	switch {
	case ex.Sign() >= 0 && mode == spec.Isolated:
		l.liquidateSolventIsolated(a, m)
	case ex.Sign() >= 0:
		l.liquidateSolventCross(a, mode, markets)
	case l.account(spec.InsuranceAccount).wallet.Cmp(neg(ex)) >= 0 && !(l.mut == mutFundCoversStrict && l.account(spec.InsuranceAccount).wallet.Cmp(neg(ex)) == 0) || l.mut == mutNoADL:
		l.liquidateWithInsurance(a, mode, acct, markets, neg(ex))
	default:
		l.autoDeleverage(a, mode, acct, markets, neg(ex))
	}
	if mode == spec.Isolated {
		l.dropIsolated(a, m)
	}
}

// liquidationEffect records LED-6's liquidation {account, market, pool},
// before the fills of the liquidation of that position.
func (l *Ledger) liquidationEffect(a *ledgerAccount, m string, mode spec.MarginMode) {
	l.effects = append(l.effects, spec.Effect{Type: spec.EffectLiquidation, Account: a.id, Market: m, Pool: mode})
}

// closeAgainstFund closes a's whole position in market m at price p against
// the insurance fund, which takes it over (LQ-4, LQ-5): a fill of kind
// liquidation for both, the buyer's first; the trader's realized PnL goes to
// the pool (TRD-2); the fund's side is an ordinary cross position update.
func (l *Ledger) closeAgainstFund(a *ledgerAccount, mode spec.MarginMode, m string, p *apd.Decimal) {
	l.liquidationEffect(a, m, mode)
	pos := a.positions[m]
	trader := fillSide{a: a, rule: ruleLiquidated}
	fund := fillSide{a: l.account(spec.InsuranceAccount), rule: ruleTrade}
	buyer, seller := fund, trader // the trader's long is sold to the fund
	if pos.s < 0 {
		buyer, seller = trader, fund
	}
	if _, verr := l.fill(-1, m, buyer, seller, pos.q, p, "liquidation"); verr != nil {
		panic(bugf("liquidation fill: %v", verr))
	}
}

// liquidationFeeCap is up(rate * size * p) of LQ-4, rate =
// liquidationFeeRate of the market.
func (l *Ledger) liquidationFeeCap(m string, size, p *apd.Decimal) *apd.Decimal {
	return up(exact(mul(l.markets[m].feeRate, mul(size, p))))
}

// liquidateSolventIsolated is LQ-4 for an isolated pool: the position is
// closed at p against the insurance fund; the fee min(up(rate * size * p),
// M') (M' the margin after the realized PnL) goes to wallet:@insurance
// (reason liquidation-fee); the rest of the margin moves to the wallet
// (reason margin). So the trader's loss is at most the isolated margin
// (LQ-8).
func (l *Ledger) liquidateSolventIsolated(a *ledgerAccount, m string) {
	p := l.execPriceOf(a, m)
	size := a.positions[m].q
	l.closeAgainstFund(a, spec.Isolated, m, p)
	iso := isolatedAcct(a.id, m)
	fee := minDec(l.liquidationFeeCap(m, size, p), l.balance(iso))
	if l.mut == mutLiqFeeUncapped {
		// The bug: the whole fee is charged; what the margin cannot pay
		// comes from the wallet.
		excess := sub(l.liquidationFeeCap(m, size, p), fee)
		l.post(walletAcct(a.id), walletAcct(spec.InsuranceAccount), excess, reasonLiquidationFee)
	}
	l.post(iso, walletAcct(spec.InsuranceAccount), fee, reasonLiquidationFee)
	l.distributeLeftover(a, m)
}

// distributeLeftover is LQ-4's choice for what an isolated pool holds after
// its liquidation, Lo >= 0 (M' - fee after LQ-4; -r after LQ-6):
// LQ-4:trader moves it to the wallet (reason margin); LQ-4:insurance to
// wallet:@insurance (reason insurance); LQ-4:liquidator-split moves
// up(liquidatorShare x Lo) to wallet:@insurance (reason insurance) and the
// rest to the wallet (reason margin).
func (l *Ledger) distributeLeftover(a *ledgerAccount, m string) {
	iso := isolatedAcct(a.id, m)
	lo := l.balance(iso)
	v := l.variantsOf(m)
	switch v.leftover {
	case spec.LeftoverInsurance:
		l.post(iso, walletAcct(spec.InsuranceAccount), lo, reasonInsurance)
	case spec.LeftoverLiquidatorSplit:
		l.post(iso, walletAcct(spec.InsuranceAccount), up(exact(mul(v.liquidatorShare, lo))), reasonInsurance)
		l.post(iso, walletAcct(a.id), l.balance(iso), reasonMargin)
	default:
		l.post(iso, walletAcct(a.id), lo, reasonMargin)
	}
}

// liquidateSolventCross is LQ-4 for a cross pool: positions are closed one at
// a time, largest loss first, each at its p against the insurance fund, each
// paying min(up(rate * size * p), max(0, down(E'))) from the wallet to
// wallet:@insurance (reason liquidation-fee), E' the pool's exact equity after
// that close with the remaining positions at their marks; the loop stops as
// soon as the pool is not liquidatable or has no position.
//
// PM-17: a portfolio pool (mode portfolio) is liquidated the same way, in
// its close order, re-checked by PM-10 on the remaining positions.
func (l *Ledger) liquidateSolventCross(a *ledgerAccount, mode spec.MarginMode, markets []string) {
	poolNow := func() pool {
		if mode == spec.Portfolio {
			pl, _, _, _ := l.portfolioPoolOf(a)
			return pl
		}
		pl, _, _ := l.crossPoolOf(a)
		return pl
	}
	for i, m := range markets {
		if pl := poolNow(); l.stopsClosing(pl, i == 0) {
			return
		}
		p := l.execPriceOf(a, m)
		size := a.positions[m].q
		l.closeAgainstFund(a, mode, m, p)
		after := poolNow() // E'
		fee := minDec(l.liquidationFeeCap(m, size, p), maxDec(dec(0), down(exact(after.e))))
		if l.mut == mutLiqFeeUncapped {
			fee = l.liquidationFeeCap(m, size, p)
		}
		l.post(walletAcct(a.id), walletAcct(spec.InsuranceAccount), fee, reasonLiquidationFee)
	}
}

// liquidateWithInsurance is LQ-5: a bankrupt pool whose deficit d the fund
// can pay closes all its positions (largest loss first) at their p against
// the insurance fund; then the fund posts exactly d to the pool (reason
// insurance), which ends at 0. No liquidation fee is charged.
func (l *Ledger) liquidateWithInsurance(a *ledgerAccount, mode spec.MarginMode, acct ledgerAcct, markets []string, d *apd.Decimal) {
	for _, m := range markets {
		l.closeAgainstFund(a, mode, m, l.execPriceOf(a, m))
	}
	from := walletAcct(spec.InsuranceAccount)
	if l.mut == mutIsolatedLossUncapped && mode == spec.Isolated && a.wallet.Cmp(d) >= 0 {
		from = walletAcct(a.id) // the bug: the trader's wallet covers an isolated deficit
	}
	l.post(from, acct, d, reasonInsurance)
	if b := l.balance(acct); b.Sign() != 0 {
		panic(bugf("LQ-5: %s ends at %s, not 0", acct.name(), str(b)))
	}
}

// adlPrice is LQ-6's adjusted price of a position of side s, size Q and
// execution price p that absorbs the remaining deficit r > 0: a long at
// tickUp(p + r/Q), a short at max(tickSize, tickDown(p - r/Q)). For an
// isolated pool this is its bankruptcy price (BKR-1), rounded against the
// trader.
func adlPrice(s int, q, p, r, tick *apd.Decimal) *apd.Decimal {
	if s > 0 {
		return tickUp(exact(p).plus(quo(r, q)), tick)
	}
	return maxDec(tick, tickDown(exact(p).minus(quo(r, q)), tick))
}

// autoDeleverage is LQ-6 and LQ-7: the fund pays nothing; the pool's
// positions, largest loss first, are closed against opposite-side positions
// (ADL-1..3) at an adjusted price that absorbs the remaining deficit r
// (initially d): adlPrice while r > 0, r falling by what that close absorbs
// (s * Q * (price - p)); once r <= 0 the remaining positions close at their
// p, still against ADL counterparties.
//
// LQ-7: if r > 0 remains after every position is closed, the fund posts r to
// the pool anyway (reason insurance; its balance may go negative).
//
// Reading (SPEC is silent): what an isolated pool holds after its ADL
// (-r >= 0 when r <= 0) moves to the wallet (reason margin), as in LQ-4,
// since an isolated margin without a position cannot remain.
func (l *Ledger) autoDeleverage(a *ledgerAccount, mode spec.MarginMode, acct ledgerAcct, markets []string, d *apd.Decimal) {
	r := d
	for _, m := range markets {
		pos := a.positions[m]
		p := l.execPriceOf(a, m)
		price := p
		if r.Sign() > 0 {
			price = adlPrice(pos.s, pos.q, p, r, l.markets[m].tick)
			r = sub(r, mul(sgn(pos.s), mul(pos.q, sub(price, p))))
		}
		l.liquidationEffect(a, m, mode)
		l.deleverage(a, m, price)
	}
	// Closing every position at its price leaves the pool at E_x + what the
	// closes absorbed = -d + (d - r) = -r.
	if b := l.balance(acct); b.Cmp(neg(r)) != 0 {
		panic(bugf("LQ-6: %s ends at %s with r = %s", acct.name(), str(b), str(r)))
	}
	l.coverResidual(acct, r)
	if mode == spec.Isolated {
		l.distributeLeftover(a, markets[0])
	}
}

// coverResidual is LQ-7: if r > 0 remains after every position of the pool
// is closed, the fund posts r to the pool anyway (reason insurance), and its
// balance may go negative; this is the only way wallet:@insurance becomes
// negative.
func (l *Ledger) coverResidual(acct ledgerAcct, r *apd.Decimal) {
	if r.Sign() > 0 {
		l.post(walletAcct(spec.InsuranceAccount), acct, r, reasonInsurance)
	}
}

// adlCandidate is one candidate of ADL-1 with its ADL-2 score.
type adlCandidate struct {
	a     *ledgerAccount
	score ratio
}

// adlScore is ADL-2 for a candidate position with exact unrealized PnL U at
// the mark, entry value V, notional N and pool equity E (exact):
//
//	V = 0:         score = MAX (U = Q * mark > 0)
//	pnl = down(U / V)
//	U > 0, E > 0:  score = down(pnl * down(N / E))   (PnL% x effective leverage)
//	U > 0, E <= 0: score = MAX
//	U <= 0:        score = pnl
func adlScore(u, v, n, e *apd.Decimal) *apd.Decimal {
	if v.Sign() == 0 {
		return maxValue // V = 0 (the fund, after LQ-2 at price 0): MAX
	}
	pnl := down(quo(u, v))
	switch {
	case u.Sign() > 0 && e.Sign() > 0:
		return down(exact(mul(pnl, down(quo(n, e)))))
	case u.Sign() > 0:
		return maxValue
	default:
		return pnl
	}
}

// adlCandidates is ADL-1 and ADL-2 for a position of side s in market m of
// account a: the opposite-side positions of the same market held by any
// other account (the insurance fund's included), in descending score, ties by
// ascending account id.
func (l *Ledger) adlCandidates(a *ledgerAccount, m string, s int) []adlCandidate {
	var cs []adlCandidate
	for _, id := range l.sortIDs() {
		c := l.accounts[id]
		p, open := c.positions[m]
		want := -s
		if l.mut == mutADLWrongSide {
			want = s
		}
		if c == a || !open || p.s != want {
			continue
		}
		if l.variantsOf(m).adlRanking == spec.ADLRankingAccount {
			cs = append(cs, adlCandidate{a: c, score: l.accountLeveragePnl(c)})
			continue
		}
		q := positionQuantities(l.view(c, m))
		score := adlScore(q.u, p.v, q.n, l.poolOf(c, m).e)
		if l.mut == mutADLRankByPnl {
			score = down(quo(q.u, p.v)) // the bug: PnL% without the effective leverage
		}
		cs = append(cs, adlCandidate{a: c, score: exact(score)})
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if c := cmpRatio(cs[i].score, cs[j].score); c != 0 {
			return c > 0
		}
		if l.mut == mutADLTieReverseID {
			return cs[i].a.id > cs[j].a.id
		}
		return cs[i].a.id < cs[j].a.id
	})
	return cs
}

// deleverage is ADL-3 for a's whole position in market m at the ADL price:
// each candidate in ranking order closes min(remaining, its size) at price
// (fill kind adl, no fee), realizing PnL by TRD-2/TRD-3, until the liquidated
// size is matched. One fill pair per counterparty, the buyer's first; the
// liquidated side's realized PnL goes to its pool.
func (l *Ledger) deleverage(a *ledgerAccount, m string, price *apd.Decimal) {
	pos := a.positions[m]
	s := pos.s
	remaining := pos.q
	for _, c := range l.adlCandidates(a, m, s) {
		if remaining.Sign() == 0 {
			break
		}
		q := minDec(remaining, c.a.positions[m].q)
		trader := fillSide{a: a, rule: ruleLiquidated}
		counter := fillSide{a: c.a, rule: ruleADL}
		buyer, seller := counter, trader // a liquidated long sells to a short
		if s < 0 {
			buyer, seller = trader, counter
		}
		if _, verr := l.fill(-1, m, buyer, seller, q, price, "adl"); verr != nil {
			panic(bugf("ADL fill: %v", verr))
		}
		remaining = sub(remaining, q)
	}
	if remaining.Sign() != 0 {
		panic(bugf("ADL: %s of %s in %s not matched (open interest unbalanced)", str(remaining), a.id, m))
	}
}
