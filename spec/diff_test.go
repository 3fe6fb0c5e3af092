package spec_test

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestDiff checks Diff and DiffExact on pairs of values: b is a modified
// copy of a; want and wantExact are the two functions' results (nil: equal).
func TestDiff(t *testing.T) {
	withReport := func(f func(r *spec.Report)) *spec.Report { r := report(); f(r); return r }
	withScenario := func(f func(s *spec.Scenario)) *spec.Scenario { s := scenario(); f(s); return s }
	withState := func(f func(s *spec.State)) *spec.State { s := state(); f(s); return s }
	cases := []struct {
		name            string
		a, b            any
		want, wantExact []string
	}{
		{name: "equal reports", a: report(), b: report()},
		{name: "equal states", a: state(), b: state()},
		{name: "both nil", a: nil, b: nil},
		{name: "nil pointers of one type", a: (*spec.Report)(nil), b: (*spec.Report)(nil)},
		{
			name: "a decimal by value",
			a:    report(), b: withReport(func(r *spec.Report) { r.Positions[1].MaintenanceMargin = d("12.50000001") }),
			want:      []string{"positions[1].maintenanceMargin: 12.5 vs 12.50000001"},
			wantExact: []string{"positions[1].maintenanceMargin: 125e-1 vs 1250000001e-8"},
		},
		{
			name: "12.5 equals 12.50",
			a:    report(), b: withReport(func(r *spec.Report) { r.Positions[1].MaintenanceMargin = d("12.50") }),
			wantExact: []string{"positions[1].maintenanceMargin: 125e-1 vs 1250e-2"},
		},
		{
			name: "null vs value",
			a:    report(), b: withReport(func(r *spec.Report) { r.Positions[0].LiquidationPrice = nd("100") }),
			want:      []string{"positions[0].liquidationPrice: null vs 100"},
			wantExact: []string{"positions[0].liquidationPrice: null(0e0) vs 100e0"},
		},
		{
			name: "an optional decimal's hidden value",
			a:    report(), b: withReport(func(r *spec.Report) { r.Positions[0].LiquidationPrice = decimal.NullDecimal{Decimal: d("7")} }),
			wantExact: []string{"positions[0].liquidationPrice: null(0e0) vs null(7e0)"},
		},
		{
			name: "a map key absent and present",
			a:    withReport(func(r *spec.Report) { delete(r.Prices, "ETHUSDT") }), b: report(),
			want:      []string{"prices.ETHUSDT: absent vs present"},
			wantExact: []string{"prices.ETHUSDT: absent vs present"},
		},
		{
			name: "map keys in sorted order",
			a:    withScenario(func(s *spec.Scenario) { delete(s.Prices, "BTCUSDT"); s.Prices["AAA"] = spec.Price{} }), b: scenario(),
			want:      []string{"prices.AAA: present vs absent", "prices.BTCUSDT: absent vs present"},
			wantExact: []string{"prices.AAA: present vs absent", "prices.BTCUSDT: absent vs present"},
		},
		{
			name: "a difference inside a map value",
			a:    state(), b: withState(func(s *spec.State) {
				a := s.Accounts["mm"]
				a.Positions = slices.Clone(a.Positions)
				a.Positions[1].Size = d("6")
				s.Accounts["mm"] = a
			}),
			want:      []string{"accounts.mm.positions[1].size: 5 vs 6"},
			wantExact: []string{"accounts.mm.positions[1].size: 5e0 vs 6e0"},
		},
		{
			name:      "nil vs empty slice",
			a:         withScenario(func(s *spec.Scenario) { s.Account.Positions = nil }),
			b:         withScenario(func(s *spec.Scenario) { s.Account.Positions = []spec.Position{} }),
			wantExact: []string{"account.positions: nil vs 0 entries"},
		},
		{
			name:      "nil vs empty map",
			a:         withScenario(func(s *spec.Scenario) { s.Account.Settings = map[string]spec.AccountSettings{} }),
			b:         withScenario(func(s *spec.Scenario) { s.Account.Settings = nil }),
			wantExact: []string{"account.settings: 0 entries vs nil"},
		},
		{
			name: "slice lengths",
			a:    report(), b: withReport(func(r *spec.Report) { r.Pools = r.Pools[:1] }),
			want:      []string{"pools: 2 entries vs 1"},
			wantExact: []string{"pools: 2 entries vs 1"},
		},
		{
			name: "strings, ints and bools",
			a:    report(), b: withReport(func(r *spec.Report) {
				r.Positions[0].Side, r.Positions[0].Tier, r.Prices["ETHUSDT"] = spec.Short, 2, spec.PriceReport{Mark: d("2000.25")}
			}),
			want:      []string{`prices.ETHUSDT.computed: true vs false`, `positions[0].side: "long" vs "short"`, `positions[0].tier: 1 vs 2`},
			wantExact: []string{`prices.ETHUSDT.computed: true vs false`, `positions[0].side: "long" vs "short"`, `positions[0].tier: 1 vs 2`},
		},
		{
			name: "an embedded struct adds no path segment",
			a:    &spec.Run{State: *state()}, b: &spec.Run{State: *withState(func(s *spec.State) { s.FeePool = d("13") })},
			want:      []string{"feePool: 12.5 vs 13"},
			wantExact: []string{"feePool: 125e-1 vs 13e0"},
		},
		{
			name:      "effects: a top-level slice",
			a:         []spec.Effect{{Type: spec.EffectPosting, From: "wallet:a", To: "feePool", Amount: nd("1"), Reason: "fee"}},
			b:         []spec.Effect{{Type: spec.EffectPosting, From: "wallet:a", To: "feePool", Amount: nd("1.5"), Reason: "fee"}, {Type: spec.EffectFill}},
			want:      []string{"(value): 1 entries vs 2", "[0].amount: 1 vs 1.5"},
			wantExact: []string{"(value): 1 entries vs 2", "[0].amount: 1e0 vs 15e-1"},
		},
		{
			name:      "errors",
			a:         &spec.Error{Path: "account.positions[1].size", Rule: "POS-2", Msg: "x"},
			b:         &spec.Error{Path: "account.positions[1].size", Rule: "NUM-1", Msg: "x"},
			want:      []string{`rule: "POS-2" vs "NUM-1"`},
			wantExact: []string{`rule: "POS-2" vs "NUM-1"`},
		},
		{
			name: "nil vs non-nil",
			a:    (*spec.Error)(nil), b: &spec.Error{},
			want:      []string{"(value): nil vs non-nil"},
			wantExact: []string{"(value): nil vs non-nil"},
		},
		{
			name: "different types",
			a:    report(), b: state(),
			want:      []string{"*spec.Report vs *spec.State"},
			wantExact: []string{"*spec.Report vs *spec.State"},
		},
		{
			name: "values, not pointers",
			a:    *report(), b: *withReport(func(r *spec.Report) { r.Pools[1].Available = d("1") }),
			want:      []string{"pools[1].available: 0 vs 1"},
			wantExact: []string{"pools[1].available: 0e0 vs 1e0"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := spec.Diff(tc.a, tc.b); !slices.Equal(got, tc.want) {
				t.Errorf("Diff:\n got %q\nwant %q", got, tc.want)
			}
			if got := spec.DiffExact(tc.a, tc.b); !slices.Equal(got, tc.wantExact) {
				t.Errorf("DiffExact:\n got %q\nwant %q", got, tc.wantExact)
			}
		})
	}
}

// TestDiffEqualAllocates nothing per field: comparing a state with its
// clone, the suite's check after every event, allocates only scratch space
// for its maps.
func TestDiffEqualAllocates(t *testing.T) {
	st := state()
	c := st.Clone()
	if n := testing.AllocsPerRun(100, func() { spec.DiffExact(st, c) }); n > 40 {
		t.Errorf("DiffExact of equal states: %v allocations", n)
	}
	r := report()
	rc := r.Clone()
	if n := testing.AllocsPerRun(100, func() { spec.Diff(r, rc) }); n > 10 {
		t.Errorf("Diff of equal reports: %v allocations", n)
	}
}
