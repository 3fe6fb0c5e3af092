package vectors

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

//go:generate go run ../cmd/perpcheck vectors export -examples ../examples v1

// schemaFS holds the JSON Schema files, which Generate writes to schema/.
//
//go:embed schema/*.schema.json
var schemaFS embed.FS

// Options configure Generate.
type Options struct {
	// Examples is the repository's examples directory, whose scenarios and
	// runs become the seed-example vectors.
	Examples string
}

// Generate computes every file of the vector directory, keyed by its path
// relative to the directory (forward slashes): the schemas, the query and
// ledger files and MANIFEST.json. The result depends only on the code and
// the examples: the same inputs give the same bytes.
func Generate(opts Options) (map[string][]byte, error) {
	files := map[string][]byte{}
	schemas, err := fs.Glob(schemaFS, "schema/*.schema.json")
	if err != nil {
		return nil, err
	}
	for _, name := range schemas {
		data, err := schemaFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	qs, err := querySuites(opts)
	if err != nil {
		return nil, err
	}
	for _, b := range qs {
		data, err := encode(b.file())
		if err != nil {
			return nil, err
		}
		files[path.Join("query", b.area, b.suite+".json")] = data
	}
	ls, err := ledgerSuites(opts)
	if err != nil {
		return nil, err
	}
	for _, b := range ls {
		data, err := encode(b.file())
		if err != nil {
			return nil, err
		}
		files[path.Join("ledger", b.area, b.suite+".json")] = data
	}
	m, err := manifestOf(files)
	if err != nil {
		return nil, err
	}
	if files[ManifestName], err = encode(m); err != nil {
		return nil, err
	}
	return files, nil
}

// ManifestName is the manifest's file name.
const ManifestName = "MANIFEST.json"

// Export writes Generate's files under dir, creating directories as needed.
// Files of dir that Generate does not produce are left alone.
func Export(dir string, opts Options) error {
	files, err := Generate(opts)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(mapsKeys(files)) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// encode is the one encoding of every file: JSON broken into lines down to
// the tests (one test per line for query files; one line per field of a
// test for ledger files, whose tests are larger), a final newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	depth := 4
	switch v.(type) {
	case *LedgerFile:
		depth = 5
	case *Manifest:
		depth = 3
	}
	return indentTo(bytes.TrimSpace(buf.Bytes()), depth), nil
}

// indentTo re-indents compact JSON by one space per level, breaking lines
// only inside objects and arrays nested at most depth deep (the document is
// depth 1); deeper values stay on one line.
func indentTo(compact []byte, depth int) []byte {
	var out bytes.Buffer
	level, inString, escaped := 0, false, false
	newline := func(l int) {
		out.WriteByte('\n')
		for i := 0; i < l; i++ {
			out.WriteByte(' ')
		}
	}
	for i, c := range compact {
		if inString {
			out.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			out.WriteByte(c)
		case '{', '[':
			level++
			out.WriteByte(c)
			if level <= depth && i+1 < len(compact) && compact[i+1] != '}' && compact[i+1] != ']' {
				newline(level)
			}
		case '}', ']':
			if level <= depth && compact[i-1] != '{' && compact[i-1] != '[' {
				newline(level - 1)
			}
			level--
			out.WriteByte(c)
		case ',':
			out.WriteByte(c)
			if level <= depth {
				newline(level)
			}
		case ':':
			out.WriteByte(c)
			if level <= depth {
				out.WriteByte(' ')
			}
		default:
			out.WriteByte(c)
		}
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// manifestOf lists every file of files (but the manifest) with its hash
// and number of tests.
func manifestOf(files map[string][]byte) (*Manifest, error) {
	m := &Manifest{Schema: "manifest.schema.json", Version: Version, GeneratorVersion: GeneratorVersion, Files: []ManifestFile{}}
	for _, name := range slices.Sorted(mapsKeys(files)) {
		if name == ManifestName {
			continue
		}
		sum := sha256.Sum256(files[name])
		mf := ManifestFile{Path: name, Kind: kindOf(name), SHA256: hex.EncodeToString(sum[:])}
		if mf.Kind != KindSchema {
			var head struct {
				NumberOfTests int `json:"numberOfTests"`
			}
			if err := json.Unmarshal(files[name], &head); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			mf.NumberOfTests = head.NumberOfTests
		}
		m.NumberOfTests += mf.NumberOfTests
		m.Files = append(m.Files, mf)
	}
	return m, nil
}

// kindOf is the kind of a file by its path.
func kindOf(name string) string {
	switch {
	case strings.HasPrefix(name, "query/"):
		return KindQuery
	case strings.HasPrefix(name, "ledger/"):
		return KindLedger
	}
	return KindSchema
}

// querySuites builds every query file.
func querySuites(opts Options) ([]*queryBuilder, error) {
	var out []*queryBuilder

	seeds := newQuery("RPT", "seed-examples", "The worked examples of the seed documents (examples/scenarios), with venue profiles resolved to full markets.")
	names, err := filepath.Glob(filepath.Join(opts.Examples, "scenarios", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("vectors: no scenarios in %s", filepath.Join(opts.Examples, "scenarios"))
	}
	slices.Sort(names)
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var given spec.Scenario
		if err := strictjson.Unmarshal(data, &given); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s, err := venue.Resolve(&given)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		flags := []string{"seed-example"}
		var rules []string
		for _, m := range given.Markets {
			if m.Profile != "" {
				flags = append(flags, "profile")
				rules = append(rules, "PROF-2")
			}
		}
		seeds.add(qcase{s: s, comment: "examples/scenarios/" + filepath.Base(name), flags: flags, rules: rules})
	}
	out = append(out, seeds)

	liq := newQuery("LIQ", "near-liquidation", "Marks at and one tick / one unit beside a position's liquidation price (gen.NearLiquidation), where POOL-5's trigger flips; liquidation and bankruptcy prices solved tier by tier (LIQ-4) and rounded against the trader (LIQ-5, LIQ-6).")
	fromGenerator(liq, 50, 1000, "gen.NearLiquidation", []string{"near-liquidation"}, gen.NearLiquidation)
	out = append(out, liq)

	tier := newQuery("TIER", "boundaries", "Notionals at and beside tier boundaries (gen.NearTierBoundary): the tier lookup (TIER-7), the maintenance amount (TIER-6), the leverage cap of the tier (QTY-3).")
	fromGenerator(tier, 50, 2000, "gen.NearTierBoundary", []string{"tier-boundary"}, gen.NearTierBoundary)
	out = append(out, tier)

	mark := newQuery("MARK", "computed", "Marks computed from index, last, funding rate, time to funding and basis average (MARK-2..4), with and without a price band.")
	fromGenerator(mark, 30, 3000, "gen.Scenario with computed marks", []string{"computed-mark"}, func(c gen.Config) *rapidScenario {
		c.ComputedMark = true
		return gen.Scenario(c)
	})
	for _, c := range markCases() {
		mark.add(c)
	}
	out = append(out, mark)

	edges := newQuery("NUM", "edges", "Magnitudes at the edges of the fixed-point range (gen.EdgeScenario): reported values that overflow MAX (an NUM-2 error at the report path) or just fit; reported values of exactly MAX or -MAX, computed by hand (gen.Extremes); rounding of quantities that are not on the 1e-8 grid (NUM-4).")
	fromGenerator(edges, 50, 4000, "gen.EdgeScenario", []string{"edge"}, gen.EdgeScenario)
	for _, c := range roundingCases() {
		edges.add(c)
	}
	for _, x := range gen.Extremes() {
		edges.add(qcase{s: x.Scenario, comment: "exactly at the edge (gen.Extremes(), " + x.Name + "): " + x.What, flags: []string{"edge", "hand-made"},
			rules: []string{"NUM-2"}, wantValid: true, check: x.Check})
	}
	out = append(out, edges)

	pools := newQuery("POOL", "random", "Random valid scenarios (gen.Scenario) with every feature: cross and isolated pools, mark and entry basis, given and computed marks.")
	fromGenerator(pools, 40, 5000, "gen.Scenario", []string{"random"}, gen.Scenario)
	out = append(out, pools)

	errs := newQuery("EVAL", "errors", "Invalid scenarios, one broken field each: the error is the first violation in EVAL-2 order, with its path (EVAL-3) and rule. One test per (rule, path shape) from gen.Corrupted, and hand-made cases for the error paths it does not reach.")
	corrupted(errs, 6000, 4000, 1)
	for _, c := range errorCases() {
		errs.add(c)
	}
	out = append(out, errs)

	js := newQuery("EVAL", "json", "Scenarios given as JSON text that the engine must read itself (SPEC NUM-5, EVAL-4): JSON numbers read from their literal text, trailing zeros, exponents, and the EVAL-4 errors (unknown fields, duplicate keys, decimals outside the grammar, wrong types).")
	for _, c := range jsonCases() {
		js.add(c)
	}
	for _, c := range textCases() {
		js.add(c)
	}
	out = append(out, js)

	fields := newQuery("EVAL", "fields", "A scenario's fields (SPEC EVAL-5), as JSON text: every required field absent and null (EVAL-4 at its path, in EVAL-5's order), and a state's fields in a scenario (entryValue under POS-2; account.settings decoded, then ignored).")
	for _, c := range fieldCases() {
		fields.add(c)
	}
	out = append(out, fields)

	states := newQuery("EVAL", "state-accounts", "The trader accounts of the final states perpcheck run writes for examples/runs, each evaluated as its own scenario as perpcheck eval does (SPEC EVAL-6): entryValue beside entryPrice, settings.")
	sa, err := stateAccountCases(opts.Examples)
	if err != nil {
		return nil, err
	}
	for _, c := range sa {
		states.add(c)
	}
	out = append(out, states)

	vars := newQuery("VAR", "variants", "Markets that select the query-layer rule variants of SPEC VAR (POOL-5 trigger, TIER-7 tier bound, TIER-8 schedule, QTY-5 close fee), one at a time and all together: marks at and beside the liquidation price (gen.NearLiquidation) and notionals at and beside tier boundaries (gen.NearTierBoundary), evaluated by the reference under the variant. Each group requires the variants its markets select (\"<rule>:<variant>\", PROTOCOL.md PR-5).")
	variantSuite(vars)
	out = append(out, vars)

	prof := newQuery("PROF", "profiles", "One market of every venue profile, resolved to its full definition (PROF-2: the shipped tables satisfy TIER-1..6), and an isolated position on a venue without isolated mode (PROF-3, a POS-3 error).")
	for _, c := range profileCases() {
		prof.add(c)
	}
	out = append(out, prof)

	pm := newQuery("PM", "portfolio", "Portfolio margin (SPEC PM, MKT-6): the published examples (OKX's MR7 scaling, Deribit's calendar-spread contingency, CME SPAN's single long future) computed by hand in gen.PMGolden, the seeds' example A in portfolio mode, random portfolio accounts (gen.PMScenario: perpetuals and dated futures over up to three underlyings, isolated positions beside), and hand-made PM-1, PM-2 and MKT-6 errors.")
	for _, c := range pmCases() {
		pm.add(c)
	}
	out = append(out, pm)
	out = append(out, findingsSuite())
	return out, nil
}

// variantSuite adds, for each non-default query variant alone and for all of
// them together, scenarios near liquidation and near tier boundaries whose
// markets select it (gen.Config.Variants).
func variantSuite(b *queryBuilder) {
	type vc struct {
		name string
		v    map[string][]string
		imr  bool // gen.Config.ExplicitIMR (SPEC TIER-5: not a variant, a tier field)
	}
	var cs []vc
	all := map[string][]string{}
	for _, ch := range spec.VariantChoices() {
		if !slices.Contains(queryVariantKeys, ch.Key) {
			continue
		}
		for _, n := range ch.Names[1:] {
			cs = append(cs, vc{ch.Rule + ":" + n, map[string][]string{ch.Key: {n}}, false})
		}
		all[ch.Key] = ch.Names
	}
	cs = append(cs, vc{"every query variant", all, false}, vc{"explicit initial margin rates (SPEC TIER-5, QTY-4)", nil, true})
	seed := 7000
	for _, c := range cs {
		for _, g := range []struct {
			what string
			flag string
			n    int
			mk   func(gen.Config) *rapidScenario
		}{{"gen.NearLiquidation", "near-liquidation", 6, gen.NearLiquidation}, {"gen.NearTierBoundary", "tier-boundary", 6, gen.NearTierBoundary}} {
			added := 0
			for k := 0; added < g.n && k < 40*g.n; k++ {
				seed++
				cf := configs[k%len(configs)]
				cf.c.Variants = c.v
				cf.c.ExplicitIMR = c.imr
				s, ok := example(g.mk(cf.c), seed)
				if !ok || s == nil {
					continue
				}
				if b.add(qcase{s: s, comment: fmt.Sprintf("%s under %s (%s), seed %d", g.what, c.name, cf.name, seed), flags: []string{g.flag, "variant"}}) {
					added++
				}
			}
		}
	}
}

// corrupted adds gen.Corrupted's cases at seeds seed0.. (at most tries),
// at most per tests for each (rule, path shape) of the expected error.
func corrupted(b *queryBuilder, seed0, tries, per int) {
	count := map[string]int{}
	for k := 0; k < tries; k++ {
		seed := seed0 + k
		cf := configs[k%len(configs)]
		cr, ok := example(gen.Corrupted(cf.c), seed)
		if !ok {
			continue
		}
		_, _, serr, err := evaluateText(mustJSON(cr.Scenario))
		if err != nil || serr == nil {
			continue
		}
		key := serr.Rule + " " + pathShape(serr.Path)
		if count[key] >= per {
			continue
		}
		if b.add(qcase{s: cr.Scenario, comment: fmt.Sprintf("gen.Corrupted (%s), seed %d: %s", cf.name, seed, cr.Kind), flags: []string{"corrupted"}}) {
			count[key]++
		}
	}
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return data
}

// ledgerSuites builds every ledger file.
func ledgerSuites(opts Options) ([]*ledgerBuilder, error) {
	var out []*ledgerBuilder

	seeds := newLedger("LED", "seed-examples", "The worked runs of examples/runs. open-5-fund-negative.json is the minimal case of SPEC LQ-9 (formerly the gap OPEN-5: the insurance fund goes negative outside LQ-7).")
	names, err := filepath.Glob(filepath.Join(opts.Examples, "runs", "*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var r spec.Run
		if err := strictjson.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		res, err := venue.Resolve(&spec.Scenario{Markets: r.Markets})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.Markets = res.Markets
		flags, rules := []string{"seed-example"}, []string(nil)
		if strings.HasPrefix(filepath.Base(name), "open-5") {
			rules = []string{"LQ-9"} // was the gap OPEN-5 (SPEC LQ-9)
		}
		if _, ok := seeds.add(&r, "examples/runs/"+filepath.Base(name), flags, rules, true); !ok {
			return nil, fmt.Errorf("%s: the reference failed on it", name)
		}
	}
	for _, c := range invalidStates() {
		seeds.add(&spec.Run{State: *c.st}, c.comment, []string{"hand-made"}, nil, false)
	}
	out = append(out, seeds)

	accounts := newLedger("LED", "accounts", "Deposits, withdrawals, isolated margin changes, leverage and margin-mode settings (LED-9), with rejected events that change nothing (LED-7).")
	targetedRuns(accounts, gen.Config{Isolated: true}, 6, 100,
		[]gen.EventKind{gen.Deposit, gen.Open, gen.Margin, gen.Withdraw, gen.Settings, gen.Margin, gen.Withdraw, gen.Settings, gen.Invalid, gen.Margin},
		"account events", func(f ledgerFacts) bool { return f.rejected })
	randomRuns(accounts, gen.Config{Isolated: true, EntryBasis: true}, 6, 200, 20, "isolated, entry basis")
	out = append(out, accounts)

	trades := newLedger("TRD", "trades", "Trades that open, increase, reduce, close and flip positions (TRD-2), with fees (TRD-4), isolated margin transfers (TRD-3) and the initial margin check (TRD-5).")
	targetedRuns(trades, gen.Config{Isolated: true}, 6, 300,
		[]gen.EventKind{gen.Open, gen.Open, gen.Reduce, gen.Open, gen.Reduce, gen.Reduce, gen.Open, gen.PriceMove, gen.Reduce, gen.Invalid},
		"trades", func(f ledgerFacts) bool { return true })
	randomRuns(trades, gen.Config{}, 6, 400, 20, "cross")
	out = append(out, trades)

	fnd := newLedger("FND", "funding", "Funding payments (FND-1..4): capped rates, payers rounded up and receivers down, the remainder to dust, and the liquidation sweep after the payments.")
	targetedRuns(fnd, gen.Config{Funding: true, Isolated: true}, 8, 500,
		[]gen.EventKind{gen.Open, gen.Open, gen.Funding, gen.PriceMove, gen.Funding, gen.Reduce, gen.Funding, gen.Funding},
		"funding", func(f ledgerFacts) bool { return f.funding })
	out = append(out, fnd)

	lq := newLedger("LQ", "liquidations", "Liquidations (LQ-1..8): the sweep after price events, execution at the tick against the trader, solvent pools taken over by the insurance fund with a liquidation fee, and bankrupt pools whose deficit the fund pays.")
	targetedRuns(lq, gen.Config{Isolated: true}, 8, 700,
		[]gen.EventKind{gen.Open, gen.Open, gen.Open, gen.PriceNearLiquidation, gen.PriceGap, gen.PriceNearLiquidation, gen.PriceGap},
		"liquidations", func(f ledgerFacts) bool { return f.liquidation && !f.insurance })
	targetedRuns(lq, gen.Config{Isolated: true}, 5, 900,
		[]gen.EventKind{gen.Open, gen.Open, gen.Open, gen.PriceGap, gen.PriceGap, gen.PriceGap},
		"insurance payouts", func(f ledgerFacts) bool { return f.insurance })
	out = append(out, lq)

	out = append(out, variantsFile(), marginRatesFile())

	adl := newLedger("ADL", "adl", "Auto-deleveraging (LQ-6, LQ-7, ADL-1..3): bankrupt pools that the insurance fund cannot pay, closed against ranked opposite positions at the bankruptcy price.")
	targetedRuns(adl, gen.Config{ADL: true, Isolated: true}, 8, 1100,
		[]gen.EventKind{gen.Open, gen.Open, gen.Open, gen.PriceGap, gen.PriceGap, gen.PriceGap},
		"auto-deleveraging", func(f ledgerFacts) bool { return f.adl })
	adl.add(residualRun(), "an ADL that leaves a residual deficit: a cross short with an entry price below one tick, an empty fund (LQ-7; OPEN-3 is about the isolated variant)", []string{"hand-made"}, nil, true)
	out = append(out, adl)

	pm := newLedger("PM", "portfolio-ledger", "The portfolio-margin ledger (SPEC PM-14..18): portfolio settings and setMarginMode portfolio, trades checked against the portfolio pool's initial margin (PM-15), withdrawals from the wallet's pool (PM-16), and sweeps that liquidate portfolio pools unit by unit, largest MR1 first (PM-17), with insurance and ADL (PM-18). Hand-computed cases: model/ledger_pm_test.go.")
	targetedRuns(pm, gen.Config{Portfolio: true, Isolated: true, ADL: true}, 8, 1500,
		[]gen.EventKind{gen.Open, gen.Open, gen.Settings, gen.Open, gen.PriceGap, gen.PriceMove, gen.PriceGap},
		"portfolio liquidations", func(f ledgerFacts) bool { return f.portfolio })
	randomRuns(pm, gen.Config{Portfolio: true, Funding: true}, 4, 1700, 20, "portfolio, funding")
	for _, h := range pmHandRuns() {
		pm.add(h.run, h.comment, []string{"hand-made"}, nil, true)
	}
	out = append(out, pm)

	bd := newLedger("LED", "boundaries", "Runs that land exactly on the ledger's exact comparisons and tie rules (issue 16): a pool at E == MM before a sweep (POOL-5), a fund exactly at a deficit (LQ-5), a withdrawal or removeMargin one unit above its maximum (LED-9, POOL-6), equal ADL scores (ADL-2) and equal losses (LQ-4), and price events after opening (LED-7: the input state is never modified).")
	boundaryRuns(bd, 2, 1300)
	out = append(out, bd)
	return out, nil
}

// d parses a decimal literal (the hand-made cases' constants).
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// nd is d as a present optional decimal.
func nd(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }
