// Package specutil holds the small computations on SPEC values that the
// conformance suite (package properties) and its generators (package
// properties/gen) share: grid rounding and what a ledger state says about
// an account (LED-2 settings, signed sizes, marks, the account's query
// scenario).
package specutil

import (
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// FloorGrid returns the largest multiple of k that is <= x (k > 0).
func FloorGrid(x, k decimal.Decimal) decimal.Decimal {
	q := new(big.Rat).Quo(x.Rat(), k.Rat())
	f := new(big.Int).Div(q.Num(), q.Denom()) // Euclidean division: floor for a positive denominator
	return decimal.NewFromBigInt(f, 0).Mul(k)
}

// CeilGrid returns the smallest multiple of k that is >= x (k > 0).
func CeilGrid(x, k decimal.Decimal) decimal.Decimal {
	f := FloorGrid(x, k)
	if f.LessThan(x) {
		return f.Add(k)
	}
	return f
}

// MaxLeverage is the market's maximum leverage (its first tier's).
func MaxLeverage(m spec.Market) int64 {
	return m.Tiers[0].MaxLeverage.IntPart()
}

// SettingOf is LED-2: the account's explicit settings for market, or cross
// at POS-4's default leverage min(20, the market's maximum).
func SettingOf(a spec.Account, market string, m spec.Market) spec.AccountSettings {
	s, ok := a.Settings[market]
	if !ok {
		s = spec.AccountSettings{}
	}
	if s.MarginMode == "" {
		s.MarginMode = spec.Cross
	}
	if !s.Leverage.Valid {
		s.Leverage = decimal.NewNullDecimal(decimal.New(min(20, MaxLeverage(m)), 0))
	}
	return s
}

// SignedSize returns a's signed position size in market (0 when flat).
func SignedSize(a spec.Account, market string) decimal.Decimal {
	for _, p := range a.Positions {
		if p.Market == market {
			if p.Side == spec.Short {
				return p.Size.Neg()
			}
			return p.Size
		}
	}
	return decimal.Zero
}

// Mark is the market's mark in st (the generated states and events always
// give one).
func Mark(st *spec.State, market string) decimal.Decimal {
	return st.Prices[market].Mark.Decimal
}

// AccountScenario is the scenario of one account of a ledger state, for a
// query (the engine's own, to judge the state; the oracle's, to choose an
// input). Positions carry their entry value only (POS-2).
func AccountScenario(st *spec.State, a spec.Account) *spec.Scenario {
	acc := spec.Account{WalletBalance: a.WalletBalance}
	for _, p := range a.Positions {
		q := p
		q.EntryValue = decimal.NewNullDecimal(p.CostBasis())
		q.EntryPrice = decimal.Zero
		acc.Positions = append(acc.Positions, q)
	}
	return &spec.Scenario{Markets: st.Markets, Prices: st.Prices, Account: acc}
}

// TierIndex is TIER-7: the 0-based tier of a notional n >= 0 (the last tier
// for n at or beyond its maxNotional).
func TierIndex(m spec.Market, n decimal.Decimal) int {
	for t := range m.Tiers {
		if n.LessThan(m.Tiers[t].MaxNotional) {
			return t
		}
	}
	return len(m.Tiers) - 1
}

// Cum is TIER-6's maintenance amount of tier t: given, or by the recursion.
func Cum(m spec.Market, t int) decimal.Decimal {
	if a := m.Tiers[t].MaintenanceAmount; a.Valid {
		return a.Decimal
	}
	c := decimal.Zero
	for i := 1; i <= t; i++ {
		c = c.Add(m.Tiers[i].MinNotional.Mul(m.Tiers[i].MaintenanceMarginRate.Sub(m.Tiers[i-1].MaintenanceMarginRate)))
	}
	return c
}

// MM is TIER-8, exact: N * MMR_t - cum_t with t = tier(N); under
// TIER-3:half-initial MMR_t = 1/(2 maxLeverage_t) and cum_t TIER-6's
// recursion on those rates (rationals, not on the 1e-8 grid).
func MM(m spec.Market, n decimal.Decimal) *big.Rat {
	t := TierIndex(m, n)
	if m.Variants == nil || m.Variants.MaintenanceRate != spec.MaintenanceRateHalfInitial {
		return n.Mul(m.Tiers[t].MaintenanceMarginRate).Sub(Cum(m, t)).Rat()
	}
	rate := func(i int) *big.Rat { return new(big.Rat).Inv(m.Tiers[i].MaxLeverage.Mul(decimal.NewFromInt(2)).Rat()) }
	cum := new(big.Rat)
	if m.Variants.TierSchedule != spec.TierScheduleFlat {
		for i := 1; i <= t; i++ {
			cum.Add(cum, new(big.Rat).Mul(m.Tiers[i].MinNotional.Rat(), new(big.Rat).Sub(rate(i), rate(i-1))))
		}
	}
	mm := new(big.Rat).Mul(n.Rat(), rate(t))
	return mm.Sub(mm, cum)
}

// UpUnits is up(x) on the 1e-8 grid (SPEC NUM-4).
func UpUnits(x *big.Rat) decimal.Decimal {
	y := new(big.Rat).Mul(x, big.NewRat(100_000_000, 1))
	q, r := new(big.Int).DivMod(y.Num(), y.Denom(), new(big.Int)) // floor: the denominator is positive
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return decimal.NewFromBigInt(q, -8)
}

// IMRate is QTY-4's initial margin rate of tier t at the chosen leverage
// lev: 1/min(lev, maxLeverage_t), or max(1/lev, IMR_t) when the table gives
// explicit initial margin rates (TIER-5), exact.
func IMRate(m spec.Market, t int, lev decimal.Decimal) *big.Rat {
	tr := m.Tiers[t]
	if tr.InitialMarginRate == nil {
		return new(big.Rat).Inv(decimal.Min(lev, tr.MaxLeverage).Rat())
	}
	r := new(big.Rat).Inv(lev.Rat())
	if x := tr.InitialMarginRate.Rat(); x.Cmp(r) > 0 {
		return x
	}
	return r
}

// PoolValues are a pool's exact equity, initial and maintenance margin
// (POOL-1, POOL-2) and, for a cross pool, the sum of min(U, 0) of its
// positions (LED-9); U is each position's exact unrealized PnL.
type PoolValues struct {
	E, Losses decimal.Decimal
	MM, IM    *big.Rat
	U         map[string]decimal.Decimal // by market
	Positions int
}

// Pool computes the exact values of a's cross pool (market "") or of its
// isolated pool in market, at the marks of st (QTY-1..5, POOL-1, POOL-2);
// for an account with a portfolio position, market "" is its portfolio
// pool (PM-10, PM-16: E over its portfolio positions, MM and IM of PM-9).
// Position leverage is the position's, else the account's setting (LED-2).
func Pool(st *spec.State, a spec.Account, market string) PoolValues {
	v := PoolValues{MM: new(big.Rat), IM: new(big.Rat), U: map[string]decimal.Decimal{}}
	if market == "" {
		v.E = a.WalletBalance
	}
	for _, p := range a.Positions {
		iso := p.MarginMode == spec.Isolated
		if (market == "" && iso) || (market != "" && p.Market != market) {
			continue
		}
		m := st.Markets[p.Market]
		mark := Mark(st, p.Market)
		n := p.Size.Mul(mark)
		u := n.Sub(p.CostBasis())
		if p.Side == spec.Short {
			u = u.Neg()
		}
		if market != "" {
			v.E = p.IsolatedMargin.Decimal
		}
		v.E = v.E.Add(u)
		v.U[p.Market] = u
		v.Losses = v.Losses.Add(decimal.Min(u, decimal.Zero))
		nb := n
		if m.MMBasis == spec.BasisEntry {
			nb = p.CostBasis()
		}
		v.MM.Add(v.MM, MM(m, nb))
		lev := p.Leverage
		if !lev.Valid {
			lev = SettingOf(a, p.Market, m).Leverage
		}
		v.IM.Add(v.IM, new(big.Rat).Mul(n.Rat(), IMRate(m, TierIndex(m, n), lev.Decimal)))
		v.Positions++
	}
	if market == "" && HasPortfolio(a) {
		// PM-16: the wallet's pool is the portfolio pool (PM-10).
		var mm decimal.Decimal
		mm, v.IM, _ = PortfolioMargins(st, a)
		v.MM = mm.Rat()
	}
	return v
}
