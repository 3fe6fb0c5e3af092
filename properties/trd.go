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

// This file holds the checks of SPEC TRD on an accepted trade (fills,
// fees, cost basis, realized PnL, isolated margin, the TRD-5 margin check by
// the engine's own query) and the TRD-2/split-vs-whole property.

// checkTrade is TRD-2 and TRD-4 (and TRD-6) from the states alone: two
// fills, the fees, and each side's new position and realized PnL.
func checkTrade(before *spec.State, ev spec.Event, effects []spec.Effect, after *spec.State) string {
	size, price := ev.Size.Decimal, ev.Price.Decimal
	var fills []spec.Effect
	for _, f := range effects {
		if f.Type == spec.EffectFill {
			fills = append(fills, f)
		}
	}
	if len(fills) != 2 || fills[0].Account != ev.Buyer || fills[0].Side != spec.Long || fills[1].Account != ev.Seller || fills[1].Side != spec.Short ||
		fills[0].Kind != "trade" || !fills[0].Size.Decimal.Equal(size) || !fills[0].Price.Decimal.Equal(price) {
		return fmt.Sprintf("LED-6: a trade must have two fills of kind trade, the buyer's first, at its size and price; got %s", effectsJSON(fills))
	}
	if msg := checkIsolatedNotNegative(ev, after); msg != "" {
		return msg
	}
	m := before.Markets[ev.Market]
	accts, afterAccts := stateAccounts(before), stateAccounts(after)
	for _, side := range []struct {
		id    string
		d     decimal.Decimal
		maker bool
	}{
		{ev.Buyer, size, ev.Maker == "buyer"},
		{ev.Seller, size.Neg(), ev.Maker != "buyer"},
	} {
		// TRD-4.
		rate := rateOf(m.TakerFeeRate)
		if side.maker {
			rate = rateOf(m.MakerFeeRate)
		}
		wantFee := upUnits(size.Mul(price).Mul(rate))
		if side.id == spec.InsuranceAccount {
			wantFee = decimal.Zero
		}
		fee, isoFee := decimal.Zero, decimal.Zero
		isoAcct := "isolated:" + side.id + ":" + ev.Market
		for _, f := range effects {
			if f.Type == spec.EffectPosting && f.Reason == "fee" && (f.From == "wallet:"+side.id || f.From == isoAcct) {
				if f.To != "fees" {
					return fmt.Sprintf("TRD-4: %s's fee goes to %s, want fees", side.id, f.To)
				}
				fee = fee.Add(f.Amount.Decimal)
				if f.From == isoAcct {
					isoFee = isoFee.Add(f.Amount.Decimal)
				}
			}
		}
		if !fee.Equal(wantFee) {
			return fmt.Sprintf("TRD-4: %s pays a fee of %s, want up(%s * %s * %s) = %s", side.id, fee, size, price, rate, wantFee)
		}
		if msg := checkFeePayer(m, side.id, ev.Market, afterAccts[side.id], wantFee, isoFee); msg != "" {
			return msg
		}
		// TRD-2.
		var old ledgerPos
		mode := spec.Cross
		oldMargin := decimal.Zero
		for _, p := range accts[side.id].Positions {
			if p.Market == ev.Market {
				old.x, old.v = p.Size, p.CostBasis()
				if p.Side == spec.Short {
					old.x = old.x.Neg()
				}
				if p.MarginMode == spec.Isolated {
					mode = spec.Isolated
					oldMargin = p.IsolatedMargin.Decimal
				}
			}
		}
		set := specutil.SettingOf(accts[side.id], ev.Market, m)
		if old.x.IsZero() && side.id != spec.InsuranceAccount {
			mode = set.MarginMode // a new position takes the account's setting (LED-2)
		}
		wantX, wantR := old.x.Add(side.d), decimal.Zero
		var wantV decimal.Decimal
		switch {
		case old.x.IsZero() || old.x.Sign() == side.d.Sign():
			wantV = old.v.Add(size.Mul(price))
		default:
			q := decimal.Min(size, old.x.Abs())
			vr := old.v
			if q.LessThan(old.x.Abs()) {
				// Vr = V * q / |x|, up for a long, down for a short.
				vr = roundQuo(old.v.Mul(q), old.x.Abs(), old.x.Sign() > 0)
			}
			wantR = q.Mul(price).Sub(vr)
			if old.x.Sign() < 0 {
				wantR = wantR.Neg()
			}
			wantV = old.v.Sub(vr)
			if size.GreaterThan(old.x.Abs()) { // flip: open the rest at the price
				wantV = size.Sub(old.x.Abs()).Mul(price)
			}
		}
		var got spec.Position
		found := false
		for _, p := range afterAccts[side.id].Positions {
			if p.Market == ev.Market {
				got, found = p, true
			}
		}
		if wantX.IsZero() {
			if found {
				return fmt.Sprintf("TRD-2: %s's position in %s is closed by the trade but still listed", side.id, ev.Market)
			}
		} else {
			gx := got.Size
			if got.Side == spec.Short {
				gx = gx.Neg()
			}
			if !found || !gx.Equal(wantX) || !got.CostBasis().Equal(wantV) {
				return fmt.Sprintf("TRD-2: %s's position in %s is %s with V %s after the trade, want %s with V %s (before: %s with V %s; trade %s at %s)",
					side.id, ev.Market, gx, got.CostBasis(), wantX, wantV, old.x, old.v, side.d, price)
			}
		}
		r := decimal.Zero
		pool := poolName(side.id, ev.Market, mode)
		for _, f := range effects {
			if f.Type != spec.EffectPosting || f.Reason != "realized-pnl" {
				continue
			}
			switch {
			case f.From == "settlement" && f.To == pool:
				r = r.Add(f.Amount.Decimal)
			case f.To == "settlement" && f.From == pool:
				r = r.Sub(f.Amount.Decimal)
			}
		}
		if !r.Equal(wantR) {
			return fmt.Sprintf("TRD-2: %s realizes %s in %s, want s * (q * price - Vr) = %s (before: %s with V %s; trade %s at %s)",
				side.id, r, ev.Market, wantR, old.x, old.v, side.d, price)
		}
		if mode == spec.Isolated {
			if msg := checkIsolatedMargin(effects, side.id, ev.Market, m, set.Leverage.Decimal, old.x, side.d, price, oldMargin, wantR); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// checkIsolatedNotNegative is TRD-3's rejection, judged after an accepted
// trade: "a trade that would leave an isolated margin negative is
// rejected", so neither side's isolated position in the market has a
// negative margin after it, also when funding had drained it below 0 before
// (FND-5) and the trade increased it by less than the deficit. (A drained
// margin the trade does not touch is in another market, or cross.)
func checkIsolatedNotNegative(ev spec.Event, after *spec.State) string {
	accts := stateAccounts(after)
	for _, id := range []string{ev.Buyer, ev.Seller} {
		for _, p := range accts[id].Positions {
			if p.Market == ev.Market && p.MarginMode == spec.Isolated && p.IsolatedMargin.Decimal.Sign() < 0 {
				return fmt.Sprintf("TRD-3: the trade was accepted but leaves %s's isolated margin in %s at %s (a trade that would leave an isolated margin negative is rejected)", id, ev.Market, p.IsolatedMargin.Decimal)
			}
		}
	}
	return ""
}

// checkIsolatedMargin is TRD-3 for one isolated side of a trade: the net
// margin moved between its wallet and its isolated margin. An open or
// increase of q moves T = up(q * price / L) in, L = min(leverage, the
// maximum leverage of the tier of the new notional at the price); a reduce of
// q of |x| moves down(M' * q / |x|) back, M' the margin after the realized
// PnL R; a close moves M' back; a flip closes, then opens the rest.
func checkIsolatedMargin(effects []spec.Effect, id, market string, m spec.Market, lev, x, d, price, margin, r decimal.Decimal) string {
	iso, wal := poolName(id, market, spec.Isolated), "wallet:"+id
	net := decimal.Zero // into the isolated margin
	for _, f := range effects {
		if f.Type != spec.EffectPosting || f.Reason != "margin" {
			continue
		}
		switch {
		case f.From == wal && f.To == iso:
			net = net.Add(f.Amount.Decimal)
		case f.From == iso && f.To == wal:
			net = net.Sub(f.Amount.Decimal)
		}
	}
	open := func(q decimal.Decimal, newSize decimal.Decimal) decimal.Decimal {
		tr := tierOf(m.Tiers, newSize.Mul(price))
		if tr.InitialMarginRate != nil && tr.InitialMarginRate.Mul(lev).GreaterThan(decimal.NewFromInt(1)) {
			// TRD-3 under explicit rates (TIER-5): up(q*price*IMR_t) when IMR_t > 1/L.
			return roundQuo(q.Mul(price).Mul(*tr.InitialMarginRate), decimal.NewFromInt(1), true)
		}
		l := decimal.Min(lev, tr.MaxLeverage)
		if tr.InitialMarginRate != nil {
			l = lev // max(1/L, IMR_t) = 1/L
		}
		return roundQuo(q.Mul(price), l, true)
	}
	var want decimal.Decimal
	switch {
	case x.IsZero() || x.Sign() == d.Sign():
		want = open(d.Abs(), x.Add(d).Abs())
	case d.Abs().LessThan(x.Abs()):
		want = roundQuo(margin.Add(r).Mul(d.Abs()), x.Abs(), false).Neg()
	default:
		want = margin.Add(r).Neg()
		if rest := d.Abs().Sub(x.Abs()); rest.Sign() > 0 {
			want = want.Add(open(rest, rest))
		}
	}
	if !net.Equal(want) {
		return fmt.Sprintf("TRD-3: %s's isolated margin in %s receives %s net, want %s (before: %s with margin %s, leverage %s; trade %s at %s, realized %s)",
			id, market, net, want, x, margin, lev, d, price, r)
	}
	return ""
}

// tierOf is TIER-7: the tier with minNotional <= n < maxNotional; beyond the
// last tier, the last.
func tierOf(ts []spec.Tier, n decimal.Decimal) spec.Tier {
	for _, t := range ts {
		if n.GreaterThanOrEqual(t.MinNotional) && n.LessThan(t.MaxNotional) {
			return t
		}
	}
	return ts[len(ts)-1]
}

// checkTradeMargin is what TRD-5 implies for an accepted trade, judged by
// the engine's own query on the state after it: each trader side whose risk
// increased (an open, an increase or a flip) has, in the pool of the new
// position, equity >= initial margin (on the reported values, which are
// rounded down and up: reported E >= reported IM - 1e-8), for an isolated
// position also in the cross pool with a wallet >= 0; and the new notional
// at the trade price is at most the last tier's maxNotional.
func (e *env) checkTradeMargin(before *spec.State, ev spec.Event, after *spec.State) string {
	m := before.Markets[ev.Market]
	for _, side := range []struct {
		id string
		d  decimal.Decimal
	}{{ev.Buyer, ev.Size.Decimal}, {ev.Seller, ev.Size.Decimal.Neg()}} {
		a, ok := after.Accounts[side.id]
		if !ok {
			continue // the insurance fund is never checked (LED-2)
		}
		x := specutil.SignedSize(before.Accounts[side.id], ev.Market)
		if !x.IsZero() && x.Sign() != side.d.Sign() && side.d.Abs().LessThanOrEqual(x.Abs()) {
			continue // a reduce or close is never rejected by TRD-5
		}
		newSize := x.Add(side.d).Abs()
		if last := m.Tiers[len(m.Tiers)-1].MaxNotional; newSize.Mul(ev.Price.Decimal).GreaterThan(last) {
			return fmt.Sprintf("TRD-5: %s's new notional %s in %s exceeds the last tier's maxNotional %s", side.id, newSize.Mul(ev.Price.Decimal), ev.Market, last)
		}
		rep, ok := e.queryAccount(after, a)
		if !ok {
			continue
		}
		for i, p := range a.Positions {
			if p.Market != ev.Market {
				continue
			}
			pools := []spec.PoolReport{rep.Pools[0]}
			if p.MarginMode == spec.Isolated {
				for _, pl := range rep.Pools {
					if pl.Position == i {
						pools = append(pools, pl)
					}
				}
				if a.WalletBalance.Sign() < 0 {
					return fmt.Sprintf("TRD-5: %s's isolated open in %s left its wallet at %s", side.id, ev.Market, a.WalletBalance)
				}
			}
			for _, pl := range pools {
				if pl.Equity.LessThan(pl.InitialMargin.Sub(units(1))) {
					return fmt.Sprintf("TRD-5: after %s's risk-increasing trade in %s, its %s pool has equity %s below the initial margin %s",
						side.id, ev.Market, pl.Pool, pl.Equity, pl.InitialMargin)
				}
			}
		}
	}
	return ""
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
		for _, name := range slices.Sorted(maps.Keys(a.bal)) {
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

// variantOf is the variant market m selects for the choice key (SPEC VAR:
// absent selects the default).
func variantOf(m spec.Market, key string) string {
	var v spec.Variants
	if m.Variants != nil {
		v = *m.Variants
	}
	return v.Get(key)
}

// checkFeePayer is TRD-4's choice of payer for one trader side whose fee is
// F (SPEC VAR): TRD-4:wallet pays it all from the cross wallet;
// TRD-4:position pays min(F, max(0, M)) from the isolated margin of a
// position that remains isolated after the fill (M the margin before the
// fee, the margin after it plus what it paid) and the rest from the wallet.
func checkFeePayer(m spec.Market, id, market string, after spec.Account, fee, isoFee decimal.Decimal) string {
	payer := variantOf(m, "isolatedFeePayer")
	var pos *spec.Position
	for i := range after.Positions {
		if p := &after.Positions[i]; p.Market == market && p.MarginMode == spec.Isolated {
			pos = p
		}
	}
	want := decimal.Zero
	if payer == spec.FeePayerPosition && pos != nil {
		m0 := pos.IsolatedMargin.Decimal.Add(isoFee)
		want = decimal.Min(fee, decimal.Max(decimal.Zero, m0))
	}
	if !isoFee.Equal(want) {
		return fmt.Sprintf("TRD-4:%s: %s pays %s of its fee %s in %s from its isolated margin, want %s", payer, id, isoFee, fee, market, want)
	}
	return ""
}
