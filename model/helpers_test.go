package model

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func nd(s string) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: decimal.RequireFromString(s), Valid: true}
}

func oneTier(mmr, maxLev string) []spec.Tier {
	return []spec.Tier{{MinNotional: d("0"), MaxNotional: d("1000000000"), MaintenanceMarginRate: d(mmr), MaxLeverage: d(maxLev)}}
}

func mkt(tick, lot string, basis spec.MMBasis, tiers []spec.Tier) spec.Market {
	return spec.Market{TickSize: d(tick), LotSize: d(lot), MMBasis: basis, Tiers: tiers}
}

// eqDec compares a decimal with its expected decimal text numerically.
func eqDec(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func eqNull(t *testing.T, what string, got decimal.NullDecimal, want string) {
	t.Helper()
	if want == "" {
		if got.Valid {
			t.Errorf("%s = %s, want null", what, got.Decimal)
		}
		return
	}
	if !got.Valid {
		t.Errorf("%s = null, want %s", what, want)
		return
	}
	eqDec(t, what, got.Decimal, want)
}

func mustEval(t *testing.T, s *spec.Scenario) *spec.Report {
	t.Helper()
	r, err := Evaluate(s)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return r
}
