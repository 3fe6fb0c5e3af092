package bench

import (
	"math"

	"github.com/perpcheck/perpcheck/spec"
)

// floatTier is one leverage bracket in float64.
type floatTier struct {
	Min, Max, MMR, MaxLev, Cum float64
}

// floatMarket is a market's tick and tier table in float64.
type floatMarket struct {
	Tick  float64
	Tiers []floatTier
}

// floatPosition is a one-way position in float64. Market indexes the
// []floatMarket and marks slices the kernel is given.
type floatPosition struct {
	Market int
	// Sign is +1 for a long, -1 for a short.
	Sign           float64
	Size, Entry    float64
	Leverage       float64
	Isolated       bool
	IsolatedMargin float64
}

// floatAccount is an account in float64: the plain float64 kernel of the
// health check and the liquidation price, the speed floor of the benchmarks.
// It computes the same quantities as model.Portfolio (SPEC POOL-1..5,
// LIQ-1..6, mark basis) without rounding and without exactness.
type floatAccount struct {
	Wallet    float64
	Positions []floatPosition
}

// floatHealth is the state of a margin pool in float64 (unrounded).
type floatHealth struct {
	Equity, InitialMargin, MaintenanceMargin, Available, MarginRatio float64
	MarginRatioOK, Liquidatable                                      bool
}

// floatPrice is a liquidation price in float64: Exact is the root, Price the
// root rounded to the tick (up for a long, down for a short).
type floatPrice struct {
	Price, Exact float64
	OK           bool
}

// newFloatMarket converts m (mark basis) to float64.
func newFloatMarket(m spec.Market) floatMarket {
	cum := cumOf(m.Tiers)
	fm := floatMarket{Tick: m.TickSize.InexactFloat64(), Tiers: make([]floatTier, len(m.Tiers))}
	for t, tr := range m.Tiers {
		fm.Tiers[t] = floatTier{
			Min: tr.MinNotional.InexactFloat64(), Max: tr.MaxNotional.InexactFloat64(),
			MMR: tr.MaintenanceMarginRate.InexactFloat64(), MaxLev: tr.MaxLeverage.InexactFloat64(),
			Cum: cum[t].InexactFloat64(),
		}
	}
	return fm
}

// newFloatMarkets converts u's markets, indexed like u.Names.
func newFloatMarkets(u *universe) []floatMarket {
	out := make([]floatMarket, len(u.Names))
	for i, n := range u.Names {
		out[i] = newFloatMarket(u.Markets[n])
	}
	return out
}

// newFloatMarks returns u's marks indexed like u.Names.
func newFloatMarks(u *universe) []float64 {
	out := make([]float64, len(u.Names))
	for i, n := range u.Names {
		out[i] = u.Marks[n].InexactFloat64()
	}
	return out
}

// newFloatAccount converts acc (entry prices given, not entry values) with
// the market indices of u. A missing leverage or isolated margin gets SPEC's
// default (POS-4, POS-5).
func newFloatAccount(u *universe, mk []floatMarket, acc spec.Account) floatAccount {
	fa := floatAccount{Wallet: acc.WalletBalance.InexactFloat64(), Positions: make([]floatPosition, len(acc.Positions))}
	for i, p := range acc.Positions {
		lev := defaultLeverage(u.Markets[p.Market])
		if p.Leverage.Valid {
			lev = p.Leverage.Decimal
		}
		fp := floatPosition{
			Market: u.Index[p.Market], Sign: float64(p.Side.Sign()),
			Size: p.Size.InexactFloat64(), Entry: p.EntryPrice.InexactFloat64(),
			Leverage: lev.InexactFloat64(), Isolated: p.MarginMode == spec.Isolated,
		}
		if fp.Isolated {
			qe := fp.Size * fp.Entry
			if p.IsolatedMargin.Valid {
				fp.IsolatedMargin = p.IsolatedMargin.Decimal.InexactFloat64()
			} else {
				t := floatTierOf(mk[fp.Market].Tiers, qe)
				fp.IsolatedMargin = qe / math.Min(fp.Leverage, t.MaxLev)
			}
		}
		fa.Positions[i] = fp
	}
	return fa
}

// floatTierOf is TIER-7: the tier containing notional n.
func floatTierOf(tiers []floatTier, n float64) *floatTier {
	t := 0
	for t+1 < len(tiers) && n >= tiers[t+1].Min {
		t++
	}
	return &tiers[t]
}

// Cross returns the health of the cross pool at marks (indexed like mk).
func (a *floatAccount) Cross(mk []floatMarket, marks []float64) floatHealth {
	e := a.Wallet
	var im, mm float64
	for i := range a.Positions {
		p := &a.Positions[i]
		if p.Isolated {
			continue
		}
		mp := marks[p.Market]
		n := p.Size * mp
		e += p.Sign * p.Size * (mp - p.Entry)
		t := floatTierOf(mk[p.Market].Tiers, n)
		mm += n*t.MMR - t.Cum
		im += n / math.Min(p.Leverage, t.MaxLev)
	}
	return newFloatHealth(e, im, mm)
}

// Isolated returns the health of isolated position i's pool.
func (a *floatAccount) Isolated(mk []floatMarket, marks []float64, i int) floatHealth {
	p := &a.Positions[i]
	mp := marks[p.Market]
	n := p.Size * mp
	t := floatTierOf(mk[p.Market].Tiers, n)
	e := p.IsolatedMargin + p.Sign*p.Size*(mp-p.Entry)
	return newFloatHealth(e, n/math.Min(p.Leverage, t.MaxLev), n*t.MMR-t.Cum)
}

func newFloatHealth(e, im, mm float64) floatHealth {
	h := floatHealth{Equity: e, InitialMargin: im, MaintenanceMargin: mm, Liquidatable: e < mm}
	h.Available = math.Max(0, e-im)
	if e > 0 {
		h.MarginRatio, h.MarginRatioOK = mm/e, true
	}
	return h
}

// LiquidationPrice solves SPEC LIQ-1..6 for position i tier by tier
// (Binance's one-way formula) in float64.
func (a *floatAccount) LiquidationPrice(mk []floatMarket, marks []float64, i int) floatPrice {
	p := &a.Positions[i]
	var k float64
	if p.Isolated {
		k = p.IsolatedMargin
	} else {
		k = a.Wallet
		for j := range a.Positions {
			q := &a.Positions[j]
			if j == i || q.Isolated {
				continue
			}
			mp := marks[q.Market]
			n := q.Size * mp
			t := floatTierOf(mk[q.Market].Tiers, n)
			k += q.Sign*q.Size*(mp-q.Entry) - (n*t.MMR - t.Cum)
		}
	}
	qe := p.Size * p.Entry
	if (p.Sign > 0 && k-qe >= 0) || (p.Sign < 0 && k+qe <= 0) {
		return floatPrice{} // LIQ-3: none
	}
	m := &mk[p.Market]
	last := len(m.Tiers) - 1
	for t := range m.Tiers {
		tr := &m.Tiers[t]
		root := (k - p.Sign*qe + tr.Cum) / (p.Size * (tr.MMR - p.Sign))
		n := p.Size * root
		if n >= tr.Min && (n < tr.Max || t == last) {
			if p.Sign > 0 {
				return floatPrice{Exact: root, Price: math.Ceil(root/m.Tick) * m.Tick, OK: true}
			}
			price := math.Floor(root/m.Tick) * m.Tick
			return floatPrice{Exact: root, Price: price, OK: price > 0}
		}
	}
	return floatPrice{}
}
