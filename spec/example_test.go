package spec_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Diff names each differing field by its JSON path. Decimals compare by
// value, so 12.5 and 12.50 agree; DiffExact tells them apart.
func ExampleDiff() {
	got := &spec.Report{Positions: []spec.PositionReport{
		{Market: "BTCUSDT", MaintenanceMargin: decimal.RequireFromString("7")},
		{Market: "ETHUSDT", MaintenanceMargin: decimal.RequireFromString("12.5")},
	}}
	want := got.Clone()
	want.Positions[1].MaintenanceMargin = decimal.RequireFromString("12.50000001")
	for _, d := range spec.Diff(got, want) {
		fmt.Println(d)
	}

	want.Positions[1].MaintenanceMargin = decimal.RequireFromString("12.50")
	fmt.Println(spec.Diff(got, want))
	fmt.Println(spec.DiffExact(got, want))
	// Output:
	// positions[1].maintenanceMargin: 12.5 vs 12.50000001
	// []
	// [positions[1].maintenanceMargin: 125e-1 vs 1250e-2]
}

// A clone shares nothing with its original: changing the clone's
// positions leaves the original's alone.
func ExampleScenario_Clone() {
	s := &spec.Scenario{Account: spec.Account{
		WalletBalance: decimal.RequireFromString("1000"),
		Positions:     []spec.Position{{Market: "BTCUSDT", Side: spec.Long, Size: decimal.RequireFromString("0.1")}},
	}}
	c := s.Clone()
	c.Account.Positions[0].Size = decimal.RequireFromString("0.2")
	fmt.Println(s.Account.Positions[0].Size, c.Account.Positions[0].Size)
	fmt.Println(spec.Diff(s, c))
	// Output:
	// 0.1 0.2
	// [account.positions[0].size: 0.1 vs 0.2]
}
