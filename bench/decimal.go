package bench

import (
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// decimalTier is one leverage bracket in shopspring decimals; Cum is
// Binance's maintenance amount.
type decimalTier struct {
	Min, Max, MMR, MaxLev, Cum decimal.Decimal
}

// decimalMarket is a market's tick and tier table in shopspring decimals.
type decimalMarket struct {
	Tick  decimal.Decimal
	Tiers []decimalTier
}

// decimalPosition is a one-way position in shopspring decimals.
type decimalPosition struct {
	Market         int
	Long           bool
	Size, Entry    decimal.Decimal
	Leverage       decimal.Decimal
	Isolated       bool
	IsolatedMargin decimal.Decimal
}

// decimalAccount is an account in shopspring decimals, with the health check
// and liquidation price written the way a Go trading engineer typically
// writes them with github.com/shopspring/decimal: exact Add/Sub/Mul, Div at
// decimal.DivisionPrecision (16) digits, and the reported values rounded to
// 8 decimals in SPEC's directions with RoundCeil/RoundFloor. Idiomatic, not
// deliberately slow, and not exact where a division is involved (IM, the
// margin ratio, the liquidation price).
type decimalAccount struct {
	Wallet    decimal.Decimal
	Positions []decimalPosition
}

// decimalHealth is the state of a margin pool, rounded as SPEC reports it:
// Equity and Available down, InitialMargin, MaintenanceMargin and
// MarginRatio up, on the 1e-8 grid.
type decimalHealth struct {
	Equity, InitialMargin, MaintenanceMargin, Available, MarginRatio decimal.Decimal
	MarginRatioOK, Liquidatable                                      bool
}

// decimalPrice is a liquidation price: Exact on the 1e-8 grid and Price on
// the tick grid, both rounded up for a long and down for a short.
type decimalPrice struct {
	Price, Exact decimal.Decimal
	OK           bool
}

var (
	decOne      = decimal.NewFromInt(1)
	decMinusOne = decimal.NewFromInt(-1)
)

// newDecimalMarket converts m (mark basis).
func newDecimalMarket(m spec.Market) decimalMarket {
	cum := cumOf(m.Tiers)
	dm := decimalMarket{Tick: m.TickSize, Tiers: make([]decimalTier, len(m.Tiers))}
	for t, tr := range m.Tiers {
		dm.Tiers[t] = decimalTier{Min: tr.MinNotional, Max: tr.MaxNotional,
			MMR: tr.MaintenanceMarginRate, MaxLev: tr.MaxLeverage, Cum: cum[t]}
	}
	return dm
}

// newDecimalMarkets converts u's markets, indexed like u.Names.
func newDecimalMarkets(u *universe) []decimalMarket {
	out := make([]decimalMarket, len(u.Names))
	for i, n := range u.Names {
		out[i] = newDecimalMarket(u.Markets[n])
	}
	return out
}

// newDecimalMarks returns u's marks indexed like u.Names.
func newDecimalMarks(u *universe) []decimal.Decimal {
	out := make([]decimal.Decimal, len(u.Names))
	for i, n := range u.Names {
		out[i] = u.Marks[n]
	}
	return out
}

// newDecimalAccount converts acc (entry prices given) with the market
// indices of u; missing leverage and isolated margin get SPEC's defaults.
func newDecimalAccount(u *universe, mk []decimalMarket, acc spec.Account) decimalAccount {
	da := decimalAccount{Wallet: acc.WalletBalance, Positions: make([]decimalPosition, len(acc.Positions))}
	for i, p := range acc.Positions {
		dp := decimalPosition{Market: u.Index[p.Market], Long: p.Side == spec.Long,
			Size: p.Size, Entry: p.EntryPrice, Leverage: defaultLeverage(u.Markets[p.Market]),
			Isolated: p.MarginMode == spec.Isolated}
		if p.Leverage.Valid {
			dp.Leverage = p.Leverage.Decimal
		}
		if dp.Isolated {
			if p.IsolatedMargin.Valid {
				dp.IsolatedMargin = p.IsolatedMargin.Decimal
			} else {
				qe := dp.Size.Mul(dp.Entry)
				t := decimalTierOf(mk[dp.Market].Tiers, qe)
				dp.IsolatedMargin = qe.Div(decimal.Min(dp.Leverage, t.MaxLev)).RoundCeil(8)
			}
		}
		da.Positions[i] = dp
	}
	return da
}

// decimalTierOf returns the tier containing notional n.
func decimalTierOf(tiers []decimalTier, n decimal.Decimal) *decimalTier {
	t := 0
	for t+1 < len(tiers) && n.GreaterThanOrEqual(tiers[t+1].Min) {
		t++
	}
	return &tiers[t]
}

// pnl is the unrealized PnL of p at mark.
func (p *decimalPosition) pnl(mark decimal.Decimal) decimal.Decimal {
	if p.Long {
		return mark.Sub(p.Entry).Mul(p.Size)
	}
	return p.Entry.Sub(mark).Mul(p.Size)
}

// Cross returns the health of the cross pool at marks (indexed like mk).
func (a *decimalAccount) Cross(mk []decimalMarket, marks []decimal.Decimal) decimalHealth {
	equity := a.Wallet
	im, mm := decimal.Zero, decimal.Zero
	for i := range a.Positions {
		p := &a.Positions[i]
		if p.Isolated {
			continue
		}
		mark := marks[p.Market]
		notional := p.Size.Mul(mark)
		equity = equity.Add(p.pnl(mark))
		t := decimalTierOf(mk[p.Market].Tiers, notional)
		mm = mm.Add(notional.Mul(t.MMR).Sub(t.Cum))
		im = im.Add(notional.Div(decimal.Min(p.Leverage, t.MaxLev)))
	}
	return newDecimalHealth(equity, im, mm)
}

// Isolated returns the health of isolated position i's pool.
func (a *decimalAccount) Isolated(mk []decimalMarket, marks []decimal.Decimal, i int) decimalHealth {
	p := &a.Positions[i]
	mark := marks[p.Market]
	notional := p.Size.Mul(mark)
	t := decimalTierOf(mk[p.Market].Tiers, notional)
	return newDecimalHealth(p.IsolatedMargin.Add(p.pnl(mark)),
		notional.Div(decimal.Min(p.Leverage, t.MaxLev)), notional.Mul(t.MMR).Sub(t.Cum))
}

func newDecimalHealth(equity, im, mm decimal.Decimal) decimalHealth {
	h := decimalHealth{Liquidatable: equity.LessThan(mm)}
	avail := equity.Sub(im)
	if avail.IsNegative() {
		avail = decimal.Zero
	}
	if equity.IsPositive() {
		h.MarginRatio, h.MarginRatioOK = mm.Div(equity).RoundCeil(8), true
	}
	h.Equity = equity.RoundFloor(8)
	h.InitialMargin = im.RoundCeil(8)
	h.MaintenanceMargin = mm.RoundCeil(8)
	h.Available = avail.RoundFloor(8)
	return h
}

// LiquidationPrice is Binance's one-way liquidation price of position i,
// solved tier by tier:
//
//	LP = (WB - TMM1 + UPNL1 + cumB - Side1*Position1*EP1) / (Position1*MMR_B - Side1*Position1)
//
// with WB the wallet (cross) or the isolated margin, TMM1 and UPNL1 the
// maintenance margin and unrealized PnL of the other cross positions, and
// the bracket B the one whose notional range contains Position1*LP. The
// root is rounded to 8 decimals and to the tick, up for a long and down for
// a short (SPEC LIQ-3..6).
func (a *decimalAccount) LiquidationPrice(mk []decimalMarket, marks []decimal.Decimal, i int) decimalPrice {
	p := &a.Positions[i]
	wb, tmm, upnl := a.Wallet, decimal.Zero, decimal.Zero
	if p.Isolated {
		wb = p.IsolatedMargin
	} else {
		for j := range a.Positions {
			q := &a.Positions[j]
			if j == i || q.Isolated {
				continue
			}
			mark := marks[q.Market]
			notional := q.Size.Mul(mark)
			t := decimalTierOf(mk[q.Market].Tiers, notional)
			tmm = tmm.Add(notional.Mul(t.MMR).Sub(t.Cum))
			upnl = upnl.Add(q.pnl(mark))
		}
	}
	k := wb.Sub(tmm).Add(upnl)
	side := decOne
	if !p.Long {
		side = decMinusOne
	}
	qe := side.Mul(p.Size).Mul(p.Entry)
	if (p.Long && k.Sub(qe).Sign() >= 0) || (!p.Long && k.Sub(qe).Sign() <= 0) {
		return decimalPrice{} // LIQ-3: no liquidation price
	}
	m := &mk[p.Market]
	last := len(m.Tiers) - 1
	for t := range m.Tiers {
		tr := &m.Tiers[t]
		lp := k.Add(tr.Cum).Sub(qe).Div(p.Size.Mul(tr.MMR).Sub(side.Mul(p.Size)))
		notional := p.Size.Mul(lp)
		if notional.LessThan(tr.Min) || (t < last && notional.GreaterThanOrEqual(tr.Max)) {
			continue
		}
		if p.Long {
			return decimalPrice{Exact: lp.RoundCeil(8), Price: lp.Div(m.Tick).Ceil().Mul(m.Tick), OK: true}
		}
		price := lp.Div(m.Tick).Floor().Mul(m.Tick)
		return decimalPrice{Exact: lp.RoundFloor(8), Price: price, OK: price.IsPositive()}
	}
	return decimalPrice{}
}
