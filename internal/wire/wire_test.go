package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// same fails t unless got is json.Marshal(v), byte for byte.
func same(t testing.TB, what string, got []byte, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: json.Marshal: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: differs from json.Marshal at byte %d:\n got  %s\n want %s", what, i, clip(got, i), clip(want, i))
	}
}

func clip(b []byte, at int) string {
	lo, hi := max(0, at-60), min(len(b), at+60)
	return string(b[lo:hi])
}

// strs are strings that exercise every branch of encoding/json's escaping.
var strs = []string{
	"", "BTCUSDT", `"quoted"`, `back\slash`, "<script>&</script>", "\b\f\n\r\t",
	"\x00\x01\x1f\x7f", "é ü 中文 😀", "\u2028\u2029", "a\u2028b\u2029c",
	"\xff", "a\xc3", "\xed\xa0\x80", "\xf0\x9f\x98", "ok\xe2\x80", "tab\tand\\\"",
}

func TestAppendString(t *testing.T) {
	for _, s := range strs {
		same(t, "AppendString("+s+")", AppendString(nil, s), s)
	}
}

// decs are decimals at the edges of appendDecimalText's fast path.
var decs = []decimal.Decimal{
	{}, decimal.New(0, -3), decimal.New(0, 5), decimal.New(5, 0), decimal.New(-5, 2),
	decimal.New(123, -10), decimal.New(-123, -2), decimal.New(1000, -3), decimal.New(-1000, -1),
	decimal.New(1, -8), decimal.New(-1, -8), decimal.New(999999999999999999, -9),
	decimal.New(-999999999999999999, 3), decimal.New(1000000000000000000, -4),
	decimal.New(math.MaxInt64, -2), decimal.New(math.MinInt64, -2), decimal.New(math.MinInt64, 0),
	decimal.New(7, 64), decimal.New(7, 65), decimal.New(7, -64), decimal.New(-7, -65),
	decimal.NewFromBigInt(new(big.Int).Lsh(big.NewInt(3), 100), -20),
	decimal.RequireFromString("50000.50000000"), decimal.RequireFromString("-0.00000001"),
	decimal.RequireFromString("12345678901234567890.123456789"),
}

func TestAppendDecimal(t *testing.T) {
	for _, d := range decs {
		same(t, "AppendDecimal("+d.String()+")", AppendDecimal(nil, d), d)
		nd := decimal.NewNullDecimal(d)
		same(t, "AppendNullDecimal("+d.String()+")", AppendNullDecimal(nil, nd), nd)
	}
	same(t, "AppendNullDecimal(invalid)", AppendNullDecimal(nil, decimal.NullDecimal{}), decimal.NullDecimal{})
}

// TestAppendDecimalOptions checks that shopspring's global formatting
// options are followed as MarshalJSON follows them.
func TestAppendDecimalOptions(t *testing.T) {
	for _, opt := range []*bool{&decimal.MarshalJSONWithoutQuotes, &decimal.TrimTrailingZeros, &decimal.UseScientificNotation} {
		*opt = !*opt
		for _, d := range decs {
			same(t, "AppendDecimal("+d.String()+") with an option flipped", AppendDecimal(nil, d), d)
		}
		*opt = !*opt
	}
}

// handMade is a scenario, a report, a state, events and effects that use
// every field, nil and empty maps and slices, and keys that sort and escape.
func handMade() (*spec.Scenario, *spec.Report, *spec.State, []spec.Event, []spec.Effect) {
	d := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }
	imr := d("0.0150") // SPEC TIER-5's explicit initialMarginRate (a trailing zero: kept as written)
	m := spec.Market{Profile: "binance-2024", Symbol: "BTC<USDT>", TickSize: d("0.10"), LotSize: d("0.001"),
		MMBasis: spec.BasisEntry, Tiers: []spec.Tier{{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125"), MaintenanceAmount: nd("0")},
			{MinNotional: d("50000"), MaxNotional: d("90000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("66.66"), InitialMarginRate: &imr}},
		MarginModes: []spec.MarginMode{spec.Cross, "iso\u2028"}, LiquidationFeeRate: nd("0.0125"), FundingIntervalHours: nd("8"),
		MarkPriceBand: nd("0.05"), MakerFeeRate: nd("-0.0001"), TakerFeeRate: nd("0.0004"), FundingRateCap: nd("0.03")}
	markets := map[string]spec.Market{"ETH": {Tiers: []spec.Tier{}}, "BTC&": m, "é": {}, "\xff": {MarginModes: []spec.MarginMode{}}, "B": {}, "": {}}
	prices := map[string]spec.Price{"ETH": {Mark: nd("3000.5")}, "BTC&": {Index: nd("1"), Last: nd("2"), FundingRate: nd("0.0001"), SecondsToFunding: nd("3600"), BasisAverage: nd("-0.5")}}
	acc := spec.Account{WalletBalance: d("1000.00"), Positions: []spec.Position{
		{Market: "BTC&", Side: spec.Long, Size: d("0.5"), EntryPrice: d("50000"), MarginMode: spec.Cross},
		{Market: "ETH", Side: spec.Short, Size: d("2"), EntryValue: nd("6000"), MarginMode: spec.Isolated, Leverage: nd("10"), IsolatedMargin: nd("600")},
	}, Settings: map[string]spec.AccountSettings{"z": {}, "a": {Leverage: nd("5"), MarginMode: spec.Isolated}}}
	sc := &spec.Scenario{Markets: markets, Prices: prices, Account: acc}
	rep := &spec.Report{
		Prices:    map[string]spec.PriceReport{"b": {Mark: d("1.5"), Computed: true}, "a": {}},
		Positions: []spec.PositionReport{{Market: "a", Side: spec.Long, Tier: 3, LiquidationPrice: nd("1"), LiquidationPriceReason: "<none>", BankruptcyPriceReason: "x", MaxRemovableMargin: nd("2")}, {}},
		Pools:     []spec.PoolReport{{Pool: spec.Cross, Position: -1, MarginRatio: nd("0.5"), Liquidatable: true}, {}},
	}
	st := &spec.State{Markets: markets, Prices: map[string]spec.Price{}, Accounts: map[string]spec.Account{"u1": acc, "u0": {Settings: map[string]spec.AccountSettings{}}},
		InsuranceFund: spec.Account{Positions: []spec.Position{}}, FeePool: d("1.25"), Dust: d("-0"), Settlement: nd("-3")}
	evs := []spec.Event{{}, {Type: spec.EventTrade, Account: "a", Market: "m", Amount: nd("1"), Buyer: "b", Seller: "s", Size: nd("2"), Price: nd("3"), Maker: "buyer",
		Mark: nd("4"), Index: nd("5"), Last: nd("6"), FundingRate: nd("7"), SecondsToFunding: nd("8"), BasisAverage: nd("9"), Rate: nd("10"), Leverage: nd("11"), MarginMode: spec.Cross}}
	effs := []spec.Effect{{}, {Event: 3, Type: spec.EffectFill, From: "f", To: "t", Amount: nd("1"), Reason: "r", Account: "a", Market: "m", Side: spec.Short, Size: nd("2"), Price: nd("3"), Counterparty: "@insurance", Kind: "adl", Pool: spec.Isolated}}
	return sc, rep, st, evs, effs
}

func TestHandMade(t *testing.T) {
	sc, rep, st, evs, effs := handMade()
	same(t, "scenario", AppendScenario(nil, sc), sc)
	same(t, "empty scenario", AppendScenario(nil, &spec.Scenario{}), &spec.Scenario{})
	same(t, "nil scenario", AppendScenario(nil, nil), (*spec.Scenario)(nil))
	same(t, "report", AppendReport(nil, rep), rep)
	same(t, "empty report", AppendReport(nil, &spec.Report{}), &spec.Report{})
	same(t, "nil report", AppendReport(nil, nil), (*spec.Report)(nil))
	same(t, "state", AppendState(nil, st), st)
	same(t, "empty state", AppendState(nil, &spec.State{}), &spec.State{})
	same(t, "nil state", AppendState(nil, nil), (*spec.State)(nil))
	for _, ev := range evs {
		same(t, "event", AppendEvent(nil, &ev), ev)
	}
	same(t, "effects", AppendEffects(nil, effs), effs)
	same(t, "no effects", AppendEffects(nil, []spec.Effect{}), []spec.Effect{})
	same(t, "nil effects", AppendEffects(nil, nil), []spec.Effect(nil))
	e := &spec.Error{Path: "markets.<x>.tiers[0]", Rule: "TIER-6", Msg: "a \"msg\" & \u2029 \xfe"}
	same(t, "error", AppendError(nil, e), e)
	same(t, "nil error", AppendError(nil, nil), (*spec.Error)(nil))
	// Appending keeps what is already in the buffer.
	if got := AppendError([]byte("x:"), &spec.Error{}); string(got) != `x:{"path":"","rule":"","msg":""}` {
		t.Fatalf("AppendError after a prefix: %s", got)
	}
}

// configs are the generator configurations the generated tests draw from.
var configs = []gen.Config{
	{},
	{Isolated: true, EntryBasis: true, ComputedMark: true, Funding: true, ADL: true},
	{Isolated: true, Mode: spec.Isolated, MinPositions: 1},
}

// checkSeed compares the encoder with json.Marshal on the values the
// suite's generators draw with seed, and on the model's answers to them.
func checkSeed(t testing.TB, seed int) {
	c := configs[uint(seed)%uint(len(configs))]
	c.Evaluate, c.NewLedger = model.Evaluate, func(st *spec.State) (gen.LedgerSession, error) { return model.NewLedger(st) }
	for _, s := range []*spec.Scenario{gen.Scenario(c).Example(seed), gen.EdgeScenario(c).Example(seed)} {
		same(t, "scenario", AppendScenario(nil, s), s)
		rep, err := model.Evaluate(s)
		if err != nil {
			var se *spec.Error
			if errors.As(err, &se) {
				same(t, "error", AppendError(nil, se), se)
			}
			continue
		}
		same(t, "report", AppendReport(nil, rep), rep)
	}
	run := gen.LedgerRun(c).Example(seed)
	same(t, "state", AppendState(nil, &run.State), &run.State)
	l, err := model.NewLedger(&run.State)
	if err != nil {
		return
	}
	for _, ev := range run.Events {
		same(t, "event", AppendEvent(nil, &ev), ev)
		effs, err := l.Apply(ev)
		if err != nil {
			continue
		}
		same(t, "effects", AppendEffects(nil, effs), effs)
	}
	st := l.State()
	same(t, "state after the run", AppendState(nil, st), st)
}

func TestGenerated(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	for seed := range n {
		checkSeed(t, seed)
	}
}

// FuzzWire compares the encoder with json.Marshal on generated values
// (seed), with a string and a decimal of the fuzzer's spliced into them
// (market names, reasons, messages; a price, a size, a wallet).
func FuzzWire(f *testing.F) {
	for i, s := range strs {
		f.Add(i, s, int64(i)*12345-7, int32(i%20)-10)
	}
	f.Add(7, "BTC", int64(math.MinInt64), int32(-8))
	f.Fuzz(func(t *testing.T, seed int, s string, coef int64, exp int32) {
		if seed < 0 {
			seed = -seed
		}
		seed %= 1 << 20
		exp %= 80
		checkSeed(t, seed)
		d := decimal.New(coef, exp)
		same(t, "string", AppendString(nil, s), s)
		same(t, "decimal", AppendDecimal(nil, d), d)
		sc := gen.Scenario(configs[seed%len(configs)]).Example(seed)
		sc.Markets[s] = spec.Market{Symbol: s, TickSize: d, MMBasis: spec.MMBasis(s), MarginModes: []spec.MarginMode{spec.MarginMode(s)}}
		sc.Prices[s] = spec.Price{Mark: decimal.NewNullDecimal(d)}
		sc.Account.WalletBalance = d
		sc.Account.Positions = append(sc.Account.Positions, spec.Position{Market: s, Side: spec.Side(s), Size: d, EntryValue: decimal.NewNullDecimal(d)})
		same(t, "scenario with the fuzzer's string and decimal", AppendScenario(nil, sc), sc)
		rep := &spec.Report{Prices: map[string]spec.PriceReport{s: {Mark: d}, "BTCUSDT": {}},
			Positions: []spec.PositionReport{{Market: s, LiquidationPriceReason: s, BankruptcyPrice: decimal.NewNullDecimal(d)}}}
		same(t, "report with the fuzzer's string and decimal", AppendReport(nil, rep), rep)
		effs := []spec.Effect{{Reason: s, Amount: decimal.NewNullDecimal(d), Kind: s}}
		same(t, "effects with the fuzzer's string and decimal", AppendEffects(nil, effs), effs)
		e := &spec.Error{Path: s, Rule: s, Msg: s}
		same(t, "error with the fuzzer's string", AppendError(nil, e), e)
	})
}

// BenchmarkEncode compares the encoder with json.Marshal on a generated
// scenario and the model's report on it.
func BenchmarkEncode(b *testing.B) {
	s := gen.Scenario(configs[1]).Example(3)
	rep, err := model.Evaluate(s)
	if err != nil {
		b.Skip(err)
	}
	b.Run("impl=wire", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = AppendScenario(buf[:0], s)
			buf = AppendReport(buf[:0], rep)
		}
	})
	b.Run("impl=encoding-json", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(s)
			json.Marshal(rep)
		}
	})
}
