package model

import (
	"encoding/json"
	"math"
	"math/big"
	mrand "math/rand"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// baseScenario is valid: a cross long on BTC (Binance tiers) and an isolated
// short on ETH.
func baseScenario() *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{
			"BTC": mkt("0.1", "0.001", spec.BasisMark, binanceTiers()),
			"ETH": mkt("0.01", "0.01", spec.BasisEntry, oneTier("0.01", "50")),
		},
		Prices: map[string]spec.Price{
			"BTC": {Mark: nd("60000")},
			"ETH": {Index: nd("2000"), Last: nd("2001"), FundingRate: nd("0.0001"), SecondsToFunding: nd("3600")},
		},
		Account: spec.Account{WalletBalance: d("10000"), Positions: []spec.Position{
			{Market: "BTC", Side: spec.Long, Size: d("1"), EntryPrice: d("59000"), MarginMode: spec.Cross, Leverage: nd("10")},
			{Market: "ETH", Side: spec.Short, Size: d("10"), EntryPrice: d("2100"), MarginMode: spec.Isolated, IsolatedMargin: nd("1000")},
		}},
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

// SPEC EVAL-1..3: the first violation in EVAL-2 order, at the EVAL-3 path.
func TestErrors(t *testing.T) {
	mkMarket := func(name string, f func(*spec.Market)) func(*spec.Scenario) {
		return func(s *spec.Scenario) {
			m := s.Markets[name]
			m.Tiers = append([]spec.Tier(nil), m.Tiers...)
			f(&m)
			s.Markets[name] = m
		}
	}
	mkPrice := func(name string, f func(*spec.Price)) func(*spec.Scenario) {
		return func(s *spec.Scenario) { p := s.Prices[name]; f(&p); s.Prices[name] = p }
	}
	mkPos := func(i int, f func(*spec.Position)) func(*spec.Scenario) {
		return func(s *spec.Scenario) { f(&s.Account.Positions[i]) }
	}
	for _, c := range []struct {
		name       string
		mutate     func(*spec.Scenario)
		path, rule string
	}{
		{"profile unresolved", mkMarket("ETH", func(m *spec.Market) { m.Profile = "bybit" }), "markets.ETH.profile", "PROF-1"},
		{"tick 9 digits", mkMarket("BTC", func(m *spec.Market) { m.TickSize = d("0.000000001") }), "markets.BTC.tickSize", "NUM-1"},
		{"tick trailing zeros ok, lot absent", mkMarket("BTC", func(m *spec.Market) { m.TickSize = d("0.100000000"); m.LotSize = d("0") }), "markets.BTC.lotSize", "MKT-1"},
		{"tick absent", mkMarket("BTC", func(m *spec.Market) { m.TickSize = spec.Market{}.TickSize }), "markets.BTC.tickSize", "MKT-1"},
		{"lot out of range", mkMarket("BTC", func(m *spec.Market) { m.LotSize = d("92233720368.54775808") }), "markets.BTC.lotSize", "NUM-2"},
		{"NUM-1 before NUM-2", mkMarket("BTC", func(m *spec.Market) { m.LotSize = d("100000000000.000000001") }), "markets.BTC.lotSize", "NUM-1"},
		{"mmBasis", mkMarket("BTC", func(m *spec.Market) { m.MMBasis = "last" }), "markets.BTC.mmBasis", "MKT-3"},
		{"modes dup", mkMarket("BTC", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{spec.Cross, spec.Cross} }), "markets.BTC.marginModes", "MKT-4"},
		{"modes unknown", mkMarket("BTC", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{"spread"} }), "markets.BTC.marginModes", "MKT-4"},
		{"fee rate 1", mkMarket("BTC", func(m *spec.Market) { m.LiquidationFeeRate = nd("1") }), "markets.BTC.liquidationFeeRate", "MKT-5"},
		{"funding hours 0", mkMarket("BTC", func(m *spec.Market) { m.FundingIntervalHours = nd("0") }), "markets.BTC.fundingIntervalHours", "MKT-5"},
		{"band 1", mkMarket("BTC", func(m *spec.Market) { m.MarkPriceBand = nd("1") }), "markets.BTC.markPriceBand", "MKT-5"},
		{"taker fee", mkMarket("BTC", func(m *spec.Market) { m.TakerFeeRate = nd("-0.01") }), "markets.BTC.takerFeeRate", "MKT-5"},
		{"funding cap", mkMarket("BTC", func(m *spec.Market) { m.FundingRateCap = nd("0") }), "markets.BTC.fundingRateCap", "MKT-5"},
		{"no tiers", mkMarket("BTC", func(m *spec.Market) { m.Tiers = nil }), "markets.BTC.tiers", "TIER-1"},
		{"tier0 min", mkMarket("BTC", func(m *spec.Market) { m.Tiers[0].MinNotional = d("1") }), "markets.BTC.tiers[0].minNotional", "TIER-1"},
		{"tier field NUM", mkMarket("BTC", func(m *spec.Market) { m.Tiers[3].MaxLeverage = d("12.123456789") }), "markets.BTC.tiers[3].maxLeverage", "NUM-1"},
		{"tier min >= max", mkMarket("BTC", func(m *spec.Market) { m.Tiers[1].MaxNotional = d("50000") }), "markets.BTC.tiers[1].maxNotional", "TIER-2"},
		{"tier gap", mkMarket("BTC", func(m *spec.Market) { m.Tiers[2].MinNotional = d("600001") }), "markets.BTC.tiers[2].minNotional", "TIER-2"},
		{"mmr 1", mkMarket("BTC", func(m *spec.Market) { m.Tiers[0].MaintenanceMarginRate = d("1") }), "markets.BTC.tiers[0].maintenanceMarginRate", "TIER-3"},
		{"mmr falls", mkMarket("BTC", func(m *spec.Market) { m.Tiers[1].MaintenanceMarginRate = d("0.003") }), "markets.BTC.tiers[1].maintenanceMarginRate", "TIER-3"},
		{"lev < 1", mkMarket("BTC", func(m *spec.Market) { m.Tiers[4].MaxLeverage = d("0.5") }), "markets.BTC.tiers[4].maxLeverage", "TIER-4"},
		{"lev rises", mkMarket("BTC", func(m *spec.Market) { m.Tiers[1].MaxLeverage = d("150") }), "markets.BTC.tiers[1].maxLeverage", "TIER-4"},
		{"IM covers MM", mkMarket("BTC", func(m *spec.Market) { m.Tiers[4].MaintenanceMarginRate = d("0.05") }), "markets.BTC.tiers[4].maxLeverage", "TIER-5"},
		{"cum 900 (Binance tier 3 is 950)", mkMarket("BTC", func(m *spec.Market) { m.Tiers[2].MaintenanceAmount = nd("900") }), "markets.BTC.tiers[2].maintenanceAmount", "TIER-6"},
		{"markets in byte order", func(s *spec.Scenario) {
			mkMarket("ETH", func(m *spec.Market) { m.TickSize = d("0") })(s)
			mkMarket("BTC", func(m *spec.Market) { m.LotSize = d("0") })(s)
		}, "markets.BTC.lotSize", "MKT-1"},
		{"markets before prices", func(s *spec.Scenario) {
			mkPrice("BTC", func(p *spec.Price) { p.Mark = nd("0") })(s)
			mkMarket("ETH", func(m *spec.Market) { m.TickSize = d("0") })(s)
		}, "markets.ETH.tickSize", "MKT-1"},
		{"unknown price key", func(s *spec.Scenario) { s.Prices["XRP"] = spec.Price{Mark: nd("1")} }, "prices.XRP", "PRICE-1"},
		{"mark 0", mkPrice("BTC", func(p *spec.Price) { p.Mark = nd("0") }), "prices.BTC.mark", "MARK-1"},
		{"mark 9 digits", mkPrice("BTC", func(p *spec.Price) { p.Mark = nd("60000.000000001") }), "prices.BTC.mark", "NUM-1"},
		{"NUM of all fields before MARK-1", mkPrice("BTC", func(p *spec.Price) { p.Mark = nd("-1"); p.BasisAverage = nd("1e12") }), "prices.BTC.basisAverage", "NUM-2"},
		{"no mark, no index", mkPrice("ETH", func(p *spec.Price) { p.Index = nullDec(0); p.Index.Valid = false }), "prices.ETH.index", "MARK-2"},
		{"no mark, last 0", mkPrice("ETH", func(p *spec.Price) { p.Last = nd("0") }), "prices.ETH.last", "MARK-2"},
		{"secondsToFunding < 0", mkPrice("ETH", func(p *spec.Price) { p.SecondsToFunding = nd("-1") }), "prices.ETH.secondsToFunding", "MARK-2"},
		{"computed mark 0", mkPrice("ETH", func(p *spec.Price) {
			p.Index, p.Last, p.BasisAverage, p.FundingRate = nd("0.00000001"), nd("0.00000001"), nd("-1"), nd("-0.9")
		}), "prices.ETH.mark", "MARK-4"},
		{"wallet < 0", func(s *spec.Scenario) { s.Account.WalletBalance = d("-1") }, "account.walletBalance", "ACC-1"},
		{"wallet out of range", func(s *spec.Scenario) { s.Account.WalletBalance = d("1e12") }, "account.walletBalance", "NUM-2"},
		{"unknown market", mkPos(1, func(p *spec.Position) { p.Market = "XRP" }), "account.positions[1].market", "POS-1"},
		{"missing price", func(s *spec.Scenario) { delete(s.Prices, "BTC") }, "account.positions[0].market", "PRICE-2"},
		{"side", mkPos(0, func(p *spec.Position) { p.Side = "buy" }), "account.positions[0].side", "POS-2"},
		{"size > 8 digits", mkPos(0, func(p *spec.Position) { p.Size = d("1.000000001") }), "account.positions[0].size", "NUM-1"},
		{"size not a lot multiple", mkPos(0, func(p *spec.Position) { p.Size = d("1.0005") }), "account.positions[0].size", "POS-2"},
		{"size 0", mkPos(0, func(p *spec.Position) { p.Size = d("0") }), "account.positions[0].size", "POS-2"},
		{"entry 0", mkPos(0, func(p *spec.Position) { p.EntryPrice = d("0") }), "account.positions[0].entryPrice", "POS-2"},
		{"entryValue inconsistent", mkPos(0, func(p *spec.Position) { p.EntryValue = nd("59000.01") }), "account.positions[0].entryValue", "POS-2"},
		{"mode not offered", func(s *spec.Scenario) {
			mkMarket("ETH", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{spec.Cross} })(s)
		}, "account.positions[1].marginMode", "POS-3"},
		{"mode unknown", mkPos(0, func(p *spec.Position) { p.MarginMode = "portfolio" }), "account.positions[0].marginMode", "POS-3"},
		{"duplicate market", mkPos(1, func(p *spec.Position) { p.Market = "BTC"; p.EntryPrice = d("60000"); p.Size = d("1") }), "account.positions[1].market", "POS-6"},
		{"leverage above max", mkPos(0, func(p *spec.Position) { p.Leverage = nd("126") }), "account.positions[0].leverage", "POS-4"},
		{"leverage below 1", mkPos(0, func(p *spec.Position) { p.Leverage = nd("0.99") }), "account.positions[0].leverage", "POS-4"},
		{"isolated margin on cross", mkPos(0, func(p *spec.Position) { p.IsolatedMargin = nd("100") }), "account.positions[0].isolatedMargin", "POS-5"},
		{"isolated margin NUM before POS-5", mkPos(0, func(p *spec.Position) { p.IsolatedMargin = nd("0.000000001") }), "account.positions[0].isolatedMargin", "NUM-1"},
		{"isolated margin < 0", mkPos(1, func(p *spec.Position) { p.IsolatedMargin = nd("-1") }), "account.positions[1].isolatedMargin", "POS-5"},
		{"reported notional", mkPos(0, func(p *spec.Position) { p.Size = d("10000000"); p.Leverage = nd("1") }), "positions[0].notional", "NUM-2"},
		{"reported isolated margin (POS-5 default)", func(s *spec.Scenario) {
			s.Prices["ETH"] = spec.Price{Mark: nd("40000000000")}
			mkPos(1, func(p *spec.Position) {
				p.Side, p.Size, p.EntryPrice, p.Leverage, p.IsolatedMargin = spec.Long, d("2"), d("70000000000"), nd("1"), nullDec(0)
				p.IsolatedMargin.Valid = false
			})(s)
		}, "positions[1].isolatedMargin", "NUM-2"},
		{"reported pool equity", func(s *spec.Scenario) {
			s.Account.WalletBalance = d("92233720368")
		}, "pools[0].equity", "NUM-2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := baseScenario()
			c.mutate(s)
			before := snapshot(t, s)
			r, err := Evaluate(s)
			if after := snapshot(t, s); after != before {
				t.Errorf("Evaluate modified its input")
			}
			if r != nil {
				t.Errorf("a report alongside an error")
			}
			e, ok := err.(*spec.Error)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Path != c.path || e.Rule != c.rule {
				t.Errorf("got %s %s (%s), want %s %s", e.Path, e.Rule, e.Msg, c.path, c.rule)
			}
		})
	}
}

// The base scenario is valid, Evaluate does not modify it (EVAL-1), and two
// evaluations agree.
func TestBaseScenarioAndNoMutation(t *testing.T) {
	s := baseScenario()
	before := snapshot(t, s)
	r1 := mustEval(t, s)
	r2 := mustEval(t, s)
	if snapshot(t, s) != before {
		t.Fatal("Evaluate modified its input")
	}
	a, _ := json.Marshal(r1)
	b, _ := json.Marshal(r2)
	if string(a) != string(b) {
		t.Fatal("two evaluations differ")
	}
	// The ETH mark is computed (MARK-2..4): P1 = 2000*(1 + 0.0001*3600/28800)
	// = 2000.025, P2 = 2000, P3 = 2001: median 2000.025.
	if p := r1.Prices["ETH"]; !p.Computed || !p.Mark.Equal(d("2000.025")) {
		t.Errorf("ETH price = %+v, want computed 2000.025", p)
	}
	if len(r1.Pools) != 2 || r1.Pools[0].Position != -1 || r1.Pools[1].Position != 1 {
		t.Errorf("pools = %+v", r1.Pools)
	}
}

func TestFixedFromDecimal(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Fixed
		rule string
	}{
		{"1.5", 150_000_000, ""},
		{"1.500000000", 150_000_000, ""},
		{"-0.00000001", -1, ""},
		{"92233720368.54775807", MaxFixed, ""},
		{"-92233720368.54775807", -MaxFixed, ""},
		{"92233720368.54775808", 0, "NUM-2"},
		{"-92233720368.54775808", 0, "NUM-2"},
		{"0.000000001", 0, "NUM-1"},
		{"1e-1000", 0, "NUM-1"},
		{"0e-1000", 0, ""},
		{"1e12", 0, "NUM-2"},
		{"1e1000", 0, "NUM-2"},
		{"12.3e-2", 12_300_000, ""},
	} {
		got, err := FixedFromDecimal(d(c.in))
		if c.rule == "" {
			if err != nil || got != c.want {
				t.Errorf("FixedFromDecimal(%s) = %d, %v; want %d", c.in, got, err, c.want)
			}
			continue
		}
		if e, ok := err.(*spec.Error); !ok || e.Rule != c.rule {
			t.Errorf("FixedFromDecimal(%s) err = %v, want rule %s", c.in, err, c.rule)
		}
	}
	for _, c := range []struct {
		f    Fixed
		want string
	}{{0, "0"}, {1, "0.00000001"}, {-1, "-0.00000001"}, {150_000_000, "1.5"}, {-200_000_000, "-2"},
		{MaxFixed, "92233720368.54775807"}, {-MaxFixed, "-92233720368.54775807"}, {123_456_789_000, "1234.56789"}} {
		if got := c.f.String(); got != c.want {
			t.Errorf("Fixed(%d).String() = %q, want %q", int64(c.f), got, c.want)
		}
		if !c.f.Decimal().Equal(d(c.want)) {
			t.Errorf("Fixed(%d).Decimal() = %s", int64(c.f), c.f.Decimal())
		}
	}
}

// fromDecimal (int64 fast path and big.Int path) against math/big.Rat.
func TestFromDecimalRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	maxR := new(big.Rat).SetInt64(math.MaxInt64)
	br := rand2big(r)
	for i := 0; i < 30000; i++ {
		c := new(big.Int).Rand(br, new(big.Int).Lsh(big.NewInt(1), uint(1+r.IntN(90))))
		if r.IntN(2) == 0 {
			c.Neg(c)
		}
		exp := int32(r.IntN(50) - 30)
		dv := decimal.NewFromBigInt(c, exp)
		got, rule := fromDecimal(dv)
		// want: c * 10^exp * 1e8
		v := new(big.Rat).SetInt(c)
		p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(exp+8))), nil))
		if exp+8 >= 0 {
			v.Mul(v, p)
		} else {
			v.Quo(v, p)
		}
		var wantRule string
		switch {
		case !v.IsInt():
			wantRule = "NUM-1"
		case new(big.Rat).Abs(v).Cmp(maxR) > 0:
			wantRule = "NUM-2"
		}
		if rule != wantRule || (rule == "" && v.Num().Int64() != got) {
			t.Fatalf("fromDecimal(%s) = %d %q, want %s %q", dv, got, rule, v.RatString(), wantRule)
		}
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// rand2big adapts math/rand/v2 to the math/rand source big.Int.Rand needs.
func rand2big(r *rand.Rand) *mrand.Rand { return mrand.New(mrand.NewSource(int64(r.Uint64()))) }
