package venue

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/shopspring/decimal"
)

func nd(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }

// sample is a scenario with a profile market, an overridden profile market
// and a plain market.
func sample() *model.Scenario {
	return &model.Scenario{
		Markets: map[string]model.Market{
			"BTC": {Profile: "binance", Symbol: "BTCUSDT"},
			"ETH": {Profile: "binance@2024-10-01", Symbol: "ETHUSDT", TickSize: d("0.05"), MMBasis: model.BasisEntry,
				LiquidationFeeRate: nd("0.01"), MarkPriceBand: nd("0.05"),
				MarginModes: []model.MarginMode{model.Isolated}},
			"X": {TickSize: d("1"), LotSize: d("1"), Tiers: []model.Tier{{MinNotional: d("0"), MaxNotional: d("10"), MaintenanceMarginRate: d("0.1"), MaxLeverage: d("5")}}},
		},
		Prices: map[string]model.Price{"BTC": {Mark: nd("60000")}},
		Account: model.Account{WalletBalance: d("1000"), Positions: []model.Position{
			{Market: "BTC", Side: model.Long, Size: d("0.1"), EntryPrice: d("60000"), MarginMode: model.Cross},
		}},
	}
}

func snapshot(t *testing.T, s *model.Scenario) string {
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
	if !eth.TickSize.Equal(d("0.05")) || !eth.LotSize.Equal(base.LotSize) || eth.MMBasis != model.BasisEntry ||
		!eth.LiquidationFeeRate.Decimal.Equal(d("0.01")) || !eth.MarkPriceBand.Valid ||
		len(eth.MarginModes) != 1 || eth.MarginModes[0] != model.Isolated ||
		!reflect.DeepEqual(eth.Tiers, base.Tiers) || eth.FundingIntervalHours.Valid {
		t.Fatalf("ETH overrides wrong: %+v", eth)
	}
	if !reflect.DeepEqual(r.Markets["X"], s.Markets["X"]) || !reflect.DeepEqual(r.Prices, s.Prices) || !reflect.DeepEqual(r.Account, s.Account) {
		t.Fatal("plain parts not copied as they are")
	}
	// Nothing shared with the input or the registry.
	r.Markets["X"].Tiers[0].MaxLeverage = d("1")
	r.Account.Positions[0].Size = d("9")
	r.Prices["BTC"] = model.Price{}
	r.Markets["BTC"].Tiers[0].MaxLeverage = d("1")
	if snapshot(t, s) != before {
		t.Fatal("Resolve's result shares state with its input")
	}
	if m := mustLookup(t, "binance", "BTCUSDT"); !m.Tiers[0].MaxLeverage.Equal(d("125")) {
		t.Fatal("Resolve's result shares state with the registry")
	}
	// Tiers given beside the profile replace the profile's.
	s.Markets["BTC"] = model.Market{Profile: "binance", Symbol: "BTCUSDT", Tiers: s.Markets["X"].Tiers}
	r, err = Resolve(s)
	if err != nil || len(r.Markets["BTC"].Tiers) != 1 {
		t.Fatal("tiers override", err)
	}
}

// TestResolveOverridesEveryField: every field of model.Market (also ones added
// later) is overridden when given, per PROF-1.
func TestResolveOverridesEveryField(t *testing.T) {
	mt := reflect.TypeOf(model.Market{})
	for i := 0; i < mt.NumField(); i++ {
		f := mt.Field(i)
		if f.Name == "Profile" || f.Name == "Symbol" {
			continue
		}
		m := model.Market{Profile: "kucoin", Symbol: "XBTUSDTM"}
		fv := reflect.ValueOf(&m).Elem().Field(i)
		var val reflect.Value
		switch {
		case f.Type == decimalType:
			val = reflect.ValueOf(d("0.5"))
		case f.Type == nullDecimalType:
			val = reflect.ValueOf(nd("0.5"))
		case f.Type == reflect.TypeOf(model.MMBasis("")):
			val = reflect.ValueOf(model.BasisEntry)
		case f.Type == reflect.TypeOf([]model.Tier{}):
			val = reflect.ValueOf([]model.Tier{{MinNotional: d("0"), MaxNotional: d("1"), MaintenanceMarginRate: d("0.1"), MaxLeverage: d("2")}})
		case f.Type == reflect.TypeOf([]model.MarginMode{}):
			val = reflect.ValueOf([]model.MarginMode{model.Cross})
		default:
			t.Fatalf("field %s of type %s: teach this test (and check overrideMarket) about it", f.Name, f.Type)
		}
		fv.Set(val)
		r, err := Resolve(&model.Scenario{Markets: map[string]model.Market{"M": m}})
		if err != nil {
			t.Fatal(err)
		}
		got := reflect.ValueOf(r.Markets["M"]).Field(i).Interface()
		if !reflect.DeepEqual(got, val.Interface()) {
			t.Errorf("field %s not overridden: %v", f.Name, got)
		}
	}
}

func mustLookup(t *testing.T, p, s string) model.Market {
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
		markets    map[string]model.Market
		path, rule string
	}{
		{map[string]model.Market{"A": {Profile: "nope", Symbol: "BTCUSDT"}}, "markets.A.profile", "PROF-1"},
		{map[string]model.Market{"A": {Profile: "binance", Symbol: "NOPE"}}, "markets.A.symbol", "PROF-1"},
		{map[string]model.Market{"A": {Profile: "binance"}}, "markets.A.symbol", "PROF-1"},
		{map[string]model.Market{"A": {Symbol: "BTCUSDT"}}, "markets.A.profile", "PROF-1"},
		{map[string]model.Market{
			"b": {Profile: "nope", Symbol: "x"},
			"B": {Profile: "binance", Symbol: "nope"},
			"a": {Profile: "okx", Symbol: "nope"},
		}, "markets.B.symbol", "PROF-1"},
	} {
		s := &model.Scenario{Markets: c.markets}
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
	r, err := Resolve(&model.Scenario{})
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
		s := &model.Scenario{
			Markets: map[string]model.Market{
				"OK":  {Profile: "binance", Symbol: "BTCUSDT"},
				"BTC": {Profile: venue, Symbol: "BTC-PERP"},
			},
			Account: model.Account{Positions: []model.Position{
				{Market: "OK", MarginMode: model.Isolated},
				{Market: "BTC", MarginMode: model.Cross},
				{Market: "BTC", MarginMode: model.Isolated},
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
		if mm := r.Markets["BTC"].MarginModes; len(mm) != 1 || mm[0] != model.Cross {
			t.Fatalf("%s modes %v", venue, mm)
		}
		engineErr := &model.Error{Path: "account.positions[2].marginMode", Rule: "POS-3", Msg: "marginMode isolated is not offered by market BTC"}
		ann := AnnotateError(s, engineErr)
		me = wantErr(t, ann, "account.positions[2].marginMode", "POS-3")
		if !strings.HasPrefix(me.Msg, engineErr.Msg) || !strings.Contains(me.Msg, name) {
			t.Errorf("annotated message: %s", me.Msg)
		}
		// Overriding marginModes beside the profile is honoured.
		s.Markets["BTC"] = model.Market{Profile: venue, Symbol: "BTC-PERP", MarginModes: []model.MarginMode{model.Cross, model.Isolated}}
		if err := CheckMarginModes(s); err != nil {
			t.Errorf("override ignored: %v", err)
		}
	}
	// AnnotateError leaves other errors alone.
	other := &model.Error{Path: "account.positions[0].size", Rule: "POS-2", Msg: "m"}
	if AnnotateError(sample(), other) != error(other) {
		t.Error("non-POS-3 error changed")
	}
	plain := &model.Error{Path: "account.positions[0].marginMode", Rule: "POS-3", Msg: "m"}
	s := &model.Scenario{Markets: map[string]model.Market{"X": {}}, Account: model.Account{Positions: []model.Position{{Market: "X"}}}}
	if AnnotateError(s, plain) != error(plain) || AnnotateError(nil, plain) != error(plain) {
		t.Error("POS-3 on a plain market changed")
	}
	bad := &model.Error{Path: "account.positions[7].marginMode", Rule: "POS-3", Msg: "m"}
	if AnnotateError(s, bad) != error(bad) || CheckMarginModes(nil) != nil {
		t.Error("out-of-range index")
	}
}
