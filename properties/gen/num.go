package gen

import (
	"math/big"

	"github.com/shopspring/decimal"
)

// The generators' own exact rational helpers (package properties has its
// exact oracle's; the shared computations are in internal/specutil).

func rat(d decimal.Decimal) *big.Rat { return d.Rat() }
func ratAdd(a, b *big.Rat) *big.Rat  { return new(big.Rat).Add(a, b) }
func ratSub(a, b *big.Rat) *big.Rat  { return new(big.Rat).Sub(a, b) }
func ratMul(a, b *big.Rat) *big.Rat  { return new(big.Rat).Mul(a, b) }

// down rounds x down to the 1e-8 grid.
func down(x *big.Rat) *big.Rat {
	unit := big.NewRat(1, 100_000_000)
	q := new(big.Rat).Quo(x, unit)
	f := new(big.Int).Div(q.Num(), q.Denom()) // Euclidean division: floor for a positive denominator
	return new(big.Rat).Mul(new(big.Rat).SetInt(f), unit)
}
