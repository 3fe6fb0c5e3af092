package fuzz

import (
	"maps"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// TestDecodeVariants: the decoder's last bytes select the query variants
// (decodeVariants): after the bytes an all-zero input uses, a trigger byte
// 1 selects POOL-5:at-equality for every market and a market byte 7 selects
// TIER-7:upper-inclusive, TIER-8:flat and QTY-5:taker for the first market;
// without those bytes no market selects any. Both engines agree on the
// result (the differential targets' check).
func TestDecodeVariants(t *testing.T) {
	r := &reader{}
	plain := decodeScenario(r)
	for _, m := range plain.Markets {
		if m.Variants != nil {
			t.Fatalf("an all-zero input selects variants %+v", m.Variants)
		}
	}
	data := append(make([]byte, r.i), 1, 7)
	s := DecodeScenario(data)
	names := slices.Sorted(maps.Keys(s.Markets))
	first := s.Markets[names[0]].Variants
	want := spec.Variants{Trigger: spec.TriggerAtEquality, TierBound: spec.TierBoundUpper, TierSchedule: spec.TierScheduleFlat, CloseFee: spec.CloseFeeTaker}
	if first == nil || first.Trigger != want.Trigger || first.TierBound != want.TierBound || first.TierSchedule != want.TierSchedule || first.CloseFee != want.CloseFee {
		t.Fatalf("first market's variants %+v, want %+v", first, want)
	}
	for _, n := range names[1:] {
		if v := s.Markets[n].Variants; v == nil || v.Trigger != spec.TriggerAtEquality || v.TierBound != "" {
			t.Errorf("market %s: variants %+v, want the shared trigger only", n, v)
		}
	}
	agree(t, s)
	// A market byte 8 selects TIER-3:half-initial with integer leverages.
	s = DecodeScenario(append(make([]byte, r.i), 0, 8))
	if v := s.Markets[names[0]].Variants; v == nil || v.MaintenanceRate != spec.MaintenanceRateHalfInitial {
		t.Fatalf("first market's variants %+v, want maintenanceRate half-initial", v)
	}
	for _, tr := range s.Markets[names[0]].Tiers {
		if !tr.MaxLeverage.Equal(tr.MaxLeverage.Floor()) || tr.MaintenanceAmount.Valid {
			t.Errorf("tier %+v: want an integer maxLeverage and no maintenanceAmount", tr)
		}
	}
	agree(t, s)
	// A market byte 16 and a position byte 4 give every tier of the first
	// market an explicit initial margin rate of 1/maxLeverage_t floored to
	// 1e-8 (gen.WithExplicitIMR's position 4), which both engines accept.
	s = DecodeScenario(append(make([]byte, r.i), 0, 16, 4))
	for _, tr := range s.Markets[names[0]].Tiers {
		want := tr.MaxLeverage
		if tr.InitialMarginRate == nil || tr.InitialMarginRate.Mul(want).GreaterThan(decimal.NewFromInt(1)) ||
			tr.InitialMarginRate.Add(decimal.New(1, -8)).Mul(want).LessThanOrEqual(decimal.NewFromInt(1)) {
			t.Errorf("tier %+v: want initialMarginRate = floor(1/maxLeverage, 1e-8)", tr)
		}
	}
	if _, err := model.Evaluate(s); err != nil {
		t.Fatalf("explicit rates rejected: %v", err)
	}
	agree(t, s)
	// With half-initial (8 + 16) the rates are TIER-3's error on both.
	s = DecodeScenario(append(make([]byte, r.i), 0, 24, 0))
	_, err := model.Evaluate(s)
	if e, ok := err.(*spec.Error); !ok || e.Rule != "TIER-3" {
		t.Fatalf("half-initial with explicit rates: %v, want a TIER-3 error", err)
	}
	agree(t, s)
}

// agree requires the same report (or the same error) of both engines.
func agree(t *testing.T, s *spec.Scenario) {
	t.Helper()
	mr, merr := model.Evaluate(s)
	rr, rerr := reference.Evaluate(s)
	if (merr == nil) != (rerr == nil) {
		t.Fatalf("model %v, reference %v", merr, rerr)
	}
	if merr == nil {
		if d := spec.Diff(mr, rr); len(d) > 0 {
			t.Fatalf("model and reference differ: %v", d)
		}
	}
}
