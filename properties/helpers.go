package properties

import (
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds small helpers: decimals on the 1e-8 grid and the
// generator configurations the properties derive (the computations shared
// with the generators are in internal/specutil).

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
