package properties

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// diff returns "" when a and b (contract values of the same type) are
// equal by spec.Diff (decimals by value, SPEC NUM-6), else their differences
// as JSON paths with both values.
func diff(a, b any) string { return strings.Join(spec.Diff(a, b), "; ") }

// nullStr is an optional decimal for messages.
func nullStr(d decimal.NullDecimal) string {
	if !d.Valid {
		return "null"
	}
	return d.Decimal.String()
}

// asError returns err as a *model.Error, or nil.
func asError(err error) *spec.Error {
	var me *spec.Error
	if errors.As(err, &me) {
		return me
	}
	return nil
}

// isReportPath says whether an error path is a reported value (EVAL-2 steps 4
// and 5, or a computed mark), where NUM-2 applies to the output.
func isReportPath(me *spec.Error) bool {
	return me.Rule == "NUM-2" && (strings.HasPrefix(me.Path, "positions[") || strings.HasPrefix(me.Path, "pools[") ||
		(strings.HasPrefix(me.Path, "prices.") && strings.HasSuffix(me.Path, ".mark")))
}

// validInput says whether s passes EVAL-2 steps 1-3, by the reference (the
// properties built on the exact oracle need a valid input).
func validInput(s *spec.Scenario) bool {
	_, err := reference.Evaluate(s)
	if err == nil {
		return true
	}
	me := asError(err)
	return me != nil && isReportPath(me)
}

// eqRat says whether d equals r exactly.
func eqRat(d decimal.Decimal, r *big.Rat) bool { return d.Rat().Cmp(r) == 0 }

// nullEqRat says whether n equals r (r nil: null).
func nullEqRat(n decimal.NullDecimal, r *big.Rat) bool {
	if r == nil {
		return !n.Valid
	}
	return n.Valid && eqRat(n.Decimal, r)
}

// poolIndex returns the index in rep.Pools of position i's pool.
func poolIndex(rep *spec.Report, i int) int {
	for k, p := range rep.Pools {
		if p.Position == i {
			return k
		}
	}
	return 0
}

// withMark returns a copy of s in which market's mark is given as mark.
func withMark(s *spec.Scenario, market string, mark decimal.Decimal) *spec.Scenario {
	c := s.Clone()
	c.Prices[market] = spec.Price{Mark: nd(mark)}
	return c
}

// specRuleIDs are the rule ids a *model.Error may name (SPEC.md; kept in
// sync by TestRulesMD).
var specRuleIDs = func() map[string]bool {
	m := map[string]bool{}
	for _, g := range []struct {
		prefix string
		n      int
	}{
		{"NUM", 6}, {"MKT", 6}, {"VAR", 2}, {"TIER", 8}, {"PRICE", 2}, {"MARK", 5}, {"ACC", 2}, {"POS", 6},
		{"QTY", 5}, {"POOL", 6}, {"LIQ", 8}, {"BKR", 3}, {"PROF", 3}, {"CCXT", 2}, {"EVAL", 6}, {"RPT", 3},
		{"LED", 9}, {"TRD", 6}, {"FND", 5}, {"LQ", 9}, {"ADL", 3}, {"PM", 18},
	} {
		for i := 1; i <= g.n; i++ {
			m[fmt.Sprintf("%s-%d", g.prefix, i)] = true
		}
	}
	return m
}()

// rank orders liquidation (or bankruptcy) outcomes along the price axis for
// the monotonicity properties: a missing price that means "liquidatable at
// every price" sorts below every price, one that means "at no price" (or
// above MAX) above, for a long; the reverse for a short.
func rank(side spec.Side, price decimal.NullDecimal, reason string) (inf int, v decimal.Decimal) {
	if price.Valid {
		return 0, price.Decimal
	}
	switch reason {
	case spec.ReasonNeverLiquidatable, spec.ReasonNeverBankrupt:
		if side == spec.Long {
			return -1, decimal.Zero // a long liquidated at no price: its root is at or below 0
		}
		return 1, decimal.Zero
	case spec.ReasonAlwaysLiquidatable, spec.ReasonAlwaysBankrupt:
		if side == spec.Long {
			return 1, decimal.Zero
		}
		return -1, decimal.Zero
	}
	return 1, decimal.Zero // out-of-range: above MAX
}

// cmpRank compares two ranks: -1, 0, +1.
func cmpRank(ai int, av decimal.Decimal, bi int, bv decimal.Decimal) int {
	if ai != bi {
		if ai < bi {
			return -1
		}
		return 1
	}
	if ai != 0 {
		return 0
	}
	return av.Cmp(bv)
}

// keysOf returns the sorted keys of a map, for messages.
func keysOf[V any](m map[string]V) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}
