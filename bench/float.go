package bench

import (
	"math"

	"github.com/perpcheck/perpcheck/spec"
)

// FloatTier is one leverage bracket in float64.
type FloatTier struct {
	Min, Max, MMR, MaxLev, Cum float64
}

// FloatMarket is a market's tick and tier table in float64.
type FloatMarket struct {
	Tick  float64
	Tiers []FloatTier
}

// FloatPosition is a one-way position in float64. Market indexes the
// []FloatMarket and marks slices the kernel is given.
type FloatPosition struct {
	Market int
	// Sign is +1 for a long, -1 for a short.
	Sign           float64
	Size, Entry    float64
	Leverage       float64
	Isolated       bool
	IsolatedMargin float64
}

// FloatAccount is an account in float64: the plain float64 kernel of the
// health check and the liquidation price, the speed floor of the benchmarks.
// It computes the same quantities as model.Portfolio (SPEC POOL-1..5,
// LIQ-1..6, mark basis) without rounding and without exactness.
type FloatAccount struct {
	Wallet    float64
	Positions []FloatPosition
}

// FloatHealth is the state of a margin pool in float64 (unrounded).
type FloatHealth struct {
	Equity, InitialMargin, MaintenanceMargin, Available, MarginRatio float64
	MarginRatioOK, Liquidatable                                      bool
}

// FloatPrice is a liquidation price in float64: Exact is the root, Price the
// root rounded to the tick (up for a long, down for a short).
type FloatPrice struct {
	Price, Exact float64
	OK           bool
}

// NewFloatMarket converts m (mark basis) to float64.
func NewFloatMarket(m spec.Market) FloatMarket {
	cum := cumOf(m.Tiers)
	fm := FloatMarket{Tick: m.TickSize.InexactFloat64(), Tiers: make([]FloatTier, len(m.Tiers))}
	for t, tr := range m.Tiers {
		fm.Tiers[t] = FloatTier{
			Min: tr.MinNotional.InexactFloat64(), Max: tr.MaxNotional.InexactFloat64(),
			MMR: tr.MaintenanceMarginRate.InexactFloat64(), MaxLev: tr.MaxLeverage.InexactFloat64(),
			Cum: cum[t].InexactFloat64(),
		}
	}
	return fm
}

// NewFloatMarkets converts u's markets, indexed like u.Names.
func NewFloatMarkets(u *Universe) []FloatMarket {
	out := make([]FloatMarket, len(u.Names))
	for i, n := range u.Names {
		out[i] = NewFloatMarket(u.Markets[n])
	}
	return out
}

// NewFloatMarks returns u's marks indexed like u.Names.
func NewFloatMarks(u *Universe) []float64 {
	out := make([]float64, len(u.Names))
	for i, n := range u.Names {
		out[i] = u.Marks[n].InexactFloat64()
	}
	return out
}

// NewFloatAccount converts acc (entry prices given, not entry values) with
// the market indices of u. A missing leverage or isolated margin gets SPEC's
// default (POS-4, POS-5).
func NewFloatAccount(u *Universe, mk []FloatMarket, acc spec.Account) FloatAccount {
	fa := FloatAccount{Wallet: acc.WalletBalance.InexactFloat64(), Positions: make([]FloatPosition, len(acc.Positions))}
	for i, p := range acc.Positions {
		lev := defaultLeverage(u.Markets[p.Market])
		if p.Leverage.Valid {
			lev = p.Leverage.Decimal
		}
		fp := FloatPosition{
			Market: u.Index[p.Market], Sign: float64(p.Side.Sign()),
			Size: p.Size.InexactFloat64(), Entry: p.EntryPrice.InexactFloat64(),
			Leverage: lev.InexactFloat64(), Isolated: p.MarginMode == spec.Isolated,
		}
		if fp.Isolated {
			qe := fp.Size * fp.Entry
			if p.IsolatedMargin.Valid {
				fp.IsolatedMargin = p.IsolatedMargin.Decimal.InexactFloat64()
			} else {
				t := floatTier(mk[fp.Market].Tiers, qe)
				fp.IsolatedMargin = qe / math.Min(fp.Leverage, t.MaxLev)
			}
		}
		fa.Positions[i] = fp
	}
	return fa
}

// floatTier is TIER-7: the tier containing notional n.
func floatTier(tiers []FloatTier, n float64) *FloatTier {
	t := 0
	for t+1 < len(tiers) && n >= tiers[t+1].Min {
		t++
	}
	return &tiers[t]
}

// Cross returns the health of the cross pool at marks (indexed like mk).
func (a *FloatAccount) Cross(mk []FloatMarket, marks []float64) FloatHealth {
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
		t := floatTier(mk[p.Market].Tiers, n)
		mm += n*t.MMR - t.Cum
		im += n / math.Min(p.Leverage, t.MaxLev)
	}
	return floatHealth(e, im, mm)
}

// Isolated returns the health of isolated position i's pool.
func (a *FloatAccount) Isolated(mk []FloatMarket, marks []float64, i int) FloatHealth {
	p := &a.Positions[i]
	mp := marks[p.Market]
	n := p.Size * mp
	t := floatTier(mk[p.Market].Tiers, n)
	e := p.IsolatedMargin + p.Sign*p.Size*(mp-p.Entry)
	return floatHealth(e, n/math.Min(p.Leverage, t.MaxLev), n*t.MMR-t.Cum)
}

func floatHealth(e, im, mm float64) FloatHealth {
	h := FloatHealth{Equity: e, InitialMargin: im, MaintenanceMargin: mm, Liquidatable: e < mm}
	h.Available = math.Max(0, e-im)
	if e > 0 {
		h.MarginRatio, h.MarginRatioOK = mm/e, true
	}
	return h
}

// LiquidationPrice solves SPEC LIQ-1..6 for position i tier by tier
// (Binance's one-way formula) in float64.
func (a *FloatAccount) LiquidationPrice(mk []FloatMarket, marks []float64, i int) FloatPrice {
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
			t := floatTier(mk[q.Market].Tiers, n)
			k += q.Sign*q.Size*(mp-q.Entry) - (n*t.MMR - t.Cum)
		}
	}
	qe := p.Size * p.Entry
	if (p.Sign > 0 && k-qe >= 0) || (p.Sign < 0 && k+qe <= 0) {
		return FloatPrice{} // LIQ-3: none
	}
	m := &mk[p.Market]
	last := len(m.Tiers) - 1
	for t := range m.Tiers {
		tr := &m.Tiers[t]
		root := (k - p.Sign*qe + tr.Cum) / (p.Size * (tr.MMR - p.Sign))
		n := p.Size * root
		if n >= tr.Min && (n < tr.Max || t == last) {
			if p.Sign > 0 {
				return FloatPrice{Exact: root, Price: math.Ceil(root/m.Tick) * m.Tick, OK: true}
			}
			price := math.Floor(root/m.Tick) * m.Tick
			return FloatPrice{Exact: root, Price: price, OK: price > 0}
		}
	}
	return FloatPrice{}
}
