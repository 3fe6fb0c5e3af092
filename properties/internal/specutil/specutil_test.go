package specutil

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

func TestGrid(t *testing.T) {
	d := decimal.RequireFromString
	for _, c := range []struct{ x, k, floor, ceil string }{
		{"1.23", "0.1", "1.2", "1.3"},
		{"1.2", "0.1", "1.2", "1.2"},
		{"-1.23", "0.1", "-1.3", "-1.2"},
		{"0", "0.5", "0", "0"},
		{"7", "2", "6", "8"},
	} {
		if got := FloorGrid(d(c.x), d(c.k)); !got.Equal(d(c.floor)) {
			t.Errorf("FloorGrid(%s, %s) = %s, want %s", c.x, c.k, got, c.floor)
		}
		if got := CeilGrid(d(c.x), d(c.k)); !got.Equal(d(c.ceil)) {
			t.Errorf("CeilGrid(%s, %s) = %s, want %s", c.x, c.k, got, c.ceil)
		}
	}
}

// TestSettingOf: LED-2's defaults, cross at min(20, the maximum leverage).
func TestSettingOf(t *testing.T) {
	m := func(maxLev int64) spec.Market {
		return spec.Market{Tiers: []spec.Tier{{MaxLeverage: decimal.New(maxLev, 0)}}}
	}
	a := spec.Account{Settings: map[string]spec.AccountSettings{"X": {MarginMode: spec.Isolated}}}
	if s := SettingOf(a, "Y", m(125)); s.MarginMode != spec.Cross || !s.Leverage.Decimal.Equal(decimal.New(20, 0)) {
		t.Errorf("default setting %+v, want cross at 20", s)
	}
	if s := SettingOf(a, "X", m(10)); s.MarginMode != spec.Isolated || !s.Leverage.Decimal.Equal(decimal.New(10, 0)) {
		t.Errorf("setting %+v, want isolated at 10", s)
	}
}
