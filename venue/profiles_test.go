package venue

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestProfilesShipped checks PROF-2 and PROF-3 on every shipped profile:
// dated, sourced, every table valid (TIER-1..6 and MM continuity, checked
// independently), market fields consistent with the profile.
func TestProfilesShipped(t *testing.T) {
	ps := Profiles()
	if len(ps) != 12 {
		t.Fatalf("want 12 profiles, got %d", len(ps))
	}
	if !sort.SliceIsSorted(ps, func(a, b int) bool { return ps[a].ID < ps[b].ID }) {
		t.Fatal("Profiles not sorted by ID")
	}
	date := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	venues := map[string]bool{}
	for _, p := range ps {
		venues[p.Venue] = true
		if p.ID != p.Venue+"@"+p.AsOf || !date.MatchString(p.AsOf) {
			t.Errorf("%s: bad id/date", p.ID)
		}
		if len(p.Sources) == 0 || p.Notes == "" || len(p.Markets) == 0 {
			t.Errorf("%s: needs sources, notes and markets", p.ID)
		}
		if p.MaxLeverage.Sign() <= 0 || p.FundingIntervalHours.Sign() <= 0 ||
			p.IMRange[0].Cmp(p.IMRange[1]) > 0 || p.MMRange[0].Cmp(p.MMRange[1]) > 0 {
			t.Errorf("%s: bad headline figures", p.ID)
		}
		for sym, m := range p.Markets {
			if m.Variants != nil && m.Variants.MaintenanceRate == spec.MaintenanceRateHalfInitial {
				checkHalfInitialTable(t, p.ID+"/"+sym, m.Tiers)
			} else {
				checkTable(t, p.ID+"/"+sym, m.Tiers)
			}
			if m.TickSize.Sign() <= 0 || m.LotSize.Sign() <= 0 {
				t.Errorf("%s/%s: MKT-1", p.ID, sym)
			}
			if m.MMBasis != p.MMBasis || !slices.Equal(m.MarginModes, p.MarginModes) {
				t.Errorf("%s/%s: basis or modes differ from the profile", p.ID, sym)
			}
			if m.Profile != "" || m.Symbol != "" {
				t.Errorf("%s/%s: profile markets must not name a profile", p.ID, sym)
			}
		}
		crossOnly := slices.Equal(p.MarginModes, []spec.MarginMode{spec.Cross})
		if want := p.Venue == "bitstamp" || p.Venue == "coinbase"; crossOnly != want {
			t.Errorf("%s: cross-only is %v, want %v (PROF-3)", p.ID, crossOnly, want)
		}
	}
	for _, v := range []string{"binance", "bybit", "okx", "kucoin", "bitstamp", "coinbase", "hyperliquid", "seed"} {
		if !venues[v] {
			t.Errorf("no profile for %s (PROF-1 names it)", v)
		}
	}
}

// TestSeedOnlyTables: the seed-only tables are tier 1 with the seed's numbers.
func TestSeedOnlyTables(t *testing.T) {
	for _, c := range []struct{ profile, sym, mmr, lev string }{
		{"bybit@2025-01-01", "BTCUSDT", "0.005", "100"},
		{"okx", "BTC-USDT-SWAP", "0.005", "100"},
		{"bitstamp", "BTC-PERP", "0.01", "50"},
		{"coinbase", "BTC-PERP", "0.05", "10"},
	} {
		m, err := Lookup(c.profile, c.sym)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Tiers) != 1 || !m.Tiers[0].MaintenanceMarginRate.Equal(d(c.mmr)) || !m.Tiers[0].MaxLeverage.Equal(d(c.lev)) {
			t.Errorf("%s %s: %+v", c.profile, c.sym, m.Tiers)
		}
	}
	b, _ := Lookup("bybit", "BTCUSDT")
	if b.MMBasis != spec.BasisEntry {
		t.Error("bybit classic is entry basis")
	}
	k, err := Lookup("kucoin", "XBTUSDTM")
	if err != nil || len(k.Tiers) != 12 || !k.Tiers[11].MaintenanceAmount.Decimal.Equal(d("14197100")) {
		t.Fatalf("kucoin XBTUSDTM: %v %+v", err, k.Tiers)
	}
}

// TestBinanceProfile: names, filters and coverage of the Binance profile.
func TestBinanceProfile(t *testing.T) {
	p, err := findProfile("binance")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "binance@2024-10-01" || len(p.Markets) != 349 {
		t.Fatalf("%s has %d markets", p.ID, len(p.Markets))
	}
	for _, sym := range []string{"BTCUSDT", "ETHUSDT", "BTCUSDC", "ETHUSDC", "ETHBTC", "BTCUSDT_241227", "ETHUSDT_250328", "1000PEPEUSDT", "BTCSTUSDT"} {
		if _, ok := p.Markets[sym]; !ok {
			t.Errorf("missing %s", sym)
		}
	}
	for sym, m := range p.Markets {
		if strings.ContainsAny(sym, "/:") {
			t.Errorf("market name %q is not a Binance symbol", sym)
		}
		f, real := binanceFilters[sym]
		if real {
			if !m.TickSize.Equal(d(f.tick)) || !m.LotSize.Equal(d(f.lot)) || !m.LiquidationFeeRate.Valid {
				t.Errorf("%s filters", sym)
			}
			if tl := m.TickSize.Mul(m.LotSize); !tl.Truncate(8).Equal(tl) {
				t.Errorf("%s: tick*lot %s off the 1e-8 grid (LED-1)", sym, tl)
			}
		} else if !m.TickSize.Equal(d("0.00000001")) || !m.LotSize.Equal(d("0.00000001")) || m.LiquidationFeeRate.Valid {
			t.Errorf("%s should have placeholder filters", sym)
		}
	}
	for sym := range binanceFilters {
		if _, ok := p.Markets[sym]; !ok {
			t.Errorf("filter for unknown symbol %s", sym)
		}
	}
	btc := p.Markets["BTCUSDT"]
	if btc.TickSize.String() != "0.1" || btc.LotSize.String() != "0.001" || btc.LiquidationFeeRate.Decimal.String() != "0.0125" {
		t.Fatalf("BTCUSDT filters %s %s %v", btc.TickSize, btc.LotSize, btc.LiquidationFeeRate)
	}
	eth := p.Markets["ETHUSDT"]
	if eth.TickSize.String() != "0.01" || eth.LotSize.String() != "0.001" {
		t.Fatalf("ETHUSDT filters %s %s", eth.TickSize, eth.LotSize)
	}
}

// TestBinanceID covers the CCXT -> Binance symbol mapping.
func TestBinanceID(t *testing.T) {
	for in, want := range map[string]string{
		"BTC/USDT:USDT":         "BTCUSDT",
		"BTC/USDC:USDC":         "BTCUSDC",
		"ETH/BTC:BTC":           "ETHBTC",
		"BTC/USDT:USDT-241227":  "BTCUSDT_241227",
		"1000PEPE/USDT:USDT":    "1000PEPEUSDT",
		"1000BONK/USDC:USDC":    "1000BONKUSDC",
		"ETH/USDT:USDT-250328":  "ETHUSDT_250328",
		"BTCDOM/USDT:USDT":      "BTCDOMUSDT",
		"DEFI/USDT:USDT":        "DEFIUSDT",
		"BTC/USD:BTC":           "BTCUSD",
		"FOOBAR/USDT:USDT-9999": "",
		"BTCUSDT":               "",
		"/USDT:USDT":            "",
		"BTC/:USDT":             "",
		"BTC/USDT:":             "",
		"BTC/USDT:USDT-24122x":  "",
	} {
		got, err := BinanceID(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("BinanceID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestLookup: bare and dated names, errors, copies.
func TestLookup(t *testing.T) {
	a, err := Lookup("binance", "BTCUSDT")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lookup("binance@2024-10-01", "BTCUSDT")
	if err != nil || len(a.Tiers) != len(b.Tiers) {
		t.Fatal("bare name must give the newest snapshot", err)
	}
	_, err = Lookup("binance@2019-01-01", "BTCUSDT")
	wantErr(t, err, "profile", "PROF-1")
	_, err = Lookup("ftx", "BTCUSDT")
	wantErr(t, err, "profile", "PROF-1")
	_, err = Lookup("", "BTCUSDT")
	wantErr(t, err, "profile", "PROF-1")
	_, err = Lookup("binance", "BTC/USDT:USDT")
	wantErr(t, err, "symbol", "PROF-1")
	_, err = Lookup("bitstamp", "BTCUSDT")
	me := wantErr(t, err, "symbol", "PROF-1")
	if !strings.Contains(me.Msg, "BTC-PERP") {
		t.Errorf("message should list the symbols: %s", me.Msg)
	}
	// The result is a copy.
	a.Tiers[0].MaxLeverage = d("1")
	a.MarginModes[0] = "x"
	c, _ := Lookup("binance", "BTCUSDT")
	if !c.Tiers[0].MaxLeverage.Equal(d("125")) || c.MarginModes[0] != spec.Cross {
		t.Fatal("Lookup returned shared state")
	}
	ps := Profiles()
	ps[0].Markets["BTCUSDT"].Tiers[0].MaxLeverage = d("2")
	delete(ps[0].Markets, "ETHUSDT")
	ps[0].Sources[0] = "x"
	if _, err := Lookup("binance", "ETHUSDT"); err != nil {
		t.Fatal("Profiles returned shared state")
	}
	if c, _ := Lookup("binance", "BTCUSDT"); !c.Tiers[0].MaxLeverage.Equal(d("125")) {
		t.Fatal("Profiles returned shared tiers")
	}
}

// checkHalfInitialTable is checkTable for a TIER-3:half-initial table (SPEC
// TIER-3): TIER-1, TIER-2, integer non-increasing leverages >= 1, given
// rates only as checked placeholders (in [0, 1), non-decreasing), and no
// maintenanceAmount (the deduction is a rational of denominator lcm(2L));
// both engines evaluating it is TestHyperliquidETH's.
func checkHalfInitialTable(t *testing.T, name string, ts []spec.Tier) {
	t.Helper()
	one := decimal.NewFromInt(1)
	if len(ts) == 0 || !ts[0].MinNotional.IsZero() {
		t.Fatalf("%s: TIER-1", name)
	}
	for i, x := range ts {
		if x.MinNotional.Cmp(x.MaxNotional) >= 0 || (i > 0 && !x.MinNotional.Equal(ts[i-1].MaxNotional)) {
			t.Errorf("%s[%d]: TIER-2", name, i)
		}
		if x.MaintenanceMarginRate.Sign() < 0 || x.MaintenanceMarginRate.Cmp(one) >= 0 || (i > 0 && x.MaintenanceMarginRate.LessThan(ts[i-1].MaintenanceMarginRate)) {
			t.Errorf("%s[%d]: TIER-3: given rate %s", name, i, x.MaintenanceMarginRate)
		}
		if !x.MaxLeverage.Equal(x.MaxLeverage.Floor()) || x.MaxLeverage.LessThan(one) || (i > 0 && x.MaxLeverage.GreaterThan(ts[i-1].MaxLeverage)) {
			t.Errorf("%s[%d]: TIER-3/TIER-4: leverage %s", name, i, x.MaxLeverage)
		}
		if x.MaintenanceAmount.Valid {
			t.Errorf("%s[%d]: a half-initial table gives no maintenanceAmount", name, i)
		}
	}
}
