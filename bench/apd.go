package bench

import (
	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// apdTier is one leverage bracket in apd decimals.
type apdTier struct {
	Min, Max, MMR, MaxLev, Cum apd.Decimal
}

// apdMarket is a market's tier table in apd decimals.
type apdMarket struct {
	Tiers []apdTier
}

// apdPosition is a one-way cross position in apd decimals.
type apdPosition struct {
	Market      int
	Long        bool
	Size, Entry apd.Decimal
	Leverage    apd.Decimal
}

// apdAccount is a cross account in github.com/cockroachdb/apd/v3 decimals,
// with a pool-only health check: the part of the reference's work that the
// model's Cross does, written as a careful apd user would (value temporaries
// reused, additions and multiplications in a Precision-0 context, which is
// exact; the two divisions, IM = N / L and the margin ratio MM / E, at 34
// digits, then rounded on the 1e-8 grid with Ceil/Floor on a shifted
// exponent as SPEC NUM-4 directs). The reference itself has no pool-only
// entry point (reference.Evaluate computes a full report), so this kernel is
// the like-for-like apd health check; it is exact except for those two
// quotients beyond their 34th digit.
type apdAccount struct {
	Wallet    apd.Decimal
	Positions []apdPosition
}

// apdHealth is the state of the cross pool, rounded as SPEC reports it.
type apdHealth struct {
	Equity, InitialMargin, MaintenanceMargin, Available, MarginRatio apd.Decimal
	MarginRatioOK, Liquidatable                                      bool
}

var (
	apdExact = apd.BaseContext.WithPrecision(0)
	apdQuo   = apd.BaseContext.WithPrecision(34)
)

// toApd converts a shopspring decimal exactly.
func toApd(d decimal.Decimal) apd.Decimal {
	return *apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(d.Coefficient()), d.Exponent())
}

// newApdMarkets converts u's markets (mark basis), indexed like u.Names.
func newApdMarkets(u *universe) []apdMarket {
	out := make([]apdMarket, len(u.Names))
	for i, n := range u.Names {
		m := u.Markets[n]
		cum := cumOf(m.Tiers)
		out[i].Tiers = make([]apdTier, len(m.Tiers))
		for t, tr := range m.Tiers {
			out[i].Tiers[t] = apdTier{Min: toApd(tr.MinNotional), Max: toApd(tr.MaxNotional),
				MMR: toApd(tr.MaintenanceMarginRate), MaxLev: toApd(tr.MaxLeverage), Cum: toApd(cum[t])}
		}
	}
	return out
}

// newApdMarks returns u's marks indexed like u.Names.
func newApdMarks(u *universe) []apd.Decimal {
	out := make([]apd.Decimal, len(u.Names))
	for i, n := range u.Names {
		out[i] = toApd(u.Marks[n])
	}
	return out
}

// newApdAccount converts a cross account (entry prices given) with the
// market indices of u; isolated positions are not supported.
func newApdAccount(u *universe, acc spec.Account) apdAccount {
	aa := apdAccount{Wallet: toApd(acc.WalletBalance), Positions: make([]apdPosition, len(acc.Positions))}
	for i, p := range acc.Positions {
		lev := defaultLeverage(u.Markets[p.Market])
		if p.Leverage.Valid {
			lev = p.Leverage.Decimal
		}
		aa.Positions[i] = apdPosition{Market: u.Index[p.Market], Long: p.Side == spec.Long,
			Size: toApd(p.Size), Entry: toApd(p.EntryPrice), Leverage: toApd(lev)}
	}
	return aa
}

// apdRound8 sets d to x rounded on the 1e-8 grid, up or down: Ceil or Floor
// of x*1e8 (an exponent shift), then the shift undone.
func apdRound8(d, x *apd.Decimal, up bool) {
	d.Set(x)
	d.Exponent += 8
	if up {
		_, _ = apdExact.Ceil(d, d)
	} else {
		_, _ = apdExact.Floor(d, d)
	}
	d.Exponent -= 8
}

// Cross returns the health of the cross pool at marks (indexed like mk).
// apd conditions are not checked: with these inputs the exact context
// cannot fail and the quotient context only rounds.
func (a *apdAccount) Cross(mk []apdMarket, marks []apd.Decimal) apdHealth {
	var e, im, mm, n, t1 apd.Decimal
	e.Set(&a.Wallet)
	for i := range a.Positions {
		p := &a.Positions[i]
		mark := &marks[p.Market]
		_, _ = apdExact.Mul(&n, &p.Size, mark)
		_, _ = apdExact.Sub(&t1, mark, &p.Entry)
		_, _ = apdExact.Mul(&t1, &t1, &p.Size)
		if p.Long {
			_, _ = apdExact.Add(&e, &e, &t1)
		} else {
			_, _ = apdExact.Sub(&e, &e, &t1)
		}
		tiers := mk[p.Market].Tiers
		t := 0
		for t+1 < len(tiers) && n.Cmp(&tiers[t+1].Min) >= 0 {
			t++
		}
		tr := &tiers[t]
		_, _ = apdExact.Mul(&t1, &n, &tr.MMR)
		_, _ = apdExact.Sub(&t1, &t1, &tr.Cum)
		_, _ = apdExact.Add(&mm, &mm, &t1)
		lev := &p.Leverage
		if tr.MaxLev.Cmp(lev) < 0 {
			lev = &tr.MaxLev
		}
		_, _ = apdQuo.Quo(&t1, &n, lev)
		_, _ = apdExact.Add(&im, &im, &t1)
	}
	var h apdHealth
	h.Liquidatable = e.Cmp(&mm) < 0
	_, _ = apdExact.Sub(&t1, &e, &im)
	if t1.Sign() < 0 {
		t1.SetInt64(0)
	}
	apdRound8(&h.Available, &t1, false)
	if e.Sign() > 0 {
		_, _ = apdQuo.Quo(&t1, &mm, &e)
		apdRound8(&h.MarginRatio, &t1, true)
		h.MarginRatioOK = true
	}
	apdRound8(&h.Equity, &e, false)
	apdRound8(&h.InitialMargin, &im, true)
	apdRound8(&h.MaintenanceMargin, &mm, true)
	return h
}
