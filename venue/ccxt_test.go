package venue

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestEmbeddedBinanceLoads checks CCXT-1/CCXT-2 on the real file: all 349
// symbols load (every info.cum equals the recursion) and every table passes
// the independent TIER-1..6 and continuity check.
func TestEmbeddedBinanceLoads(t *testing.T) {
	tables, err := LoadCCXT(bytes.NewReader(binanceTiersJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 349 {
		t.Fatalf("want 349 symbols, got %d", len(tables))
	}
	for sym, ts := range tables {
		checkTable(t, sym, ts)
	}
	// The BTCST no-cap sentinel is read as maxDecimal.
	bt := tables["BTCST/USDT:USDT"]
	if last := bt[len(bt)-1].MaxNotional; !last.Equal(maxDecimal) {
		t.Fatalf("BTCST last maxNotional %s", last)
	}
}

// researchBTCUSDT is the table of exchange-formulas.md section 1.3(a):
// floor, cap, max leverage, MMR, cum.
var researchBTCUSDT = [][5]string{
	{"0", "50000", "125", "0.004", "0"},
	{"50000", "600000", "100", "0.005", "50"},
	{"600000", "3000000", "75", "0.0065", "950"},
	{"3000000", "12000000", "50", "0.01", "11450"},
	{"12000000", "70000000", "25", "0.02", "131450"},
	{"70000000", "100000000", "20", "0.025", "481450"},
	{"100000000", "230000000", "10", "0.05", "2981450"},
	{"230000000", "480000000", "5", "0.10", "14481450"},
	{"480000000", "600000000", "4", "0.125", "26481450"},
	{"600000000", "800000000", "3", "0.15", "41481450"},
	{"800000000", "1200000000", "2", "0.25", "121481450"},
	{"1200000000", "1800000000", "1", "0.50", "421481450"},
}

// TestBinanceBTCUSDTMatchesResearchNotes compares the shipped BTCUSDT table
// with the research notes' table tier by tier, including cum.
func TestBinanceBTCUSDTMatchesResearchNotes(t *testing.T) {
	m, err := Lookup("binance@2024-10-01", "BTCUSDT")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tiers) != len(researchBTCUSDT) {
		t.Fatalf("want %d tiers, got %d", len(researchBTCUSDT), len(m.Tiers))
	}
	for i, r := range researchBTCUSDT {
		x := m.Tiers[i]
		got := []string{x.MinNotional.String(), x.MaxNotional.String(), x.MaxLeverage.String(),
			x.MaintenanceMarginRate.String(), x.MaintenanceAmount.Decimal.String()}
		for j, w := range r {
			if !d(got[j]).Equal(d(w)) {
				t.Errorf("tier %d field %d: got %s, research notes %s", i+1, j, got[j], w)
			}
		}
		if !x.MaintenanceAmount.Valid {
			t.Errorf("tier %d: maintenance amount not set", i+1)
		}
	}
	// Section 1.2's worked boundary: at 600,000 both tiers give MM 2950.
	b := d("600000")
	if l, r := b.Mul(m.Tiers[1].MaintenanceMarginRate).Sub(m.Tiers[1].MaintenanceAmount.Decimal),
		b.Mul(m.Tiers[2].MaintenanceMarginRate).Sub(m.Tiers[2].MaintenanceAmount.Decimal); !l.Equal(d("2950")) || !r.Equal(d("2950")) {
		t.Fatalf("MM at 600000: %s / %s, want 2950", l, r)
	}
	// ETHUSDT: tiers 1-5 as BTCUSDT's, then the caps the notes give.
	e, err := Lookup("binance", "ETHUSDT")
	if err != nil {
		t.Fatal(err)
	}
	caps := []string{"50000", "600000", "3000000", "12000000", "50000000", "65000000", "150000000", "320000000", "400000000", "530000000", "800000000", "1200000000"}
	for i, c := range caps {
		if !e.Tiers[i].MaxNotional.Equal(d(c)) {
			t.Errorf("ETHUSDT tier %d cap %s, want %s", i+1, e.Tiers[i].MaxNotional, c)
		}
	}
}

// tierJSON writes one CCXT tier with info.cum as a string.
func tierJSON(no int, min, max, mmr, lev, cum string) string {
	return fmt.Sprintf(`{"tier": %d.0, "currency": "USDT", "minNotional": %s, "maxNotional": %s, "maintenanceMarginRate": %s, "maxLeverage": %s, "info": {"bracket": "%d", "cum": "%s"}}`,
		no, min, max, mmr, lev, no, cum)
}

// binance2021 is the 2021 BTCUSDT table of exchange-formulas.md section 1.3(b)
// (gist highfestiva/b71e76f51eed84d56c1be8ebbcc286b5, 2021-03-26; max
// leverages from bradkyle/Qenv qenv/engine/logic/binance.q): floor, cap, MMR,
// max leverage, cum.
var binance2021 = [][5]string{
	{"0", "50000", "0.004", "125", "0"},
	{"50000", "250000", "0.005", "100", "50"},
	{"250000", "1000000", "0.01", "50", "1300"},
	{"1000000", "10000000", "0.025", "20", "16300"},
	{"10000000", "20000000", "0.05", "10", "266300"},
	{"20000000", "50000000", "0.1", "5", "1266300"},
	{"50000000", "100000000", "0.125", "4", "2516300"},
	{"100000000", "200000000", "0.15", "3", "5016300"},
	{"200000000", "300000000", "0.25", "2", "25016300"},
	{"300000000", "500000000", "0.5", "1", "100016300"},
}

func ccxtDoc(sym string, rows [][5]string) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = tierJSON(i+1, r[0], r[1], r[2], r[3], r[4])
	}
	return fmt.Sprintf(`{%q: [%s]}`, sym, strings.Join(parts, ",\n"))
}

// TestLoadCCXT2021TableAndTypo: the 2021 table loads, and its published copy
// with the typo "MMR 2% in tier 4, cum 16,300" (gist
// crackcomm/e29582030d9eeac6c6124a7503cd0ac2, per exchange-formulas.md 1.3(b))
// is rejected by CCXT-2 naming the symbol and the tier.
func TestLoadCCXT2021TableAndTypo(t *testing.T) {
	tables, err := LoadCCXT(strings.NewReader(ccxtDoc("BTC/USDT:USDT", binance2021)))
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, "2021", tables["BTC/USDT:USDT"])

	typo := append([][5]string(nil), binance2021...)
	typo[3][2] = "0.02"
	_, err = LoadCCXT(strings.NewReader(ccxtDoc("BTC/USDT:USDT", typo)))
	me := wantErr(t, err, "BTC/USDT:USDT[3].info.cum", "CCXT-2")
	if !strings.Contains(me.Msg, "tier 4") || !strings.Contains(me.Msg, "16300") || !strings.Contains(me.Msg, "11300") {
		t.Fatalf("message should name tier 4 and both values: %s", me.Msg)
	}
}

// TestLoadCCXTExactDecimals: numbers are read from their literal text.
func TestLoadCCXTExactDecimals(t *testing.T) {
	doc := `[{"tier": 2, "minNotional": 50000, "maxNotional": "600000", "maintenanceMarginRate": 0.0065, "maxLeverage": 75, "info": {"cum": 75.0}},
	         {"tier": 1, "minNotional": 0, "maxNotional": 50000, "maintenanceMarginRate": "0.005", "maxLeverage": "100", "info": null}]`
	ts, err := LoadCCXTList(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := ts[1].MaintenanceMarginRate.String(); got != "0.0065" {
		t.Fatalf("MMR %s", got)
	}
	if !ts[1].MaintenanceAmount.Decimal.Equal(d("75")) || !ts[0].MinNotional.IsZero() {
		t.Fatalf("sorted/derived wrong: %+v", ts)
	}
	checkTable(t, "list", ts)
}

// TestLoadCCXTRejects covers malformed, out-of-grid and rule-breaking input.
func TestLoadCCXTRejects(t *testing.T) {
	ok1 := `{"tier": 1, "minNotional": 0, "maxNotional": 50000, "maintenanceMarginRate": 0.004, "maxLeverage": 125, "info": {"cum": "0"}}`
	ok2 := `{"tier": 2, "minNotional": 50000, "maxNotional": 600000, "maintenanceMarginRate": 0.005, "maxLeverage": 100, "info": {"cum": "50"}}`
	two := func(t2 string) string { return `{"S": [` + ok1 + `,` + t2 + `]}` }
	tier2 := func(min, max, mmr, lev, cum string) string {
		return fmt.Sprintf(`{"tier": 2, "minNotional": %s, "maxNotional": %s, "maintenanceMarginRate": %s, "maxLeverage": %s, "info": {"cum": %s}}`, min, max, mmr, lev, cum)
	}
	cases := []struct {
		name, doc, path, rule string
	}{
		{"float garbage 1e400", two(tier2("50000", "1e400", "0.005", "100", `"50"`)), "S[1].maxNotional", "NUM-2"},
		{"tiny 1e-400", two(tier2("50000", "600000", "1e-400", "100", `"50"`)), "S[1].maintenanceMarginRate", "NUM-1"},
		{"4-digit exponent", two(tier2("50000", "1e4000", "0.005", "100", `"50"`)), "S[1].maxNotional", "CCXT-1"},
		{"9 decimals", two(tier2("50000", "600000", "0.000000001", "100", `"50"`)), "S[1].maintenanceMarginRate", "NUM-1"},
		{"beyond MAX", two(tier2("50000", "92233720368.54775808", "0.005", "100", `"50"`)), "S[1].maxNotional", "NUM-2"},
		{"sentinel not last", `{"S": [` + strings.Replace(ok1, `"maxNotional": 50000`, `"maxNotional": 9.223372036854776E+18`, 1) + `,` + ok2 + `]}`, "S[0].maxNotional", "NUM-2"},
		{"non-contiguous", two(tier2("60000", "600000", "0.005", "100", `"50"`)), "S[1].minNotional", "TIER-2"},
		{"empty tier", two(tier2("50000", "50000", "0.005", "100", `"50"`)), "S[1].maxNotional", "TIER-2"},
		{"negative max", `{"S": [` + strings.Replace(ok1, `"maxNotional": 50000`, `"maxNotional": -5`, 1) + `]}`, "S[0].maxNotional", "TIER-2"},
		{"first min not 0", `{"S": [` + strings.Replace(ok1, `"minNotional": 0`, `"minNotional": 10`, 1) + `]}`, "S[0].minNotional", "TIER-1"},
		{"negative first min", `{"S": [` + strings.Replace(ok1, `"minNotional": 0`, `"minNotional": -1`, 1) + `]}`, "S[0].minNotional", "TIER-1"},
		{"negative MMR", `{"S": [` + strings.Replace(ok1, `0.004`, `-0.004`, 1) + `]}`, "S[0].maintenanceMarginRate", "TIER-3"},
		{"MMR 1", `{"S": [` + strings.Replace(ok1, `0.004`, `1`, 1) + `]}`, "S[0].maintenanceMarginRate", "TIER-3"},
		{"MMR decreasing", two(tier2("50000", "600000", "0.003", "100", `"-50"`)), "S[1].maintenanceMarginRate", "TIER-3"},
		{"negative leverage", `{"S": [` + strings.Replace(ok1, `"maxLeverage": 125`, `"maxLeverage": -125`, 1) + `]}`, "S[0].maxLeverage", "TIER-4"},
		{"leverage rising", two(tier2("50000", "600000", "0.005", "150", `"50"`)), "S[1].maxLeverage", "TIER-4"},
		{"IM below MM", `{"S": [` + strings.Replace(ok1, `0.004`, `0.01`, 1) + `]}`, "S[0].maxLeverage", "TIER-5"},
		{"wrong cum number", two(tier2("50000", "600000", "0.005", "100", `49.99`)), "S[1].info.cum", "CCXT-2"},
		{"first cum not 0", `{"S": [` + strings.Replace(ok1, `"cum": "0"`, `"cum": "1"`, 1) + `]}`, "S[0].info.cum", "CCXT-2"},
		{"missing maxLeverage", `{"S": [{"tier": 1, "minNotional": 0, "maxNotional": 5, "maintenanceMarginRate": 0.004}]}`, "S[0].maxLeverage", "CCXT-1"},
		{"null minNotional", `{"S": [{"tier": 1, "minNotional": null, "maxNotional": 5, "maintenanceMarginRate": 0.004, "maxLeverage": 2}]}`, "S[0].minNotional", "CCXT-1"},
		{"missing tier", `{"S": [{"minNotional": 0, "maxNotional": 5, "maintenanceMarginRate": 0.004, "maxLeverage": 2}]}`, "S[0].tier", "CCXT-1"},
		{"duplicate tier", `{"S": [` + ok1 + `,` + ok1 + `]}`, "S[1].tier", "CCXT-1"},
		{"bool value", `{"S": [{"tier": 1, "minNotional": 0, "maxNotional": true, "maintenanceMarginRate": 0.004, "maxLeverage": 2}]}`, "S[0].maxNotional", "CCXT-1"},
		{"NaN string", `{"S": [{"tier": 1, "minNotional": 0, "maxNotional": "NaN", "maintenanceMarginRate": 0.004, "maxLeverage": 2}]}`, "S[0].maxNotional", "CCXT-1"},
		{"leading plus", `{"S": [{"tier": 1, "minNotional": 0, "maxNotional": "+5", "maintenanceMarginRate": 0.004, "maxLeverage": 2}]}`, "S[0].maxNotional", "CCXT-1"},
		{"hex", `{"S": [{"tier": 1, "minNotional": 0, "maxNotional": "0x10", "maintenanceMarginRate": 0.004, "maxLeverage": 2}]}`, "S[0].maxNotional", "CCXT-1"},
		{"cum object", `{"S": [{"tier": 1, "minNotional": 0, "maxNotional": 5, "maintenanceMarginRate": 0.004, "maxLeverage": 2, "info": {"cum": {}}}]}`, "S[0].info.cum", "CCXT-1"},
		{"tier not object", `{"S": [5]}`, "S[0]", "CCXT-1"},
		{"null tier", `{"S": [null]}`, "S[0]", "CCXT-1"},
		{"empty list", `{"S": []}`, "S", "TIER-1"},
		{"null list", `{"S": null}`, "S", "CCXT-1"},
		{"list not array", `{"S": {}}`, "S", "CCXT-1"},
		{"duplicate symbol", `{"S": [` + ok1 + `], "S": [` + ok1 + `]}`, "S", "CCXT-1"},
		{"empty symbol", `{"": [` + ok1 + `]}`, "", "CCXT-1"},
		{"top-level array", `[` + ok1 + `]`, "", "CCXT-1"},
		{"top-level null", `null`, "", "CCXT-1"},
		{"trailing data", `{"S": [` + ok1 + `]} {}`, "", "CCXT-1"},
		{"truncated", `{"S": [` + ok1, "S", "CCXT-1"},
		{"not JSON", `hello`, "", "CCXT-1"},
		{"empty input", ``, "", "CCXT-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadCCXT(strings.NewReader(c.doc))
			wantErr(t, err, c.path, c.rule)
		})
	}
}

// TestLoadCCXTBounds: too many tiers, too large input.
func TestLoadCCXTBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString(`[`)
	for i := 0; i <= MaxTiers; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"tier": %d, "minNotional": %d, "maxNotional": %d, "maintenanceMarginRate": 0.004, "maxLeverage": 2}`, i+1, i, i+1)
	}
	b.WriteString(`]`)
	_, err := LoadCCXTList(strings.NewReader(b.String()))
	wantErr(t, err, "", "CCXT-1")

	big := bytes.Repeat([]byte(" "), MaxInputBytes+1)
	_, err = LoadCCXT(bytes.NewReader(big))
	me := wantErr(t, err, "", "CCXT-1")
	if !strings.Contains(me.Msg, "larger than") {
		t.Fatalf("unexpected message %s", me.Msg)
	}
	_, err = LoadCCXT(nil)
	wantErr(t, err, "", "CCXT-1")
}

// TestLoadCCXTLiteralBounds: CCXT literals follow the EVAL-4 grammar
// (strictjson.ValidDecimal) with the loader's own bound of maxLiteralLen
// bytes: a 64-byte literal with 63 digits loads, a 65-byte one does not.
func TestLoadCCXTLiteralBounds(t *testing.T) {
	doc := func(maxNotional string) string {
		return `[{"tier": 1, "minNotional": 0, "maxNotional": ` + maxNotional + `, "maintenanceMarginRate": 0.004, "maxLeverage": 2}]`
	}
	long := "5." + strings.Repeat("0", maxLiteralLen-2) // 64 bytes, 63 digits
	tests := []struct {
		name, lit string
		ok        bool
		msg       string
	}{
		{"64 bytes as a number", long, true, ""},
		{"64 bytes as a string", `"` + long + `"`, true, ""},
		{"65 bytes", long + "0", false, "longer than"},
		{"65 bytes as a string", `"` + long + `0"`, false, "longer than"},
		{"3-digit exponent", "5e+000", true, ""},
		{"4-digit exponent", "5e0000", false, "grammar"},
		{"leading point", `".5"`, false, "grammar"},
		{"trailing point", `"5."`, false, "grammar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := LoadCCXTList(strings.NewReader(doc(tt.lit)))
			if tt.ok {
				if err != nil {
					t.Fatalf("LoadCCXTList: %v", err)
				}
				if got := tab[0].MaxNotional; !got.Equal(decimal.New(5, 0)) {
					t.Fatalf("maxNotional = %s, want 5", got)
				}
				return
			}
			me := wantErr(t, err, "[0].maxNotional", "CCXT-1")
			if !strings.Contains(me.Msg, tt.msg) {
				t.Fatalf("message %q does not say %q", me.Msg, tt.msg)
			}
		})
	}
}

// TestLoadCCXTListPaths: the single-list loader uses "[t]" paths.
func TestLoadCCXTListPaths(t *testing.T) {
	_, err := LoadCCXTList(strings.NewReader(`[{"tier": 1, "minNotional": 0, "maxNotional": 5, "maintenanceMarginRate": 0.5, "maxLeverage": 3}]`))
	wantErr(t, err, "[0].maxLeverage", "TIER-5")
	_, err = LoadCCXTList(strings.NewReader(`{}`))
	wantErr(t, err, "", "CCXT-1")
	_, err = LoadCCXTList(strings.NewReader(`[] []`))
	wantErr(t, err, "", "CCXT-1")
}

// TestValidateTiers covers the exported validator on spec tiers.
func TestValidateTiers(t *testing.T) {
	ts := []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")},
		{MinNotional: d("50000"), MaxNotional: d("600000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")},
	}
	out, err := ValidateTiers("markets.X.tiers", ts)
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, "X", out)
	if ts[1].MaintenanceAmount.Valid {
		t.Fatal("input modified")
	}
	ts[1].MaintenanceAmount.Valid, ts[1].MaintenanceAmount.Decimal = true, d("49")
	_, err = ValidateTiers("markets.X.tiers", ts)
	wantErr(t, err, "markets.X.tiers[1].maintenanceAmount", "TIER-6")
	// A hostile decimal with a huge exponent is refused without rescaling.
	ts[1].MaintenanceAmount.Valid = false
	ts[1].MaxNotional = decimal.New(1, 2000000000) // parsers refuse it; constructed directly
	_, err = ValidateTiers("markets.X.tiers", ts)
	wantErr(t, err, "markets.X.tiers[1].maxNotional", "NUM-2")
	ts[1].MaxNotional = decimal.New(1, -2000000000)
	_, err = ValidateTiers("markets.X.tiers", ts)
	wantErr(t, err, "markets.X.tiers[1].maxNotional", "NUM-1")
	_, err = ValidateTiers("t", nil)
	wantErr(t, err, "t", "TIER-1")
}

// TestLoadCCXTBybitDeduction: CCXT-2 also checks Bybit's info.mmDeduction.
// The embedded Bybit file loads (all 20 deductions equal the recursion, see
// data/SOURCES.md); changing tier 8's published deduction 20,500 (by hand:
// 15,460 + 5,600,000 * (0.01 - 0.0091) = 20,500) to 20,501 is rejected at
// info.mmDeduction naming the tier.
func TestLoadCCXTBybitDeduction(t *testing.T) {
	if _, err := LoadCCXT(bytes.NewReader(bybitTiersJSON)); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(bybitTiersJSON), `"mmDeduction": "20500"`, `"mmDeduction": "20501"`, 1)
	if bad == string(bybitTiersJSON) {
		t.Fatal("tier 8's deduction not found in the embedded file")
	}
	_, err := LoadCCXT(strings.NewReader(bad))
	me := wantErr(t, err, "BTC/USDT:USDT[7].info.mmDeduction", "CCXT-2")
	if !strings.Contains(me.Msg, "tier 8") || !strings.Contains(me.Msg, "20501") || !strings.Contains(me.Msg, "20500") {
		t.Fatalf("message should name tier 8 and both values: %s", me.Msg)
	}
}
