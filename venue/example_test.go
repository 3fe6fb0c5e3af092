package venue_test

import (
	"fmt"

	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// A scenario names a venue market by profile and symbol; Resolve replaces it
// with the profile's market, keeping the fields given beside it.
func ExampleResolve() {
	s := &spec.Scenario{Markets: map[string]spec.Market{
		"BTCUSDT": {Profile: "binance", Symbol: "BTCUSDT", MMBasis: spec.BasisEntry},
	}}
	r, err := venue.Resolve(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := r.Markets["BTCUSDT"]
	fmt.Println("tick", m.TickSize, "lot", m.LotSize, "basis", m.MMBasis, "tiers", len(m.Tiers))
	for _, t := range m.Tiers[:3] {
		fmt.Printf("[%s, %s) MMR %s max %sx cum %s\n", t.MinNotional, t.MaxNotional,
			t.MaintenanceMarginRate, t.MaxLeverage, t.MaintenanceAmount.Decimal)
	}
	_, err = venue.Lookup("coinbase", "ETH-PERP")
	fmt.Println(err)
	// Output:
	// tick 0.1 lot 0.001 basis entry tiers 12
	// [0, 50000) MMR 0.004 max 125x cum 0
	// [50000, 600000) MMR 0.005 max 100x cum 50
	// [600000, 3000000) MMR 0.0065 max 75x cum 950
	// symbol: PROF-1: profile coinbase@2025-01-01 does not list symbol "ETH-PERP" (it lists BTC-PERP)
}
