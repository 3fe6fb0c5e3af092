package gen

import (
	"maps"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// The generators' own small helpers (package properties has its exact
// oracle's; the generators only need these).

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

// sortedNames returns the keys of m in ascending byte order (EVAL-2).
func sortedNames[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// scenarioOfAccount is the query scenario of one account of a ledger state
// (positions with their cost basis as entryValue).
func scenarioOfAccount(st *spec.State, a spec.Account) *spec.Scenario {
	acc := spec.Account{WalletBalance: a.WalletBalance}
	for _, p := range a.Positions {
		q := p
		q.EntryValue = nd(p.CostBasis())
		q.EntryPrice = decimal.Zero
		acc.Positions = append(acc.Positions, q)
	}
	return &spec.Scenario{Markets: st.Markets, Prices: st.Prices, Account: acc}
}
