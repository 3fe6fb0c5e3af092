package venue

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

func nd(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }

// sample is a scenario with a profile market, an overridden profile market
// and a plain market.
func sample() *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{
			"BTC": {Profile: "binance", Symbol: "BTCUSDT"},
			"ETH": {Profile: "binance@2024-10-01", Symbol: "ETHUSDT", TickSize: d("0.05"), MMBasis: spec.BasisEntry,
				LiquidationFeeRate: nd("0.01"), MarkPriceBand: nd("0.05"),
				MarginModes: []spec.MarginMode{spec.Isolated}},
			"X": {TickSize: d("1"), LotSize: d("1"), Tiers: []spec.Tier{{MinNotional: d("0"), MaxNotional: d("10"), MaintenanceMarginRate: d("0.1"), MaxLeverage: d("5")}}},
		},
		Prices: map[string]spec.Price{"BTC": {Mark: nd("60000")}},
		Account: spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
			{Market: "BTC", Side: spec.Long, Size: d("0.1"), EntryPrice: d("60000"), MarginMode: spec.Cross},
		}, Settings: map[string]spec.AccountSettings{"BTC": {Leverage: nd("10"), MarginMode: spec.Cross}}},
	}
}

func snapshot(t *testing.T, s *spec.Scenario) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResolve: profile markets are replaced, overrides apply, the input is
// not modified and the copy shares nothing with it.
func TestResolve(t *testing.T) {
	s := sample()
	before := snapshot(t, s)
	r, err := Resolve(s)
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, s); after != before {
		t.Fatal("Resolve modified its input")
	}
	btc, want := r.Markets["BTC"], mustLookup(t, "binance", "BTCUSDT")
	if !reflect.DeepEqual(btc, want) || btc.Profile != "" || btc.Symbol != "" {
		t.Fatalf("BTC not the profile market: %+v", btc)
	}
	eth := r.Markets["ETH"]
	base := mustLookup(t, "binance", "ETHUSDT")
	if !eth.TickSize.Equal(d("0.05")) || !eth.LotSize.Equal(base.LotSize) || eth.MMBasis != spec.BasisEntry ||
		!eth.LiquidationFeeRate.Decimal.Equal(d("0.01")) || !eth.MarkPriceBand.Valid ||
		len(eth.MarginModes) != 1 || eth.MarginModes[0] != spec.Isolated ||
		!reflect.DeepEqual(eth.Tiers, base.Tiers) || eth.FundingIntervalHours.Valid {
		t.Fatalf("ETH overrides wrong: %+v", eth)
	}
	if !reflect.DeepEqual(r.Markets["X"], s.Markets["X"]) || !reflect.DeepEqual(r.Prices, s.Prices) || !reflect.DeepEqual(r.Account, s.Account) {
		t.Fatal("plain parts not copied as they are")
	}
	// Nothing shared with the input or the registry.
	r.Markets["X"].Tiers[0].MaxLeverage = d("1")
	r.Account.Positions[0].Size = d("9")
	r.Prices["BTC"] = spec.Price{}
	r.Account.Settings["BTC"] = spec.AccountSettings{}
	r.Markets["BTC"].Tiers[0].MaxLeverage = d("1")
	r.Markets["ETH"].MarginModes[0] = spec.Cross
	if snapshot(t, s) != before {
		t.Fatal("Resolve's result shares state with its input")
	}
	if m := mustLookup(t, "binance", "BTCUSDT"); !m.Tiers[0].MaxLeverage.Equal(d("125")) {
		t.Fatal("Resolve's result shares state with the registry")
	}
	// Tiers given beside the profile replace the profile's.
	s.Markets["BTC"] = spec.Market{Profile: "binance", Symbol: "BTCUSDT", Tiers: s.Markets["X"].Tiers}
	r, err = Resolve(s)
	if err != nil || len(r.Markets["BTC"].Tiers) != 1 {
		t.Fatal("tiers override", err)
	}
	r.Markets["BTC"].Tiers[0].MaxLeverage = d("2")
	if !s.Markets["X"].Tiers[0].MaxLeverage.Equal(d("5")) {
		t.Fatal("overriding tiers share state with the input")
	}
}

// TestResolveOverridesEveryField: every field of spec.Market (also ones added
// later) is overridden when given, per PROF-1.
func TestResolveOverridesEveryField(t *testing.T) {
	mt := reflect.TypeOf(spec.Market{})
	for i := 0; i < mt.NumField(); i++ {
		f := mt.Field(i)
		if f.Name == "Profile" || f.Name == "Symbol" {
			continue
		}
		m := spec.Market{Profile: "kucoin", Symbol: "XBTUSDTM"}
		fv := reflect.ValueOf(&m).Elem().Field(i)
		var val reflect.Value
		switch {
		case f.Type == decimalType:
			val = reflect.ValueOf(d("0.5"))
		case f.Type == nullDecimalType:
			val = reflect.ValueOf(nd("0.5"))
		case f.Type == reflect.TypeOf(spec.MMBasis("")):
			val = reflect.ValueOf(spec.BasisEntry)
		case f.Type == reflect.TypeOf([]spec.Tier{}):
			val = reflect.ValueOf([]spec.Tier{{MinNotional: d("0"), MaxNotional: d("1"), MaintenanceMarginRate: d("0.1"), MaxLeverage: d("2")}})
		case f.Type == reflect.TypeOf([]spec.MarginMode{}):
			val = reflect.ValueOf([]spec.MarginMode{spec.Cross})
		case f.Type == reflect.TypeOf(""):
			val = reflect.ValueOf("BTC")
		case f.Type == reflect.TypeOf(&decimal.Decimal{}):
			e := d("0.25")
			val = reflect.ValueOf(&e)
		case f.Type == reflect.TypeOf(&spec.PortfolioParams{}):
			val = reflect.ValueOf(&spec.PortfolioParams{Shocks: []decimal.Decimal{d("-0.1"), d("0.1")}})
		case f.Type == reflect.TypeOf(&spec.Variants{}):
			val = reflect.ValueOf(&spec.Variants{Trigger: spec.TriggerAtEquality}) // merged key by key (PROF-1)
		default:
			t.Fatalf("field %s of type %s: teach this test (and check overrideMarket) about it", f.Name, f.Type)
		}
		fv.Set(val)
		r, err := Resolve(&spec.Scenario{Markets: map[string]spec.Market{"M": m}})
		if err != nil {
			t.Fatal(err)
		}
		got := reflect.ValueOf(r.Markets["M"]).Field(i).Interface()
		if !reflect.DeepEqual(got, val.Interface()) {
			t.Errorf("field %s not overridden: %v", f.Name, got)
		}
	}
}

func mustLookup(t *testing.T, p, s string) spec.Market {
	t.Helper()
	m, err := Lookup(p, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestResolveErrors: PROF-1 errors with paths, first in byte order of name.
func TestResolveErrors(t *testing.T) {
	for _, c := range []struct {
		markets    map[string]spec.Market
		path, rule string
	}{
		{map[string]spec.Market{"A": {Profile: "nope", Symbol: "BTCUSDT"}}, "markets.A.profile", "PROF-1"},
		{map[string]spec.Market{"A": {Profile: "binance", Symbol: "NOPE"}}, "markets.A.symbol", "PROF-1"},
		{map[string]spec.Market{"A": {Profile: "binance"}}, "markets.A.symbol", "PROF-1"},
		{map[string]spec.Market{"A": {Symbol: "BTCUSDT"}}, "markets.A.profile", "PROF-1"},
		{map[string]spec.Market{
			"b": {Profile: "nope", Symbol: "x"},
			"B": {Profile: "binance", Symbol: "nope"},
			"a": {Profile: "okx", Symbol: "nope"},
		}, "markets.B.symbol", "PROF-1"},
	} {
		s := &spec.Scenario{Markets: c.markets}
		before := snapshot(t, s)
		r, err := Resolve(s)
		if r != nil {
			t.Error("partial result returned with an error")
		}
		wantErr(t, err, c.path, c.rule)
		if snapshot(t, s) != before {
			t.Fatal("input modified on error")
		}
	}
	_, err := Resolve(nil)
	wantErr(t, err, "", "EVAL-1")
	// An empty scenario resolves to an empty copy.
	r, err := Resolve(&spec.Scenario{})
	if err != nil || r.Markets != nil || r.Account.Positions != nil {
		t.Fatal("empty scenario", err)
	}
}

// TestCrossOnlyVenues: PROF-3. An isolated position on Bitstamp or Coinbase
// is a POS-3 error naming the venue: found up front by CheckMarginModes, and
// added to the engine's own POS-3 error by AnnotateError.
func TestCrossOnlyVenues(t *testing.T) {
	for _, venue := range []string{"bitstamp", "coinbase"} {
		name := venueDisplayName(venue)
		s := &spec.Scenario{
			Markets: map[string]spec.Market{
				"OK":  {Profile: "binance", Symbol: "BTCUSDT"},
				"BTC": {Profile: venue, Symbol: "BTC-PERP"},
			},
			Account: spec.Account{Positions: []spec.Position{
				{Market: "OK", MarginMode: spec.Isolated},
				{Market: "BTC", MarginMode: spec.Cross},
				{Market: "BTC", MarginMode: spec.Isolated},
			}},
		}
		err := CheckMarginModes(s)
		me := wantErr(t, err, "account.positions[2].marginMode", "POS-3")
		if !strings.Contains(me.Msg, name) || !strings.Contains(me.Msg, "isolated") || !strings.Contains(me.Msg, "only cross") {
			t.Errorf("message should name the venue, the mode and what is offered: %s", me.Msg)
		}
		// The resolved market lists only cross, so the engine's POS-3 applies.
		r, err := Resolve(s)
		if err != nil {
			t.Fatal(err)
		}
		if mm := r.Markets["BTC"].MarginModes; len(mm) != 1 || mm[0] != spec.Cross {
			t.Fatalf("%s modes %v", venue, mm)
		}
		engineErr := &spec.Error{Path: "account.positions[2].marginMode", Rule: "POS-3", Msg: "marginMode isolated is not offered by market BTC"}
		ann := AnnotateError(s, engineErr)
		me = wantErr(t, ann, "account.positions[2].marginMode", "POS-3")
		if !strings.HasPrefix(me.Msg, engineErr.Msg) || !strings.Contains(me.Msg, name) {
			t.Errorf("annotated message: %s", me.Msg)
		}
		// Overriding marginModes beside the profile is honoured.
		s.Markets["BTC"] = spec.Market{Profile: venue, Symbol: "BTC-PERP", MarginModes: []spec.MarginMode{spec.Cross, spec.Isolated}}
		if err := CheckMarginModes(s); err != nil {
			t.Errorf("override ignored: %v", err)
		}
	}
	// AnnotateError leaves other errors alone.
	other := &spec.Error{Path: "account.positions[0].size", Rule: "POS-2", Msg: "m"}
	if AnnotateError(sample(), other) != error(other) {
		t.Error("non-POS-3 error changed")
	}
	plain := &spec.Error{Path: "account.positions[0].marginMode", Rule: "POS-3", Msg: "m"}
	s := &spec.Scenario{Markets: map[string]spec.Market{"X": {}}, Account: spec.Account{Positions: []spec.Position{{Market: "X"}}}}
	if AnnotateError(s, plain) != error(plain) || AnnotateError(nil, plain) != error(plain) {
		t.Error("POS-3 on a plain market changed")
	}
	bad := &spec.Error{Path: "account.positions[7].marginMode", Rule: "POS-3", Msg: "m"}
	if AnnotateError(s, bad) != error(bad) || CheckMarginModes(nil) != nil {
		t.Error("out-of-range index")
	}
}
