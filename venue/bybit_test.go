package venue_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// bybitPublished is Bybit's BTCUSDT risk-limit table as published on its
// Margin Parameters page (venue/data/SOURCES.md), typed here from the
// project's transcription data/venues/bybit-btcusdt-linear-risk-limits.csv:
// risk limit (the tier's inclusive upper bound), max leverage, MMR,
// maintenance-margin deduction.
var bybitPublished = [20][4]string{
	{"2000000", "100", "0.005", "0"},
	{"2600000", "90", "0.0056", "1200"},
	{"3200000", "80", "0.0063", "3020"},
	{"3800000", "75", "0.0067", "4300"},
	{"4400000", "70", "0.0071", "5820"},
	{"5000000", "65", "0.0077", "8460"},
	{"5600000", "55", "0.0091", "15460"},
	{"8500000", "50", "0.01", "20500"},
	{"10000000", "45", "0.013", "46000"},
	{"14000000", "40", "0.015", "66000"},
	{"20000000", "35", "0.016", "80000"},
	{"28000000", "30", "0.02", "160000"},
	{"38000000", "25", "0.025", "300000"},
	{"50000000", "20", "0.029", "452000"},
	{"55000000", "19", "0.03", "502000"},
	{"60000000", "18", "0.035", "777000"},
	{"65000000", "17", "0.036", "837000"},
	{"70000000", "16", "0.038", "967000"},
	{"75000000", "15", "0.04", "1107000"},
	{"80000000", "14", "0.045", "1482000"},
}

// TestBybitProfile pins the full Bybit profile (PROF-2) to the published
// table: 20 tiers from 0 to 80,000,000 USDT, each bound, leverage, rate and
// deduction as published, the inclusive risk limit as TIER-7:upper-inclusive,
// a date and its sources; the bare name "bybit" resolves to it.
func TestBybitProfile(t *testing.T) {
	var p *venue.Profile
	ps := venue.Profiles()
	for i := range ps {
		if ps[i].ID == "bybit@2026-12-07" {
			p = &ps[i]
		}
	}
	if p == nil {
		t.Fatal("no profile bybit@2026-12-07")
	}
	if len(p.Sources) < 2 || p.AsOf != "2026-12-07" {
		t.Errorf("sources %v, asOf %s", p.Sources, p.AsOf)
	}
	m, err := venue.Lookup("bybit", "BTCUSDT")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tiers) != len(bybitPublished) {
		t.Fatalf("%d tiers, want 20", len(m.Tiers))
	}
	prev := "0"
	for i, r := range bybitPublished {
		tr := m.Tiers[i]
		want := spec.Tier{MinNotional: dec(prev), MaxNotional: dec(r[0]), MaxLeverage: dec(r[1]), MaintenanceMarginRate: dec(r[2])}
		if !tr.MinNotional.Equal(want.MinNotional) || !tr.MaxNotional.Equal(want.MaxNotional) || !tr.MaxLeverage.Equal(want.MaxLeverage) ||
			!tr.MaintenanceMarginRate.Equal(want.MaintenanceMarginRate) || !tr.MaintenanceAmount.Valid || !tr.MaintenanceAmount.Decimal.Equal(dec(r[3])) {
			t.Errorf("tier %d = %+v, want %v from %s", i+1, tr, r, prev)
		}
		prev = r[0]
	}
	if m.Variants == nil || m.Variants.TierBound != spec.TierBoundUpper {
		t.Errorf("variants %+v, want tierBound upper-inclusive", m.Variants)
	}
}

// TestBybitGolden: {"profile":"bybit","symbol":"BTCUSDT"}, cross long 100
// BTC at 60,000 (mark 60,000): N = 6,000,000 lies in tier 8 (5,600,000 <
// N <= 8,500,000: 1%, deduction 20,500), so by hand MM = 6,000,000 * 0.01 -
// 20,500 = 39,500 (the one-tier seed snapshot gave 6,000,000 * 0.5% =
// 30,000). At N = 2,000,000 exactly (100 BTC at 20,000) the inclusive risk
// limit keeps tier 1 (100x): MM = 2,000,000 * 0.005 = 10,000, tier 1.
// Both engines.
func TestBybitGolden(t *testing.T) {
	for _, tc := range []struct {
		price, mm string
		tier      int
	}{{"60000", "39500", 8}, {"20000", "10000", 1}} {
		s, err := venue.Resolve(&spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": {Profile: "bybit", Symbol: "BTCUSDT"}},
			Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nullDec(tc.price)}},
			Account: spec.Account{WalletBalance: dec("1000000"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: dec("100"), EntryPrice: dec(tc.price), MarginMode: spec.Cross, Leverage: nullDec("10")},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		for name, eval := range map[string]func(*spec.Scenario) (*spec.Report, error){"model": model.Evaluate, "reference": reference.Evaluate} {
			rep, err := eval(s)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pr := rep.Positions[0]
			if !pr.MaintenanceMargin.Equal(dec(tc.mm)) || pr.Tier != tc.tier {
				t.Errorf("%s at %s: MM %s tier %d, want %s tier %d", name, tc.price, pr.MaintenanceMargin, pr.Tier, tc.mm, tc.tier)
			}
		}
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func nullDec(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: dec(s), Valid: true} }
