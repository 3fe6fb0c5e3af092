package spec_test

import (
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// mutate changes every exported leaf reachable from v (decimals, strings,
// numbers, booleans, the validity of optional decimals), in place: through
// pointers, slice elements and, by writing back a modified copy, map values.
// A map value's slices are modified in place, so a clone whose map values
// share a slice with the original shows the change in the original.
func mutate(v reflect.Value) {
	switch v.Type() {
	case reflect.TypeFor[decimal.Decimal]():
		v.Set(reflect.ValueOf(v.Interface().(decimal.Decimal).Add(decimal.New(1, -8))))
		return
	case reflect.TypeFor[decimal.NullDecimal]():
		x := v.Interface().(decimal.NullDecimal)
		v.Set(reflect.ValueOf(decimal.NullDecimal{Decimal: x.Decimal.Add(decimal.New(1, 0)), Valid: !x.Valid}))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				mutate(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			mutate(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			x := reflect.New(v.Type().Elem()).Elem()
			x.Set(v.MapIndex(k))
			mutate(x)
			v.SetMapIndex(k, x)
		}
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}

// emptyScenario has every map and slice empty but not nil.
func emptyScenario() *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"M": {Tiers: []spec.Tier{}, MarginModes: []spec.MarginMode{}}},
		Prices:  map[string]spec.Price{},
		Account: spec.Account{Positions: []spec.Position{}, Settings: map[string]spec.AccountSettings{}},
	}
}

// TestClone checks every Clone method: a clone has no DiffExact difference
// from its original (nil stays nil, empty stays empty, decimals keep their
// representation), and modifying every field of the clone leaves the
// original as it was (no shared slice or map). new builds the value afresh
// each time, so the original can be compared with an untouched one. (An
// empty Report has no field mutate can change.)
func TestClone(t *testing.T) {
	cases := []struct {
		name  string
		new   func() any
		clone func(any) any
	}{
		{"Scenario", func() any { return scenario() }, func(v any) any { return v.(*spec.Scenario).Clone() }},
		{"Scenario/nil maps and slices", func() any { return &spec.Scenario{} }, func(v any) any { return v.(*spec.Scenario).Clone() }},
		{"Scenario/empty maps and slices", func() any { return emptyScenario() }, func(v any) any { return v.(*spec.Scenario).Clone() }},
		{"Market", func() any { m := scenario().Markets["BTCUSDT"]; return &m }, func(v any) any { c := v.(*spec.Market).Clone(); return &c }},
		{"Account", func() any { a := scenario().Account; return &a }, func(v any) any { c := v.(*spec.Account).Clone(); return &c }},
		{"Report", func() any { return report() }, func(v any) any { return v.(*spec.Report).Clone() }},
		{"Report/nil", func() any { return &spec.Report{} }, func(v any) any { return v.(*spec.Report).Clone() }},
		{"State", func() any { return state() }, func(v any) any { return v.(*spec.State).Clone() }},
		{"State/nil", func() any { return &spec.State{} }, func(v any) any { return v.(*spec.State).Clone() }},
		{"Run", func() any {
			return &spec.Run{State: *state(), Events: []spec.Event{
				{Type: spec.EventDeposit, Account: "alice", Amount: nd("5")},
				{Type: spec.EventTrade, Market: "BTCUSDT", Buyer: "alice", Seller: "mm", Size: nd("0.001"), Price: nd("30000")},
			}}
		}, func(v any) any { return v.(*spec.Run).Clone() }},
		{"Run/no events", func() any { return &spec.Run{Events: []spec.Event{}} }, func(v any) any { return v.(*spec.Run).Clone() }},
		{"Error", func() any { return &spec.Error{Path: "account.positions[1].size", Rule: "POS-2", Msg: "m"} }, func(v any) any { return v.(*spec.Error).Clone() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := tc.new()
			c := tc.clone(orig)
			if d := spec.DiffExact(orig, c); d != nil {
				t.Fatalf("clone differs from its original: %v", d)
			}
			mutate(reflect.ValueOf(c))
			if d := spec.DiffExact(orig, tc.new()); d != nil {
				t.Fatalf("modifying the clone modified the original: %v", d)
			}
			if tc.name != "Report/nil" && spec.DiffExact(c, tc.new()) == nil {
				t.Fatal("mutate did not change the clone; the test has no teeth")
			}
		})
	}
}

// TestCloneNil checks that the Clone of a nil pointer is nil.
func TestCloneNil(t *testing.T) {
	if (*spec.Scenario)(nil).Clone() != nil || (*spec.Report)(nil).Clone() != nil ||
		(*spec.State)(nil).Clone() != nil || (*spec.Run)(nil).Clone() != nil || (*spec.Error)(nil).Clone() != nil {
		t.Fatal("the Clone of a nil pointer is not nil")
	}
}

// TestCloneKeepsNilAndEmpty checks the nil/empty distinction directly,
// since DiffExact's check of it is itself under test.
func TestCloneKeepsNilAndEmpty(t *testing.T) {
	e, n := emptyScenario().Clone(), (&spec.Scenario{}).Clone()
	if e.Prices == nil || e.Account.Positions == nil || e.Account.Settings == nil || e.Markets["M"].Tiers == nil || e.Markets["M"].MarginModes == nil {
		t.Errorf("an empty map or slice became nil: %+v", e)
	}
	if n.Markets != nil || n.Prices != nil || n.Account.Positions != nil || n.Account.Settings != nil {
		t.Errorf("a nil map or slice became empty: %+v", n)
	}
	if r := (&spec.Run{State: spec.State{Accounts: map[string]spec.Account{}}}).Clone(); r.Accounts == nil || r.Events != nil {
		t.Errorf("Run: accounts %v events %v", r.Accounts, r.Events)
	}
}
