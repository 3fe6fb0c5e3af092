package fuzz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// corpusSeed is one seed input of a fuzz target.
type corpusSeed struct {
	// Name is the seed's file name in the corpus (no directory).
	Name string
	// Data is the target's single []byte argument.
	Data []byte
}

// Target keys: the fuzz target of key K is FuzzK (the full names appear only
// in the _test.go file of each target, as compile_native_go_fuzzer_v2
// requires).
const (
	KeyEvaluate    = "EvaluateDifferential"
	KeyQueries     = "QueriesDifferential"
	KeyJSON        = "ScenarioJSON"
	KeyDecimal     = "DecimalParse"
	KeyCCXT        = "CCXT"
	KeyRapid       = "EvaluateRapid"
	KeyLedger      = "LedgerDifferential"
	KeyRun         = "RunJSON"
	KeyLedgerRapid = "LedgerRapid"
	KeyPMJSON      = "PMJSON"
	KeyPMRapid     = "PMRapid"
)

// Keys lists the target keys in a fixed order.
var Keys = []string{KeyEvaluate, KeyQueries, KeyJSON, KeyDecimal, KeyCCXT, KeyRapid, KeyLedger, KeyRun, KeyLedgerRapid, KeyPMJSON, KeyPMRapid}

// libFuzzerKeys are the keys of the targets built for OSS-Fuzz /
// ClusterFuzzLite (all but the go-test-only rapid targets).
var libFuzzerKeys = []string{KeyEvaluate, KeyQueries, KeyJSON, KeyDecimal, KeyCCXT, KeyLedger, KeyRun, KeyPMJSON}

// ccxtFile is the real CCXT tier data, relative to the repository root.
const ccxtFile = "venue/data/binance-leverage-tiers-2024-10.ccxt.json"

// ccxtSymbols are the symbols cut from ccxtFile into CCXT seeds.
var ccxtSymbols = []string{"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "BTC/USDT:USDT-241227", "XRP/USDC:USDC"}

// seedCorpora returns the seed inputs of every target by key, built from the
// repository at root (the example scenarios of examples/scenarios and the
// real tier data of venue/data) and from boundary values. The result is
// deterministic.
func seedCorpora(root string) (map[string][]corpusSeed, error) {
	out := make(map[string][]corpusSeed)
	examples, err := exampleFiles(root)
	if err != nil {
		return nil, err
	}

	// ScenarioJSON: the example files as they are, and variants.
	for _, ex := range examples {
		out[KeyJSON] = append(out[KeyJSON], corpusSeed{"example-" + ex.name, ex.data})
	}
	for name, text := range jsonVariants {
		out[KeyJSON] = append(out[KeyJSON], corpusSeed{"json-" + name, []byte(text)})
	}

	// The differential targets: the examples (profiles resolved) and
	// boundary scenarios, encoded for DecodeScenario.
	var scen []namedScenario
	for _, ex := range examples {
		var s spec.Scenario
		if err := strictjson.Unmarshal(ex.data, &s); err != nil {
			return nil, fmt.Errorf("%s: %v", ex.name, err)
		}
		r, err := venue.Resolve(&s)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", ex.name, err)
		}
		scen = append(scen, namedScenario{"example-" + ex.name, r})
	}
	for _, ns := range boundaryScenarios() {
		scen = append(scen, ns)
		// The boundary scenarios as scenario files, too.
		j, err := json.Marshal(ns.s)
		if err != nil {
			return nil, err
		}
		out[KeyJSON] = append(out[KeyJSON], corpusSeed{"boundary-" + ns.name, j})
	}
	out[KeyEvaluate] = append(out[KeyEvaluate], corpusSeed{"defaults", nil})
	for _, ns := range scen {
		b, err := encodeScenario(ns.s)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", ns.name, err)
		}
		out[KeyEvaluate] = append(out[KeyEvaluate], corpusSeed{ns.name, b})
		// Marks moved onto the first position's boundaries.
		for _, sn := range snaps {
			out[KeyEvaluate] = append(out[KeyEvaluate], corpusSeed{ns.name + "-mark-at-" + sn.name, withSnap(b, sn.kind, sn.delta)})
		}
		// Margins that put the liquidation price of each position at the
		// lower boundary of its second tier (or its only one), then the
		// mark at that liquidation price.
		for j := range ns.s.Account.Positions {
			for _, up := range []byte{0, 1} {
				mb := withMarginSnap(b, byte(j), 1, up)
				out[KeyEvaluate] = append(out[KeyEvaluate],
					corpusSeed{fmt.Sprintf("%s-margin-at-tier-boundary-pos%d-up%d", ns.name, j, up), mb},
					corpusSeed{fmt.Sprintf("%s-margin-at-tier-boundary-pos%d-up%d-mark-at-liq", ns.name, j, up), withSnap(mb, 0, 0)})
			}
		}
		for _, up := range updates {
			ups := []MarkUpdate{}
			for _, u := range up.ups {
				if u.Kind == "" {
					// A relative update: the first market's mark scaled.
					u.Value = scaledMark(ns.s, u.Value)
				}
				ups = append(ups, u)
			}
			q, err := encodeQueries(ns.s, ups)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", ns.name, err)
			}
			out[KeyQueries] = append(out[KeyQueries], corpusSeed{ns.name + "-" + up.name, q})
		}
	}
	// Every corruption once, on the cross example.
	if len(scen) > 0 {
		b, _ := encodeScenario(scen[0].s)
		for c := range 16 {
			cb := append(append([]byte(nil), b[:len(b)-1]...), byte(240+c))
			out[KeyEvaluate] = append(out[KeyEvaluate], corpusSeed{fmt.Sprintf("%s-corrupt-%02d", scen[0].name, c), cb})
		}
	}

	// DecimalParse: boundary literals.
	for i, d := range decimalSeeds {
		out[KeyDecimal] = append(out[KeyDecimal], corpusSeed{fmt.Sprintf("decimal-%02d", i), []byte(d)})
	}

	// CCXT: real tables cut from venue/data, and variants.
	cc, err := ccxtSeeds(root)
	if err != nil {
		return nil, err
	}
	out[KeyCCXT] = cc

	// EvaluateRapid and LedgerRapid: rapid's bitstream (little-endian
	// uint64 words) for the suite's generators. Zeros draw the smallest
	// values, a few fixed streams go further, and long pseudo-random streams
	// (4 KiB: a whole scenario, or a whole run of events; a short stream ends
	// the case before anything interesting happens).
	streams := []corpusSeed{{"zeros", make([]byte, 64)}}
	for i, w := range []uint64{1, 0x0101010101010101, 0x8000000000000000, ^uint64(0)} {
		b := make([]byte, 0, 8*64)
		for j := range 64 {
			v := w * uint64(j+1)
			for k := range 8 {
				b = append(b, byte(v>>(8*k)))
			}
		}
		streams = append(streams, corpusSeed{fmt.Sprintf("stream-%d", i), b})
	}
	for i := range 6 {
		r := rand.New(rand.NewPCG(uint64(i), 42))
		b := make([]byte, 4096)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		streams = append(streams, corpusSeed{fmt.Sprintf("random-%d", i), b})
	}
	out[KeyRapid] = append(out[KeyRapid], streams...)
	out[KeyLedgerRapid] = append(out[KeyLedgerRapid], streams...)
	out[KeyPMRapid] = append(out[KeyPMRapid], streams...)
	out[KeyPMJSON] = append(out[KeyPMJSON], pmJSONSeeds()...)
	// The ledger targets: byte patterns for the decoder, and the example run files.
	for i, pat := range [][]byte{
		{},
		{2, 0, 0, 10, 0, 20, 0, 30, 0, 0, 2, 1, 3, 5, 0, 0, 5, 1, 0, 5, 128, 0, 1, 5, 200},
		{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 9, 1, 2, 3, 0, 4, 0, 200, 0, 2, 5, 156, 0, 0, 6, 140, 1, 1, 7, 100},
		{1, 255, 255, 255, 255, 255, 255, 0, 1, 2, 2, 50, 10, 1, 1, 6, 129, 1, 0, 8, 0, 1, 0, 1, 0, 9, 1, 1},
	} {
		out[KeyLedger] = append(out[KeyLedger], corpusSeed{fmt.Sprintf("pattern-%d", i), pat})
	}
	runs, err := filepath.Glob(filepath.Join(root, "examples", "runs", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(runs)
	for _, p := range runs {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out[KeyRun] = append(out[KeyRun], corpusSeed{"example-" + strings.TrimSuffix(filepath.Base(p), ".json"), b})
	}
	for _, k := range Keys {
		sort.Slice(out[k], func(i, j int) bool { return out[k][i].Name < out[k][j].Name })
	}
	return out, nil
}

type namedScenario struct {
	name string
	s    *spec.Scenario
}

type exampleFile struct {
	name string
	data []byte
}

func exampleFiles(root string) ([]exampleFile, error) {
	paths, err := filepath.Glob(filepath.Join(root, "examples", "scenarios", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no example scenarios under %s", root)
	}
	sort.Strings(paths)
	var out []exampleFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, exampleFile{strings.TrimSuffix(filepath.Base(p), ".json"), b})
	}
	return out, nil
}

// snaps are the mark moves of the seeds (snapMark kinds), each for position 0.
var snaps = []struct {
	name  string
	kind  byte
	delta int8
}{
	{"liq", 0, 0},
	{"liq-minus-1u", 0, -1},
	{"liq-exact", 2, 0},
	{"liq-exact-plus-1u", 2, 1},
	{"bkr", 3, 0},
	{"tier-boundary", 5, 0},
	{"entry", 6, 0},
	{"max", 7, 0},
}

// withSnap replaces the encoder's trailing "no snap, no corruption" bytes
// of b by a snap of position 0 of the given kind and delta (in units).
func withSnap(b []byte, kind byte, delta int8) []byte {
	out := append([]byte(nil), b[:len(b)-2]...)
	// k (>= 128 selects a snap, k % 8 its kind), position 0, delta, in
	// units, tier pick 1 (the second tier's minNotional if any).
	out = append(out, 128+kind, 0, byte(delta), 0, 1)
	return append(out, 0) // no corruption
}

// withMarginSnap replaces the encoder's trailing "no margin snap, no mark
// snap, no corruption" bytes of b by a margin snap (snapMargin) of position
// j at tier pick, rounded up when up is 1.
func withMarginSnap(b []byte, j, pick, up byte) []byte {
	out := append([]byte(nil), b[:len(b)-3]...)
	return append(out, 224, j, pick, up, 0, 0)
}

// updates are the mark-update sequences of the queries seeds. A Value of
// Kind "" is a scale in percent of the first market's mark.
var updates = []struct {
	name string
	ups  []MarkUpdate
}{
	{"mark-down-10pct", []MarkUpdate{{Market: 0, Value: 90}}},
	{"mark-up-10pct-then-liq", []MarkUpdate{{Market: 0, Value: 110}, {Market: 0, Kind: "liq"}}},
	{"liq-then-1u-below", []MarkUpdate{{Market: 0, Kind: "liq"}, {Market: 0, Kind: "liq", Delta: -1}}},
	{"bkr-then-liq-then-half", []MarkUpdate{{Market: 0, Kind: "bkr"}, {Market: 0, Kind: "liq", Delta: 1}, {Market: 0, Value: 50}}},
}

// scaledMark returns pct percent of the mark (or index) of s's first market
// (in units, at least one unit).
func scaledMark(s *spec.Scenario, pct int64) int64 {
	names := slices.Sorted(maps.Keys(s.Markets))
	p := s.Prices[names[0]]
	m := p.Mark
	if !m.Valid {
		m = p.Index
	}
	v := toFixed(m.Decimal, 100*one)
	return maxI(u, v/100*pct)
}

// boundaryScenarios are hand-made scenarios at the edges of the ranges.
func boundaryScenarios() []namedScenario {
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	nd := func(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }
	tiers := func() []spec.Tier {
		return []spec.Tier{
			{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")},
			{MinNotional: d("50000"), MaxNotional: d("600000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")},
			{MinNotional: d("600000"), MaxNotional: d("92233720368.54775807"), MaintenanceMarginRate: d("0.5"), MaxLeverage: d("2"), MaintenanceAmount: nd("297050")},
		}
	}
	mk := func(basis spec.MMBasis) spec.Market {
		return spec.Market{TickSize: d("0.1"), LotSize: d("0.001"), MMBasis: basis, Tiers: tiers()}
	}
	mark := func(s string) spec.Price { return spec.Price{Mark: nd(s)} }
	return []namedScenario{
		{"max-wallet-tiny-position", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mk("")},
			Prices:  map[string]spec.Price{"BTCUSDT": mark("0.1")},
			Account: spec.Account{WalletBalance: d("92233720368.54775807"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Short, Size: d("0.001"), EntryPrice: d("0.1"), MarginMode: spec.Cross, Leverage: nd("1")}}},
		}},
		{"notional-at-tier-boundary", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mk(spec.BasisMark), "ETHUSDT": mk(spec.BasisEntry)},
			Prices:  map[string]spec.Price{"BTCUSDT": mark("50000"), "ETHUSDT": mark("600")},
			Account: spec.Account{WalletBalance: d("0"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("1"), EntryPrice: d("50000"), MarginMode: spec.Cross, Leverage: nd("125")},
				{Market: "ETHUSDT", Side: spec.Short, Size: d("1000"), EntryPrice: d("600"), MarginMode: spec.Isolated, Leverage: nd("100")}}},
		}},
		{"huge-notional", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mk("")},
			Prices:  map[string]spec.Price{"BTCUSDT": mark("92233720368.5")},
			Account: spec.Account{WalletBalance: d("1"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("1"), EntryPrice: d("92233720368.5"), MarginMode: spec.Isolated, IsolatedMargin: nd("0")}}},
		}},
		{"short-always-liquidatable", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mk(""), "ETHUSDT": mk("")},
			Prices:  map[string]spec.Price{"BTCUSDT": mark("100"), "ETHUSDT": mark("0.1")},
			Account: spec.Account{WalletBalance: d("0"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("10"), EntryPrice: d("200"), MarginMode: spec.Cross},
				{Market: "ETHUSDT", Side: spec.Short, Size: d("1"), EntryPrice: d("0.1"), MarginMode: spec.Cross}}},
		}},
		{"margin-ratio-above-max", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mk("")},
			Prices:  map[string]spec.Price{"BTCUSDT": mark("300")},
			Account: spec.Account{WalletBalance: d("1000.00000001"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("1000"), EntryPrice: d("301"), MarginMode: spec.Cross, Leverage: nd("3")}}},
		}},
		{"im-of-mixed-leverages", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": mk(""), "ETHUSDT": mk(""), "SOLUSDT": mk(spec.BasisEntry)},
			Prices:  map[string]spec.Price{"BTCUSDT": mark("100.1"), "ETHUSDT": mark("33.3"), "SOLUSDT": mark("7.7")},
			Account: spec.Account{WalletBalance: d("10.001"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("0.001"), EntryPrice: d("100"), MarginMode: spec.Cross, Leverage: nd("3")},
				{Market: "ETHUSDT", Side: spec.Short, Size: d("0.007"), EntryPrice: d("33.4"), MarginMode: spec.Cross, Leverage: nd("7")},
				{Market: "SOLUSDT", Side: spec.Long, Size: d("0.011"), EntryPrice: d("7.6"), MarginMode: spec.Cross, Leverage: nd("11")}}},
		}},
		{"mark-at-band-boundary", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": {TickSize: d("0.01"), LotSize: d("0.001"), MarkPriceBand: nd("0.01"), Tiers: tiers()}},
			Prices:  map[string]spec.Price{"BTCUSDT": {Index: nd("100"), Last: nd("101"), BasisAverage: nd("1")}},
			Account: spec.Account{WalletBalance: d("5"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Long, Size: d("1"), EntryPrice: d("104"), MarginMode: spec.Isolated, Leverage: nd("20")}}},
		}},
		{"computed-mark-banded", &spec.Scenario{
			Markets: map[string]spec.Market{"BTCUSDT": {TickSize: d("0.00000001"), LotSize: d("0.00000001"),
				MarkPriceBand: nd("0.00000001"), FundingIntervalHours: nd("1"), Tiers: tiers()}},
			Prices: map[string]spec.Price{"BTCUSDT": {Index: nd("60000"), Last: nd("70000"),
				FundingRate: nd("-0.003"), SecondsToFunding: nd("3599"), BasisAverage: nd("-12.5")}},
			Account: spec.Account{WalletBalance: d("0.00000001"), Positions: []spec.Position{
				{Market: "BTCUSDT", Side: spec.Short, Size: d("0.00000001"), EntryValue: nd("0.00000001"), MarginMode: spec.Cross}}},
		}},
	}
}

// jsonVariants are scenario documents around the JSON rules (EVAL-4, NUM-5).
var jsonVariants = map[string]string{
	"numbers-as-json-numbers": `{"markets":{"A":{"tickSize":0.01,"lotSize":1e-3,"tiers":[{"minNotional":0,"maxNotional":1E6,"maintenanceMarginRate":0.004,"maxLeverage":125}]}},"prices":{"A":{"mark":100.000000000}},"account":{"walletBalance":92233720368.54775807,"positions":[{"market":"A","side":"long","size":"1.000","entryPrice":"99.99999999","marginMode":"isolated","isolatedMargin":null}]}}`,
	"unknown-field":           `{"markets":{},"prices":{},"account":{"walletBalance":"0","positions":[]},"extra":1}`,
	"duplicate-key":           `{"markets":{},"markets":{},"prices":{},"account":{"walletBalance":"0"}}`,
	"trailing-data":           `{"markets":{},"prices":{},"account":{"walletBalance":"0"}} {}`,
	"bad-decimal":             `{"markets":{},"prices":{},"account":{"walletBalance":"+1"}}`,
	"nine-fraction-digits":    `{"markets":{},"prices":{},"account":{"walletBalance":"0.000000001"}}`,
	"profile-unknown-symbol":  `{"markets":{"X":{"profile":"binance","symbol":"NOPE"}},"prices":{},"account":{"walletBalance":"1"}}`,
	"profile-isolated-on-cross-only": `{"markets":{"BTC":{"profile":"coinbase","symbol":"BTC-PERP"}},"prices":{"BTC":{"mark":"50000"}},` +
		`"account":{"walletBalance":"1000","positions":[{"market":"BTC","side":"short","size":"0.01","entryPrice":"50000","marginMode":"isolated"}]}}`,
	"deep-nesting": strings.Repeat("[", 80) + strings.Repeat("]", 80),
	"account-settings": `{"markets":{"A":{"tickSize":"0.1","lotSize":"0.001","tiers":[{"minNotional":"0","maxNotional":"1000000","maintenanceMarginRate":"0.004","maxLeverage":"125"}]}},` +
		`"prices":{"A":{"mark":"100"}},"account":{"walletBalance":"100","settings":{"A":{"leverage":"50","marginMode":"isolated"},"B":{"leverage":null}},` +
		`"positions":[{"market":"A","side":"short","size":"10","entryValue":"1000.5","marginMode":"isolated","leverage":"50","isolatedMargin":"20"}]}}`,
	"exponents": `{"markets":{"A":{"tickSize":"1e-2","lotSize":"1E0","tiers":[{"minNotional":"0e999","maxNotional":"1e3","maintenanceMarginRate":"1e-2","maxLeverage":"1e1"}]}},` +
		`"prices":{"A":{"mark":"1e2"}},"account":{"walletBalance":"0e-999","positions":[{"market":"A","side":"long","size":"1","entryPrice":"100e-0","marginMode":"cross"}]}}`,
}

// decimalSeeds are literals around the grammar, the grid and the range.
var decimalSeeds = []string{
	"0", "-0", "1", "-1", "0.00000001", "-0.00000001", "0.000000001", "0.000000010",
	"1.500000000", "92233720368.54775807", "-92233720368.54775807", "92233720368.54775808",
	"-92233720368.54775808", "9223372036854775807e-8", "1e3", "1E-8", "1e-9", "1e+3",
	"1e999", "1e-999", "0e999", "0.0e-999", "1e1000", "+1", "NaN", "Inf", "-Inf", "0x10",
	"1_000", " 1", "1.", ".5", "00012.3400", "\u22121", "1e", "1e+", "--1",
	strings.Repeat("9", 60), strings.Repeat("9", 61), "0." + strings.Repeat("0", 58) + "1",
	"92233720368.547758070000000000", "1" + strings.Repeat("0", 10) + "e-8",
}

// ccxtSeeds cuts real tables out of the CCXT data and adds variants.
func ccxtSeeds(root string) ([]corpusSeed, error) {
	raw, err := os.ReadFile(filepath.Join(root, ccxtFile))
	if err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, err
	}
	compact := func(m json.RawMessage) []byte {
		var b bytes.Buffer
		if err := json.Compact(&b, m); err != nil {
			return m
		}
		return b.Bytes()
	}
	obj := func(syms ...string) []byte {
		var b bytes.Buffer
		b.WriteByte('{')
		for i, s := range syms {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(s)
			b.Write(k)
			b.WriteByte(':')
			b.Write(compact(all[s]))
		}
		b.WriteByte('}')
		return b.Bytes()
	}
	var out []corpusSeed
	for _, s := range ccxtSymbols {
		if _, ok := all[s]; !ok {
			return nil, fmt.Errorf("%s: no symbol %s", ccxtFile, s)
		}
		slug := strings.NewReplacer("/", "-", ":", "-").Replace(s)
		out = append(out, corpusSeed{"list-" + slug, compact(all[s])})
	}
	out = append(out, corpusSeed{"object-btc-eth", obj(ccxtSymbols[0], ccxtSymbols[1])})
	// The first symbol whose last tier has the float64 "no cap" sentinel.
	syms := slices.Sorted(maps.Keys(all))
	for _, s := range syms {
		if bytes.Contains(all[s], []byte("e+18")) {
			out = append(out, corpusSeed{"object-sentinel", obj(s)})
			break
		}
	}
	btc := compact(all[ccxtSymbols[0]])
	// info.cum off by one unit (CCXT-2).
	if i := bytes.Index(btc, []byte(`"cum":"50.0"`)); i >= 0 {
		bad := append(append(append([]byte(nil), btc[:i]...), []byte(`"cum":"50.00000001"`)...), btc[i+len(`"cum":"50.0"`):]...)
		out = append(out, corpusSeed{"list-cum-off-by-one-unit", bad})
	}
	out = append(out,
		corpusSeed{"huge-exponents", []byte(`[{"tier":1e999999999,"minNotional":0e999999999,"maxNotional":1e999999999,"maintenanceMarginRate":1e-999999999,"maxLeverage":50,"info":{"cum":"1e999999999"}}]`)},
		corpusSeed{"empty-object", []byte(`{}`)},
		corpusSeed{"empty-list", []byte(`[]`)},
		corpusSeed{"strings-and-int64-sentinel", []byte(`[{"tier":2,"minNotional":"5000","maxNotional":9223372036854775807,"maintenanceMarginRate":"0.01","maxLeverage":"50"},` +
			`{"tier":1,"minNotional":"0","maxNotional":"5000","maintenanceMarginRate":"0.005","maxLeverage":"100","info":{"cum":0}}]`)},
	)
	return out, nil
}
