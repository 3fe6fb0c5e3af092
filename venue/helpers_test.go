package venue

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// d parses a decimal in tests.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// checkTable is an independent check (it does not call validateTable) that a
// tier table satisfies SPEC TIER-1..6, that every MaintenanceAmount is given
// and equals the recursion, and that MM is continuous at every boundary b:
// MMR_{t-1}*b - cum_{t-1} == MMR_t*b - cum_t, all in exact decimals.
func checkTable(t *testing.T, name string, ts []spec.Tier) {
	t.Helper()
	one := decimal.NewFromInt(1)
	if len(ts) == 0 {
		t.Fatalf("%s: TIER-1: empty table", name)
	}
	if !ts[0].MinNotional.IsZero() {
		t.Fatalf("%s: TIER-1: first minNotional %s", name, ts[0].MinNotional)
	}
	cum := decimal.Zero
	for i, x := range ts {
		if x.MinNotional.Cmp(x.MaxNotional) >= 0 {
			t.Fatalf("%s[%d]: TIER-2: min %s >= max %s", name, i, x.MinNotional, x.MaxNotional)
		}
		if x.MaintenanceMarginRate.Sign() < 0 || x.MaintenanceMarginRate.Cmp(one) >= 0 {
			t.Fatalf("%s[%d]: TIER-3: MMR %s", name, i, x.MaintenanceMarginRate)
		}
		if x.MaxLeverage.Cmp(one) < 0 {
			t.Fatalf("%s[%d]: TIER-4: leverage %s", name, i, x.MaxLeverage)
		}
		if x.MaintenanceMarginRate.Mul(x.MaxLeverage).Cmp(one) > 0 {
			t.Fatalf("%s[%d]: TIER-5: %s * %s > 1", name, i, x.MaintenanceMarginRate, x.MaxLeverage)
		}
		if i > 0 {
			p := ts[i-1]
			if !x.MinNotional.Equal(p.MaxNotional) {
				t.Fatalf("%s[%d]: TIER-2: min %s != previous max %s", name, i, x.MinNotional, p.MaxNotional)
			}
			if x.MaintenanceMarginRate.Cmp(p.MaintenanceMarginRate) < 0 {
				t.Fatalf("%s[%d]: TIER-3: MMR decreases", name, i)
			}
			if x.MaxLeverage.Cmp(p.MaxLeverage) > 0 {
				t.Fatalf("%s[%d]: TIER-4: leverage increases", name, i)
			}
			cum = cum.Add(x.MinNotional.Mul(x.MaintenanceMarginRate.Sub(p.MaintenanceMarginRate)))
			b := x.MinNotional
			left := p.MaintenanceMarginRate.Mul(b).Sub(p.MaintenanceAmount.Decimal)
			right := x.MaintenanceMarginRate.Mul(b).Sub(x.MaintenanceAmount.Decimal)
			if !left.Equal(right) {
				t.Fatalf("%s[%d]: MM not continuous at %s: %s vs %s", name, i, b, left, right)
			}
		}
		if !x.MaintenanceAmount.Valid || !x.MaintenanceAmount.Decimal.Equal(cum) {
			t.Fatalf("%s[%d]: TIER-6: maintenanceAmount %v, recursion %s", name, i, x.MaintenanceAmount, cum)
		}
		for _, v := range []decimal.Decimal{x.MinNotional, x.MaxNotional, x.MaintenanceMarginRate, x.MaxLeverage, x.MaintenanceAmount.Decimal} {
			if !v.Truncate(8).Equal(v) || v.Abs().Cmp(maxDecimal) > 0 {
				t.Fatalf("%s[%d]: NUM-1/NUM-2: %s", name, i, v)
			}
		}
	}
}

// wantErr asserts err is a *spec.Error with the given path and rule.
func wantErr(t *testing.T, err error, path, rule string) *spec.Error {
	t.Helper()
	var me *spec.Error
	if !errors.As(err, &me) {
		t.Fatalf("want *spec.Error %s %s, got %v", path, rule, err)
	}
	if me.Path != path || me.Rule != rule {
		t.Fatalf("want %s %s, got %s %s (%s)", path, rule, me.Path, me.Rule, me.Msg)
	}
	return me
}
