package properties

import (
	"maps"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds small helpers: decimals on the 1e-8 grid, sorted keys,
// LED-2 settings, and the generator configurations the properties derive.

// maxUnits is MAX of SPEC NUM-2 in units of 1e-8.
const maxUnits = int64(1<<63 - 1)

// maxDecimal is MAX as a decimal.
var maxDecimal = units(maxUnits)

// units returns the decimal v * 1e-8.
func units(v int64) decimal.Decimal { return decimal.New(v, -8) }

// dec returns the decimal v * 10^exp.
func dec(v int64, exp int32) decimal.Decimal { return decimal.New(v, exp) }

// nd wraps a decimal as a present optional decimal.
func nd(x decimal.Decimal) decimal.NullDecimal { return decimal.NullDecimal{Decimal: x, Valid: true} }

// floorGrid returns the largest multiple of k that is <= x (k > 0).
func floorGrid(x, k decimal.Decimal) decimal.Decimal {
	q := new(big.Rat).Quo(x.Rat(), k.Rat())
	f := new(big.Int).Div(q.Num(), q.Denom()) // Euclidean division: floor for a positive denominator
	return decimal.NewFromBigInt(f, 0).Mul(k)
}

// ceilGrid returns the smallest multiple of k that is >= x (k > 0).
func ceilGrid(x, k decimal.Decimal) decimal.Decimal {
	f := floorGrid(x, k)
	if f.LessThan(x) {
		return f.Add(k)
	}
	return f
}

// sortedNames returns the keys of m in ascending byte order (EVAL-2).
func sortedNames[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// markPrice draws a positive price on the 1e-8 grid between 1e-6 and 1e8.
func markPrice(t *rapid.T, label string) decimal.Decimal {
	return dec(rapid.Int64Range(1, 999_999).Draw(t, label+"Digits"), int32(rapid.SampledFrom([]int{-2, -4, -1, 0, 1, 2, -6, 3}).Draw(t, label+"Exp")))
}

// withPositions is c generating at least one position, all in mode when
// mode is set.
func withPositions(c gen.Config, mode spec.MarginMode) gen.Config {
	c.MinPositions, c.Mode = max(c.MinPositions, 1), mode
	return c
}

// scenarios generates scenarios with at least one position, all in mode
// when mode is set.
func (e *env) scenarios(mode spec.MarginMode) *rapid.Generator[*spec.Scenario] {
	return gen.Scenario(withPositions(e.gen, mode))
}

// settingOf is LED-2: the account's explicit settings for market, or cross
// at POS-4's default leverage min(20, the market's maximum).
func settingOf(a spec.Account, market string, m spec.Market) spec.AccountSettings {
	s, ok := a.Settings[market]
	if !ok {
		s = spec.AccountSettings{}
	}
	if s.MarginMode == "" {
		s.MarginMode = spec.Cross
	}
	if !s.Leverage.Valid {
		s.Leverage = nd(dec(min(20, m.Tiers[0].MaxLeverage.IntPart()), 0))
	}
	return s
}

// signedSize returns a's signed position size in market (0 when flat).
func signedSize(a spec.Account, market string) decimal.Decimal {
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

// stateMark is the market's mark in st (the generated states and events
// always give one).
func stateMark(st *spec.State, market string) decimal.Decimal {
	return st.Prices[market].Mark.Decimal
}
