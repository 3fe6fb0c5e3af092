package model

import (
	"math/big"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// The portfolio pool of the ledger (SPEC PM-14..PM-18). Only accounts that
// hold a portfolio position reach this file, so its math/big arithmetic
// (allocating) never runs for cross and isolated accounts: their trades and
// funding payments stay allocation-free. Scales as in pm.go: E and MM at
// 1e-32, IM at 1e-40 (a 1e-8 factor times MM).

// poolPM is liquidate's pool argument for an account's portfolio pool
// (isolated pools pass their market index, the cross pool -1).
const poolPM = -2

// isolated reports whether the position is in isolated mode.
func (ps *lpos) isolated() bool { return !ps.cross && !ps.pm }

// walletBacked reports whether the position's pool is the wallet (cross or
// portfolio, PM-16).
func (ps *lpos) walletBacked() bool { return ps.cross || ps.pm }

// posMode is the position's margin mode.
func (ps *lpos) posMode() spec.MarginMode {
	switch {
	case ps.cross:
		return spec.Cross
	case ps.pm:
		return spec.Portfolio
	}
	return spec.Isolated
}

// hasPM reports whether a holds an open portfolio position (PM-2: then it
// holds no cross position, and its wallet backs the portfolio pool).
func (a *lacct) hasPM() bool {
	for i := range a.pos {
		if a.pos[i].pm && !a.pos[i].q.IsZero() {
			return true
		}
	}
	return false
}

// hasCross reports whether a holds an open cross position.
func (a *lacct) hasCross() bool {
	for i := range a.pos {
		if a.pos[i].cross && !a.pos[i].q.IsZero() {
			return true
		}
	}
	return false
}

// ledUnit is one risk unit of an account's portfolio pool (PM-3..9).
type ledUnit struct {
	und    string
	params *pmParams
	// d, l, s at 1e-16, dated at 1e-24; mr1 and mm at 1e-32.
	d, l, s, dated, mr1, mm big.Int
	members                 []int // indices into a.pos, in market order
}

// pmPool returns the portfolio pool of a at the current marks (PM-10):
// E and MM at 1e-32, IM at 1e-40, and its units (unsorted). Positions of
// size 0 (closed during a liquidation) are left out.
func (l *Ledger) pmPool(a *lacct) (e32, mm32, im40 *big.Int, units []*ledUnit) {
	e32 = new(big.Int).Mul(wbig(a.wallet), big1e24)
	mm32, im40 = new(big.Int), new(big.Int)
	for i := range a.pos {
		ps := &a.pos[i]
		if !ps.pm || ps.q.IsZero() {
			continue
		}
		pm := &l.pmk[ps.mkt]
		var u *ledUnit
		for _, x := range units {
			if x.und == pm.underlying {
				u = x
			}
		}
		if u == nil {
			u = &ledUnit{und: pm.underlying, params: pm.params}
			units = append(units, u)
		}
		u.members = append(u.members, i)
		n16 := wbig(l.notional16(ps))
		e32.Add(e32, new(big.Int).Mul(wbig(l.upnl16(ps)), big1e16))
		if ps.sign < 0 {
			u.s.Add(&u.s, n16)
			u.d.Sub(&u.d, n16)
		} else {
			u.l.Add(&u.l, n16)
			u.d.Add(&u.d, n16)
		}
		u.dated.Add(&u.dated, new(big.Int).Mul(n16, big.NewInt(pm.expiry)))
	}
	for _, u := range units {
		pp := u.params
		// PM-4: MR1 = max(0, max_k(-r_k * D)), 1e-24 then 1e-32.
		for _, r := range pp.shocks {
			x := new(big.Int).Mul(&u.d, big.NewInt(-r))
			if x.Cmp(&u.mr1) > 0 {
				u.mr1.Set(x)
			}
		}
		u.mr1.Mul(&u.mr1, big1e8)
		// PM-5: MR6 = f * E * |D|.
		mr6 := new(big.Int).Abs(&u.d)
		mr6.Mul(mr6, big.NewInt(pp.extreme)).Mul(mr6, big.NewInt(pp.fraction))
		// PM-6: MR4 = b * sum T_i * N_i.
		mr4 := new(big.Int).Mul(&u.dated, big.NewInt(pp.basis))
		// PM-7: C = c * min(L, S).
		c := new(big.Int).Set(&u.l)
		if u.s.Cmp(c) < 0 {
			c.Set(&u.s)
		}
		c.Mul(c, big.NewInt(pp.contingency)).Mul(c, big1e8)
		// PM-8: R = m * (L + S) at 1e-24; MR7 = R * mult_t - cum_t.
		raw := new(big.Int).Add(&u.l, &u.s)
		raw.Mul(raw, big.NewInt(pp.rate))
		t := pmTierOf(pp.tiers, raw)
		mr7 := new(big.Int).Mul(raw, big.NewInt(pp.tiers[t].mult))
		mr7.Sub(mr7, new(big.Int).Mul(pp.tiers[t].cum16, big1e16))
		// PM-9: MM_u = max(max(MR1, MR6) + MR4 + C, MR7); IM_u = k * MM_u.
		a := new(big.Int).Set(&u.mr1)
		if mr6.Cmp(a) > 0 {
			a.Set(mr6)
		}
		a.Add(a, mr4).Add(a, c)
		u.mm.Set(a)
		if mr7.Cmp(a) > 0 {
			u.mm.Set(mr7)
		}
		mm32.Add(mm32, &u.mm)
		im40.Add(im40, new(big.Int).Mul(&u.mm, big.NewInt(pp.im)))
	}
	return e32, mm32, im40, units
}

// pmLiquidatable is PM-10's trigger: E < MM exactly (PM-17).
func (l *Ledger) pmLiquidatable(a *lacct) bool {
	e32, mm32, _, _ := l.pmPool(a)
	return e32.Cmp(mm32) < 0
}

// pmEquity16 is the portfolio pool's E at scale 1e-16 (PM-10), exact.
func (l *Ledger) pmEquity16(a *lacct) wide.Int {
	e16 := a.wallet.Mul(u8)
	for i := range a.pos {
		if ps := &a.pos[i]; ps.pm && !ps.q.IsZero() {
			e16 = e16.Add(l.upnl16(ps))
		}
	}
	return e16
}

// pmGeIM reports x >= IM of a's portfolio pool, x at scale 1e-16, and
// returns x and IM in units for a message.
func (l *Ledger) pmGeIM(a *lacct, x16 wide.Int) (ok bool, x, im *big.Rat) {
	_, _, im40, _ := l.pmPool(a)
	x40 := new(big.Int).Mul(wbig(x16), big1e24)
	d := new(big.Int).Mul(big1e16, big1e16)
	return x40.Cmp(im40) >= 0, units16(x16), new(big.Rat).SetFrac(im40, d)
}

// pmOrder is PM-17's close order: the units by descending MR1 (ties by
// ascending underlying), within a unit largest loss first (most negative
// U; ties by market). It returns market indices.
func (l *Ledger) pmOrder(a *lacct) []int {
	_, _, _, units := l.pmPool(a)
	slices.SortStableFunc(units, func(x, y *ledUnit) int {
		if c := y.mr1.Cmp(&x.mr1); c != 0 {
			return c
		}
		return strings.Compare(x.und, y.und)
	})
	var out []int
	for _, u := range units {
		its := make([]lossItem, 0, len(u.members))
		for _, i := range u.members {
			its = append(its, lossItem{a.pos[i].mkt, l.upnl16(&a.pos[i])})
		}
		slices.SortStableFunc(its, byLoss)
		for _, it := range its {
			out = append(out, it.mi)
		}
	}
	return out
}

// pmOpenCheck is PM-14's check of a trade side that opens a position from
// flat in market mi: no cross position beside a portfolio one, and equal
// parameters per underlying (PM-2). Error PM-2 at events[k].<field>.
func (l *Ledger) pmOpenCheck(a *lacct, mi int, field string) {
	switch a.mode(l, mi) {
	case spec.Cross:
		if a.hasPM() {
			l.fail(l.evPath(field), "PM-2", "account "+spec.Quote(a.id)+" holds a portfolio position: it cannot open a cross position in "+spec.Quote(l.markets[mi].name))
		}
	case spec.Portfolio:
		if a.hasCross() {
			l.fail(l.evPath(field), "PM-2", "account "+spec.Quote(a.id)+" holds a cross position: it cannot open a portfolio position in "+spec.Quote(l.markets[mi].name))
		}
		pm := &l.pmk[mi]
		for i := range a.pos {
			o := &l.pmk[a.pos[i].mkt]
			if a.pos[i].pm && o.underlying == pm.underlying && !o.params.equal(pm.params) {
				l.fail(l.evPath(field), "PM-2", "market "+spec.Quote(l.markets[mi].name)+"'s portfolioMargin differs from "+spec.Quote(l.markets[a.pos[i].mkt].name)+"'s on underlying "+spec.Quote(pm.underlying))
			}
		}
	}
}

// mode returns the account's margin mode for market mi (LED-2: absent is
// cross).
func (a *lacct) mode(l *Ledger, mi int) spec.MarginMode {
	if m := a.settings[mi].mode; m != "" {
		return m
	}
	return spec.Cross
}
