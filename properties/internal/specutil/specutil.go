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
