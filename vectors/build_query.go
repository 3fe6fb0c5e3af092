package vectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// The capabilities a group may require. All but RawJSON are PROTOCOL.md
// PR-5's capability names.
const (
	CapIsolated     = "isolated"
	CapEntryBasis   = "entry-basis"
	CapComputedMark = "computed-mark"
	CapErrorPaths   = "error-paths"
	CapLedger       = "ledger"
	CapFunding      = "funding"
	CapADL          = "adl"
	// CapPortfolio is portfolio margin (SPEC PM, MKT-6).
	CapPortfolio = "portfolio"
	// CapRawJSON is the ability to read a scenario from its JSON text (SPEC
	// NUM-5, EVAL-4): JSON numbers, unknown fields, duplicate keys and
	// decimals outside the grammar. A runner that can only pass decoded
	// scenarios (perpcheck/1's Go client) lacks it.
	CapRawJSON = "raw-json"
	// CapExplicitIMR is tier tables with explicit initial margin rates
	// (initialMarginRate, SPEC TIER-5, QTY-4; properties.CapExplicitIMR).
	CapExplicitIMR = "explicit-imr"
)

// AllCapabilities lists every capability a group may require: the
// capabilities above, sorted, then the rule variants of SPEC VAR the query
// vectors use, as "<rule>:<variant>" (properties.VariantCapability's form).
func AllCapabilities() []string {
	caps := []string{CapADL, CapComputedMark, CapEntryBasis, CapErrorPaths, CapExplicitIMR, CapFunding, CapIsolated, CapLedger, CapPortfolio, CapRawJSON}
	for _, c := range spec.VariantChoices() {
		for _, n := range c.Names {
			caps = append(caps, c.Rule+":"+n) // SPEC VAR-2: every variant
		}
	}
	return caps
}

// queryVariantKeys are the choices of SPEC VAR the query vectors draw (the
// query-layer rules).
var queryVariantKeys = []string{"trigger", "tierBound", "tierSchedule", "maintenanceRate", "closeFee"}

// queryLayer are the choices of SPEC VAR that change a report.
var queryLayer = map[string]bool{"trigger": true, "tierBound": true, "tierSchedule": true, "maintenanceRate": true, "closeFee": true}

// queryNotes explains the flags of query files.
var queryNotes = map[string]string{
	"seed-example":     "a worked example of the seed documents (examples/scenarios), resolved from its venue profile",
	"near-liquidation": "the mark is at, or one tick / one unit beside, a liquidation price (gen.NearLiquidation): the trigger flips here",
	"tier-boundary":    "a notional at, or one unit / one tick beside, a tier boundary (gen.NearTierBoundary)",
	"edge":             "magnitudes at the edges of the fixed-point range (gen.EdgeScenario): reported values overflow (NUM-2) or just fit",
	"computed-mark":    "at least one mark is computed from index, last, funding and basis (MARK-2..4)",
	"random":           "a random valid scenario (gen.Scenario) with every feature",
	"corrupted":        "a valid scenario with one field broken (gen.Corrupted); the error is the first violation in EVAL-2 order",
	"variant":          "the markets select rule variants of SPEC VAR (the group requires them)",
	"hand-made":        "written by hand for an error path or an edge the generators do not reach",
	"profile":          "the market is a venue profile's market, resolved to its full definition",
	"raw-json":         "the scenario must be read from its JSON text exactly as written (JSON numbers, unknown fields, duplicate keys, bad decimal literals)",
	"overflow":         "a reported value exceeds MAX (NUM-2)",
	"required-field":   "a required field of EVAL-5 absent or null: EVAL-4 at its path, reported when its object ends (after the errors inside that object), in EVAL-5's order",
	"state-fields":     "a state's fields in a scenario (EVAL-5): entryValue under POS-2, account.settings decoded and otherwise ignored",
	"portfolio":        "an account with positions in portfolio mode (SPEC PM): risk units by underlying, the shock grid, the report's portfolio section",
	"published":        "a published example (OKX, Deribit, CME SPAN) whose numbers are computed by hand in gen.PMGolden",
	"boundary":         "an exact comparison of SPEC on the side the comment names (PM-10's E = MM, PM-11's r = -1), the values checked by hand when the file is built",
	"state-account":    "an account of a state that perpcheck run writes (examples/runs), evaluated as its own scenario (EVAL-6)",
}

// qcase is a query test before it is evaluated.
type qcase struct {
	s       *spec.Scenario
	raw     []byte // the scenario's text, for raw-json tests (s is nil)
	comment string
	flags   []string
	rules   []string // rules named besides the derived ones
	// wantPath and wantRule, when wantRule is set, are the error written by
	// hand from SPEC; wantValid says the scenario is valid. add panics if the
	// reference disagrees (a bug in the case or in the reference).
	wantPath, wantRule string
	wantValid          bool
	// check, when set, returns what is wrong in the reference's report by
	// values computed by hand from SPEC (empty when none): add panics then.
	check func(*spec.Report) string
}

// queryBuilder collects the tests of one query file.
type queryBuilder struct {
	area, suite string
	header      []string
	tests       []QueryTest
	requires    [][]string
	seen        map[string]bool
}

func newQuery(area, suite string, header ...string) *queryBuilder {
	return &queryBuilder{area: area, suite: suite, header: header, seen: map[string]bool{}}
}

// add evaluates c with the reference and appends the test; it returns false
// when the scenario was already in the file or the reference failed
// internally (never expected).
func (b *queryBuilder) add(c qcase) bool {
	raw := c.raw
	requires := map[string]bool{}
	if raw == nil {
		var err error
		if raw, err = json.Marshal(c.s); err != nil {
			return false
		}
	} else {
		requires[CapRawJSON] = true
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return false
		}
		raw = buf.Bytes()
	}
	if b.seen[string(raw)] {
		return false
	}
	s, rep, serr, err := evaluateText(raw)
	if err != nil {
		return false
	}
	switch {
	case c.wantRule != "" && (serr == nil || serr.Path != c.wantPath || serr.Rule != c.wantRule):
		panic(fmt.Sprintf("vectors: %s: the reference gives %v, the case says %s at %s", c.comment, serr, c.wantRule, c.wantPath))
	case c.wantValid && serr != nil:
		panic(fmt.Sprintf("vectors: %s: the reference gives %v, the case says valid", c.comment, serr))
	case c.check != nil && serr == nil:
		if msg := c.check(rep); msg != "" {
			panic(fmt.Sprintf("vectors: %s: %s", c.comment, msg))
		}
	}
	b.seen[string(raw)] = true
	t := QueryTest{TcID: len(b.tests) + 1, Comment: c.comment, Flags: sortedSet(c.flags)}
	if requires[CapRawJSON] {
		t.ScenarioText = string(raw)
	} else {
		t.Scenario = s
	}
	rules := map[string]bool{}
	for _, r := range c.rules {
		rules[r] = true
	}
	if s != nil {
		for _, f := range scenarioFeatures(s, serr == nil) {
			requires[f] = true
		}
	}
	if serr != nil {
		t.Result = ResultInvalid
		t.Expected.Error = &ExpectedError{Path: serr.Path, Rule: serr.Rule}
		requires[CapErrorPaths] = true
		rules[serr.Rule] = true
		rules["EVAL-1"], rules["EVAL-2"], rules["EVAL-3"] = true, true, true
		if strings.HasPrefix(serr.Path, "positions[") || strings.HasPrefix(serr.Path, "pools[") {
			t.Flags = sortedSet(append(t.Flags, "overflow"))
		}
	} else {
		t.Result = ResultValid
		t.Expected.Report = rep
		for _, r := range reportRules(s, rep) {
			rules[r] = true
		}
	}
	t.Rules = sortRules(slices.Collect(maps.Keys(rules)))
	b.tests = append(b.tests, t)
	b.requires = append(b.requires, sortedSet(slices.Collect(maps.Keys(requires))))
	return true
}

// file groups the tests by what they require (groupByRequires).
func (b *queryBuilder) file() *QueryFile {
	groups, reqs, notes := groupByRequires(b.tests, b.requires, func(t QueryTest) []string { return t.Flags }, queryNotes)
	f := &QueryFile{FileHeader: FileHeader{Schema: "query.schema.json", GeneratorVersion: GeneratorVersion, Area: b.area, Suite: b.suite,
		NumberOfTests: len(b.tests), Header: b.header, Notes: notes}}
	for i, g := range groups {
		f.TestGroups = append(f.TestGroups, QueryGroup{Type: "QueryTest", Requires: reqs[i], Tests: g})
	}
	return f
}

// groupByRequires groups tests by the capabilities they require (requires[i]
// for tests[i]), groups in the order of their first test, and collects the
// notes (from all) of the flags the tests use.
func groupByRequires[T any](tests []T, requires [][]string, flags func(T) []string, all map[string]string) (groups [][]T, reqs [][]string, notes map[string]string) {
	notes = map[string]string{}
	index := map[string]int{}
	for i, t := range tests {
		key := strings.Join(requires[i], ",")
		g, ok := index[key]
		if !ok {
			g = len(groups)
			index[key] = g
			groups = append(groups, nil)
			reqs = append(reqs, requires[i])
		}
		groups[g] = append(groups[g], t)
		for _, fl := range flags(t) {
			notes[fl] = all[fl]
		}
	}
	return groups, reqs, notes
}

// evaluateText decodes a scenario's text as SPEC EVAL-4 says (a decoding
// error is rule EVAL-4 at its path, "$" for the document) and evaluates it
// with the reference. err is an internal failure of the reference.
func evaluateText(raw []byte) (*spec.Scenario, *spec.Report, *spec.Error, error) {
	var s spec.Scenario
	if err := strictjson.Unmarshal(raw, &s); err != nil {
		return nil, nil, jsonError(err), nil
	}
	rep, err := reference.Evaluate(&s)
	if err != nil {
		var se *spec.Error
		if errors.As(err, &se) {
			return &s, nil, se, nil
		}
		return nil, nil, nil, err
	}
	return &s, rep, nil, nil
}

// jsonError is the EVAL-4 error of a decoding error.
func jsonError(err error) *spec.Error {
	var je *strictjson.Error
	if errors.As(err, &je) {
		path := je.Path
		if path == "" {
			path = "$"
		}
		return &spec.Error{Path: path, Rule: "EVAL-4", Msg: je.Msg}
	}
	return &spec.Error{Path: "$", Rule: "EVAL-4", Msg: err.Error()}
}

// scenarioFeatures lists the capabilities evaluating s needs; with variants,
// the non-default query-layer rule variants its markets select (SPEC VAR-2). An invalid
// scenario needs none: every engine validates every variants key (VAR-1).
func scenarioFeatures(s *spec.Scenario, variants bool) []string {
	var out []string
	for _, p := range s.Account.Positions {
		if p.MarginMode == spec.Isolated {
			out = append(out, CapIsolated)
		}
		if p.MarginMode == spec.Portfolio {
			out = append(out, CapPortfolio)
		}
	}
	for _, m := range s.Markets {
		if m.MMBasis == spec.BasisEntry {
			out = append(out, CapEntryBasis)
		}
		if m.Underlying != "" || m.Expiry != nil || m.PortfolioMargin != nil {
			out = append(out, CapPortfolio) // MKT-6 and PM-1 fields
		}
		if len(m.Tiers) > 0 && m.Tiers[0].InitialMarginRate != nil {
			out = append(out, CapExplicitIMR) // SPEC TIER-5, QTY-4
		}
		if m.Variants == nil || !variants {
			continue
		}
		for _, ch := range spec.VariantChoices() {
			if !queryLayer[ch.Key] {
				continue // a ledger variant does not change a report
			}
			if n := m.Variants.Get(ch.Key); n != "" && n != ch.Names[0] {
				out = append(out, ch.Rule+":"+n)
			}
		}
	}
	for _, p := range s.Prices {
		if !p.Mark.Valid {
			out = append(out, CapComputedMark)
		}
	}
	return out
}

// reportRules derives the rules a valid evaluation exercises from its
// content.
func reportRules(s *spec.Scenario, rep *spec.Report) []string {
	r := []string{"QTY-1", "QTY-2", "QTY-3", "QTY-4", "QTY-5", "POOL-1", "POOL-3", "POOL-4", "POOL-5",
		"RPT-1", "RPT-2", "RPT-3", "NUM-3", "NUM-4", "MARK-5", "MKT-2"}
	add := func(ids ...string) { r = append(r, ids...) }
	for _, pr := range rep.Prices {
		if pr.Computed {
			add("MARK-2", "MARK-3", "MARK-4")
		} else {
			add("MARK-1")
		}
	}
	for _, m := range s.Markets {
		if m.MMBasis == spec.BasisEntry {
			add("MKT-3")
		}
		if len(m.MarginModes) > 0 {
			add("MKT-4")
		}
		if m.LiquidationFeeRate.Valid || m.FundingIntervalHours.Valid || m.MarkPriceBand.Valid ||
			m.MakerFeeRate.Valid || m.TakerFeeRate.Valid || m.FundingRateCap.Valid {
			add("MKT-5")
		}
	}
	cross := 0
	for i, p := range s.Account.Positions {
		pr := rep.Positions[i]
		if !p.Leverage.Valid {
			add("POS-4")
		}
		switch p.MarginMode {
		case spec.Isolated:
			add("POS-5", "POOL-2", "POOL-6")
		case spec.Portfolio:
			add("PM-2", "PM-12")
		default:
			cross++
		}
		if pr.Tier > 1 {
			add("TIER-6", "TIER-7", "TIER-8")
		}
		if pr.Leverage.LessThan(leverageOf(s, p)) {
			add("QTY-3", "TIER-7")
		}
		switch pr.LiquidationPriceReason {
		case "":
			add("LIQ-1", "LIQ-2", "LIQ-4", "LIQ-5", "LIQ-6")
		case spec.ReasonNeverLiquidatable, spec.ReasonAlwaysLiquidatable:
			add("LIQ-3")
			if p.Side == spec.Short && pr.LiquidationPriceExact.Valid {
				add("LIQ-6")
			}
		case spec.ReasonOutOfRange:
			add("LIQ-7")
		}
		switch pr.BankruptcyPriceReason {
		case "":
			add("BKR-1", "BKR-3")
		case spec.ReasonNeverBankrupt, spec.ReasonAlwaysBankrupt:
			add("BKR-1", "BKR-2")
		case spec.ReasonOutOfRange:
			add("BKR-1", "BKR-3")
		}
	}
	if cross > 1 {
		add("LIQ-8")
	}
	for _, p := range rep.Pools {
		if !p.MarginRatio.Valid {
			add("POOL-4")
		}
	}
	for _, m := range s.Markets {
		if m.Underlying != "" || m.Expiry != nil {
			add("MKT-6")
		}
		if m.PortfolioMargin != nil {
			add("PM-1")
		}
	}
	if rep.Portfolio != nil {
		add("PM-3", "PM-4", "PM-5", "PM-6", "PM-7", "PM-8", "PM-9", "PM-10", "PM-11", "PM-13")
	}
	return r
}

// leverageOf is a position's chosen leverage (POS-4's default when absent).
func leverageOf(s *spec.Scenario, p spec.Position) decimal.Decimal {
	if p.Leverage.Valid {
		return p.Leverage.Decimal
	}
	m := s.Markets[p.Market]
	if len(m.Tiers) == 0 {
		return decimal.Zero
	}
	return decimal.Min(decimal.NewFromInt(20), m.Tiers[0].MaxLeverage)
}

// example draws g's value at seed, or reports that the generator failed.
func example[V any](g *rapid.Generator[V], seed int) (v V, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	return g.Example(seed), true
}

// configs are the generator configurations the query suites cycle through.
var configs = []struct {
	name string
	c    gen.Config
}{
	{"cross, mark basis, given marks", gen.Config{}},
	{"isolated", gen.Config{Isolated: true}},
	{"entry basis", gen.Config{EntryBasis: true}},
	{"computed marks", gen.Config{ComputedMark: true}},
	{"every feature", gen.Config{Isolated: true, EntryBasis: true, ComputedMark: true}},
}

// fromGenerator adds up to n tests drawn from mk(config) at seeds
// seed0, seed0+1, ... (at most 20n seeds), cycling through configs.
func fromGenerator(b *queryBuilder, n, seed0 int, what string, flags []string, mk func(gen.Config) *rapid.Generator[*spec.Scenario]) {
	added := 0
	for k := 0; added < n && k < 20*n; k++ {
		seed := seed0 + k
		cf := configs[k%len(configs)]
		s, ok := example(mk(cf.c), seed)
		if !ok || s == nil {
			continue
		}
		if b.add(qcase{s: s, comment: fmt.Sprintf("%s (%s), seed %d", what, cf.name, seed), flags: flags}) {
			added++
		}
	}
}

// pathShape replaces market names and indices in an error path by
// placeholders, so that errors of the same kind share a shape.
var (
	reIndex  = regexp.MustCompile(`\[\d+\]`)
	reMarket = regexp.MustCompile(`^(markets|prices)\.[^.\[]+`)
)

func pathShape(p string) string {
	return reIndex.ReplaceAllString(reMarket.ReplaceAllString(p, "$1.<name>"), "[i]")
}

// sortedSet returns the distinct strings of xs, sorted; never nil.
func sortedSet(xs []string) []string {
	out := []string{}
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// sortRules sorts rule ids by area and then by number (LIQ-2 before
// LIQ-10).
func sortRules(ids []string) []string {
	ids = sortedSet(ids)
	slices.SortFunc(ids, func(a, b string) int {
		aa, an := splitRule(a)
		ba, bn := splitRule(b)
		if aa != ba {
			return strings.Compare(aa, ba)
		}
		return an - bn
	})
	return ids
}

func splitRule(id string) (string, int) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id, 0
	}
	n := 0
	fmt.Sscanf(id[i+1:], "%d", &n)
	return id[:i], n
}

// rapidScenario is a generator of scenarios.
type rapidScenario = rapid.Generator[*spec.Scenario]
