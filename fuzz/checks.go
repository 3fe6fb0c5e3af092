package fuzz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// Input caps of the robustness targets. Inputs above them are skipped: they
// bound the time and memory of one execution, not what the code under test
// accepts (venue.MaxInputBytes is far larger).
const (
	maxJSONInput    = 32 << 10
	maxDecimalInput = 512
	maxCCXTInput    = 256 << 10
)

// CheckEvaluate is the differential check of the EvaluateDifferential target: it
// decodes data with DecodeScenario and runs checkScenario on the result.
//
// It also writes the scenario as a scenario file (encoding/json) and reads it
// back with the CLI's decoder (strictjson): the file must be accepted and
// evaluate exactly as the scenario does (SPEC NUM-5: decimals as strings, a
// null optional decimal is absent).
func CheckEvaluate(data []byte) error {
	if len(data) > maxInput {
		return nil
	}
	s := DecodeScenario(data)
	want, _, err := differential(s)
	if err != nil || want == nil {
		return err
	}
	// The JSON round trip, for scenarios that evaluate (the costly part of
	// this check, and where it matters).
	j, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("json.Marshal: %v", err)
	}
	var back spec.Scenario
	if err := strictjson.Unmarshal(j, &back); err != nil {
		return fmt.Errorf("strictjson rejects the scenario file %s: %v", j, err)
	}
	got, err := model.Evaluate(&back)
	if err != nil {
		return fmt.Errorf("after a JSON round trip: %v", err)
	}
	if err := compareReports(got, want); err != nil {
		return fmt.Errorf("after a JSON round trip: %w", err)
	}
	return nil
}

// checkScenario evaluates s with model.Evaluate and reference.Evaluate and
// requires the same outcome: both fail with the same Path and Rule, or both
// succeed with reports equal field by field. It also checks that neither
// implementation modified s (SPEC EVAL-1).
func checkScenario(s *spec.Scenario) error {
	_, _, err := differential(s)
	return err
}

// differential is checkScenario; it also returns the model's report or its
// *model.Error (when the implementations agree).
func differential(s *spec.Scenario) (*spec.Report, error, error) {
	return differentialWith(s, reference.Evaluate)
}

// differentialWith is differential against the reference function ref (the
// mutant test passes mutation.Evaluate with an injected bug).
func differentialWith(s *spec.Scenario, ref func(*spec.Scenario) (*spec.Report, error)) (*spec.Report, error, error) {
	before := s.Clone()
	got, gerr := model.Evaluate(s)
	if err := unmodified("model.Evaluate", s, before); err != nil {
		return nil, nil, err
	}
	want, werr := ref(s)
	if err := unmodified("reference.Evaluate", s, before); err != nil {
		return nil, nil, err
	}
	if err := compareErrors(gerr, werr); err != nil {
		return nil, nil, err
	}
	if gerr != nil {
		return nil, gerr, nil
	}
	return got, nil, compareReports(got, want)
}

// unmodified returns an error naming who when s is no longer exactly
// before, its clone (SPEC EVAL-1: an evaluation does not modify its input).
func unmodified(who string, s, before *spec.Scenario) error {
	if d := spec.DiffExact(s, before); d != nil {
		return fmt.Errorf("%s modified the scenario: %s", who, strings.Join(d, "; "))
	}
	return nil
}

// CheckQueries is the check of the QueriesDifferential target. It decodes a
// scenario and mark updates with DecodeQueries, loads the scenario with
// model.Load and compares every Portfolio query with reference.Evaluate of the
// same scenario; then, for each update, calls SetMark and compares again with
// reference.Evaluate of the scenario whose prices entry for that market is
// replaced by the new mark. A mark <= 0 must be refused by both (MARK-1 at
// prices.<name>.mark) and leave the portfolio unchanged.
func CheckQueries(data []byte) error {
	return checkQueriesWith(data, reference.Evaluate)
}

// checkQueriesWith is CheckQueries against the reference function ref.
func checkQueriesWith(data []byte, ref func(*spec.Scenario) (*spec.Report, error)) error {
	if len(data) > maxInput {
		return nil
	}
	s, ups := DecodeQueries(data)
	before := s.Clone()
	p, lerr := model.Load(s)
	if err := unmodified("model.Load", s, before); err != nil {
		return err
	}
	want, werr := ref(s)
	if err := unmodified("reference.Evaluate", s, before); err != nil {
		return err
	}
	if lerr != nil {
		// Load checks EVAL-2 steps 1..3; the reference's first error must be
		// the same one.
		return compareErrors(lerr, werr)
	}
	if err := comparePortfolioState(p, want, werr); err != nil {
		return fmt.Errorf("after Load: %w", err)
	}
	if err := checkIndexErrors(p, len(s.Markets)); err != nil {
		return err
	}
	cur := s.Clone()
	for k, mu := range ups {
		name := MarketNames[mu.Market]
		mi, ok := p.MarketIndex(name)
		if !ok || mi != mu.Market {
			return fmt.Errorf("MarketIndex(%s) = %d, %v; want %d", name, mi, ok, mu.Market)
		}
		mark := mu.Value
		if mu.Kind != "" {
			pi := -1
			for i, pos := range cur.Account.Positions {
				if pos.Market == name {
					pi = i
				}
			}
			if pi < 0 {
				continue
			}
			var pr model.PriceResult
			var err error
			if mu.Kind == "liq" {
				pr, err = p.LiquidationPrice(pi)
			} else {
				pr, err = p.BankruptcyPrice(pi)
			}
			if err != nil || !pr.OK {
				continue
			}
			mark = satAdd(int64(pr.Price), mu.Delta)
		}
		old, had := cur.Prices[name]
		cur.Prices[name] = spec.Price{Mark: decimal.NullDecimal{Decimal: model.Fixed(mark).Decimal(), Valid: true}}
		serr := p.SetMark(mi, model.Fixed(mark))
		want, werr = ref(cur)
		if mark <= 0 {
			if err := compareErrors(serr, werr); err != nil {
				return fmt.Errorf("update %d: SetMark(%s, %s): %w", k, name, model.Fixed(mark), err)
			}
			if had {
				cur.Prices[name] = old
			} else {
				delete(cur.Prices, name)
			}
			want, werr = ref(cur)
		} else if serr != nil {
			return fmt.Errorf("update %d: SetMark(%s, %s): %v", k, name, model.Fixed(mark), serr)
		}
		if err := comparePortfolioState(p, want, werr); err != nil {
			return fmt.Errorf("after update %d (%s mark %s): %w", k, name, model.Fixed(mark), err)
		}
	}
	return nil
}

// checkIndexErrors checks the query API's contract for indices out of
// range: ErrIndex, and no panic.
func checkIndexErrors(p *model.Portfolio, markets int) error {
	n := p.NumPositions()
	for _, i := range []int{-1, n} {
		var errs [4]error
		_, errs[0] = p.Position(i)
		_, errs[1] = p.LiquidationPrice(i)
		_, errs[2] = p.BankruptcyPrice(i)
		_, errs[3] = p.Isolated(i)
		for k, err := range errs {
			if !errors.Is(err, model.ErrIndex) {
				return fmt.Errorf("query %d of position %d (of %d): %v, want ErrIndex", k, i, n, err)
			}
		}
	}
	for _, m := range []int{-1, markets} {
		if err := p.SetMark(m, model.Fixed(one)); !errors.Is(err, model.ErrIndex) {
			return fmt.Errorf("SetMark(%d) of %d markets: %v, want ErrIndex", m, markets, err)
		}
	}
	if _, ok := p.MarketIndex("NOPE"); ok {
		return errors.New("MarketIndex of an unknown market succeeded")
	}
	return nil
}

func comparePortfolioState(p *model.Portfolio, want *spec.Report, werr error) error {
	if werr != nil {
		return comparePortfolioError(p, werr)
	}
	return comparePortfolio(p, want)
}

// CheckScenarioJSON is the check of the ScenarioJSON target: data is decoded as
// the CLI decodes a scenario file (strictjson.Unmarshal into model.Scenario,
// then venue.Resolve) and evaluated by both implementations. Nothing may panic;
// a decoding error must be a *strictjson.Error, a Resolve error a *model.Error;
// Resolve must not modify its input; the evaluations must agree (checkScenario);
// and venue.AnnotateError must keep an error's Path and Rule.
func CheckScenarioJSON(data []byte) error {
	if len(data) > maxJSONInput {
		return nil
	}
	var s spec.Scenario
	if err := strictjson.Unmarshal(data, &s); err != nil {
		var je *strictjson.Error
		if !errors.As(err, &je) {
			return fmt.Errorf("strictjson.Unmarshal returned %T: %v", err, err)
		}
		return nil
	}
	before := s.Clone()
	r, err := venue.Resolve(&s)
	if err := unmodified("venue.Resolve", &s, before); err != nil {
		return err
	}
	if err != nil {
		var me *spec.Error
		if !errors.As(err, &me) {
			return fmt.Errorf("venue.Resolve returned %T: %v", err, err)
		}
		return nil
	}
	_, merr, err := differential(r)
	if err != nil || merr == nil {
		return err
	}
	// The CLI names the venue in a POS-3 error on a profile market
	// (AnnotateError); the annotation keeps the error's Path and Rule.
	var me, ae *spec.Error
	if !errors.As(merr, &me) || !errors.As(venue.AnnotateError(&s, merr), &ae) ||
		ae.Path != me.Path || ae.Rule != me.Rule {
		return fmt.Errorf("venue.AnnotateError(%v) changed the error's path or rule", merr)
	}
	return nil
}

var (
	// grammar is SPEC EVAL-4's decimal grammar.
	grammar = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?$`)
	// shortest is the form of Fixed.String: no exponent, no trailing zeros.
	shortest = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)
)

// maxDigits is the number of digits up to which strictjson.ParseDecimal
// reads a literal as written; a longer literal may be replaced by a value
// breaking the same NUM rule.
const maxDigits = strictjson.MaxDecimalDigits

// CheckDecimal is the check of the DecimalParse target. strictjson.ParseDecimal
// must accept exactly the literals of the EVAL-4 grammar, of any length, and
// read them exactly (checked against big.Rat) when they have at most 60
// digits before the exponent, and otherwise either exactly or as a value of
// the same sign that FixedFromDecimal rejects by the same rule as the exact
// value (NUM-5: one rule however a value is written); model.FixedFromDecimal must accept exactly the values on the
// 1e-8 grid within [-MAX, MAX] and report NUM-1 before NUM-2 otherwise; and
// an accepted value must round-trip exactly through Fixed.String, which
// must be in shortest form.
func CheckDecimal(data []byte) error {
	if len(data) > maxDecimalInput {
		return nil
	}
	str := string(data)
	d, err := strictjson.ParseDecimal(str)
	wantOK := grammar.MatchString(str)
	if (err == nil) != wantOK {
		return fmt.Errorf("ParseDecimal(%q): error %v, grammar says accept=%v", str, err, wantOK)
	}
	if err != nil {
		return nil
	}
	rat, ok := new(big.Rat).SetString(str)
	if !ok {
		return fmt.Errorf("big.Rat cannot read %q", str)
	}
	f, ferr := model.FixedFromDecimal(d)
	units := new(big.Rat).Mul(rat, big.NewRat(model.Scale, 1))
	wantRule := ""
	switch {
	case !units.IsInt():
		wantRule = "NUM-1"
	case units.Num().CmpAbs(big.NewInt(math.MaxInt64)) > 0:
		wantRule = "NUM-2"
	}
	if d.Rat().Cmp(rat) != 0 {
		if digits(str) <= maxDigits || wantRule == "" || d.Sign() != rat.Sign() {
			return fmt.Errorf("ParseDecimal(%q) = %s, exact value %s", str, d, rat.RatString())
		}
		var me *spec.Error
		if !errors.As(ferr, &me) || me.Rule != wantRule {
			return fmt.Errorf("ParseDecimal(%q) = %s stands in for a %s value, FixedFromDecimal says %v", str, d, wantRule, ferr)
		}
		return nil
	}
	if ferr != nil {
		var me *spec.Error
		if !errors.As(ferr, &me) {
			return fmt.Errorf("FixedFromDecimal(%q) returned %T: %v", str, ferr, ferr)
		}
		if me.Rule != wantRule {
			return fmt.Errorf("FixedFromDecimal(%q): rule %s, want %q", str, me.Rule, wantRule)
		}
		return nil
	}
	if wantRule != "" {
		return fmt.Errorf("FixedFromDecimal(%q) = %s, want a %s error", str, f, wantRule)
	}
	if units.Num().Int64() != int64(f) {
		return fmt.Errorf("FixedFromDecimal(%q) = %d units, want %s", str, int64(f), units.Num())
	}
	out := f.String()
	if !shortest.MatchString(out) || out == "-0" {
		return fmt.Errorf("Fixed(%d).String() = %q is not in shortest form", int64(f), out)
	}
	d2, err := strictjson.ParseDecimal(out)
	if err != nil {
		return fmt.Errorf("ParseDecimal(Fixed.String() = %q): %v", out, err)
	}
	f2, err := model.FixedFromDecimal(d2)
	if err != nil || f2 != f || !d2.Equal(d) || !f.Decimal().Equal(d) {
		return fmt.Errorf("round trip of %q: %q -> %d (%v), want %d", str, out, int64(f2), err, int64(f))
	}
	return nil
}

// digits counts the digits of a decimal literal before its exponent.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

// CheckCCXT is the check of the CCXT target: data goes to venue.LoadCCXT and
// venue.LoadCCXTList. Nothing may panic; errors must be *model.Error; every
// accepted table must satisfy TIER-1..6 (checked here independently, with
// exact decimal arithmetic), hold only valid Fixed values, pass
// venue.ValidateTiers unchanged, and evaluate identically in both
// implementations at a tier boundary.
func CheckCCXT(data []byte) error {
	if len(data) > maxCCXTInput {
		return nil
	}
	m, err := venue.LoadCCXT(bytes.NewReader(data))
	if err != nil {
		var me *spec.Error
		if !errors.As(err, &me) {
			return fmt.Errorf("LoadCCXT returned %T: %v", err, err)
		}
	} else {
		for i, s := range slices.Sorted(maps.Keys(m)) {
			if err := checkTable(m[s], i < 4); err != nil {
				return fmt.Errorf("LoadCCXT symbol %q: %w", s, err)
			}
		}
	}
	l, lerr := venue.LoadCCXTList(bytes.NewReader(data))
	// The list as the only symbol of a map must load the same way, with
	// the symbol in front of the error path.
	wrapped := append(append([]byte(`{"S":`), data...), '}')
	wm, werr := venue.LoadCCXT(bytes.NewReader(wrapped))
	if lerr != nil {
		var le *spec.Error
		if !errors.As(lerr, &le) {
			return fmt.Errorf("LoadCCXTList returned %T: %v", lerr, lerr)
		}
		var we *spec.Error
		if le.Path != "" && strings.HasPrefix(le.Path, "[") &&
			(!errors.As(werr, &we) || we.Path != "S"+le.Path || we.Rule != le.Rule) {
			return fmt.Errorf("LoadCCXTList error %v, but as symbol S of LoadCCXT: %v", lerr, werr)
		}
		return nil
	}
	if err := checkTable(l, true); err != nil {
		return fmt.Errorf("LoadCCXTList: %w", err)
	}
	if werr != nil || len(wm) != 1 {
		return fmt.Errorf("LoadCCXTList accepts the list, LoadCCXT of {\"S\": list} gives %d tables, %v", len(wm), werr)
	}
	if d := spec.Diff(wm["S"], l); d != nil {
		return fmt.Errorf("LoadCCXT and LoadCCXTList disagree: %s", strings.Join(d, "; "))
	}
	return nil
}

// checkTable checks an accepted tier table against SPEC TIER-1..6.
func checkTable(tiers []spec.Tier, evaluate bool) error {
	if len(tiers) == 0 {
		return errors.New("TIER-1: empty table accepted")
	}
	if !tiers[0].MinNotional.IsZero() {
		return errors.New("TIER-1: tiers[0].minNotional != 0")
	}
	oneD := decimal.New(1, 0)
	cum := decimal.Zero
	cums := make([]decimal.Decimal, len(tiers))
	for i, t := range tiers {
		for _, v := range []decimal.Decimal{t.MinNotional, t.MaxNotional, t.MaintenanceMarginRate, t.MaxLeverage} {
			if _, err := model.FixedFromDecimal(v); err != nil {
				return fmt.Errorf("tier %d: value %s: %v", i, v, err)
			}
		}
		if !t.MinNotional.LessThan(t.MaxNotional) {
			return fmt.Errorf("TIER-2: tier %d minNotional %s >= maxNotional %s", i, t.MinNotional, t.MaxNotional)
		}
		if i > 0 && !tiers[i-1].MaxNotional.Equal(t.MinNotional) {
			return fmt.Errorf("TIER-2: tier %d not contiguous", i)
		}
		mmr := t.MaintenanceMarginRate
		if mmr.IsNegative() || !mmr.LessThan(oneD) || (i > 0 && mmr.LessThan(tiers[i-1].MaintenanceMarginRate)) {
			return fmt.Errorf("TIER-3: tier %d rate %s", i, mmr)
		}
		if t.MaxLeverage.LessThan(oneD) || (i > 0 && t.MaxLeverage.GreaterThan(tiers[i-1].MaxLeverage)) {
			return fmt.Errorf("TIER-4: tier %d leverage %s", i, t.MaxLeverage)
		}
		if mmr.Mul(t.MaxLeverage).GreaterThan(oneD) {
			return fmt.Errorf("TIER-5: tier %d rate %s * leverage %s > 1", i, mmr, t.MaxLeverage)
		}
		if i > 0 {
			cum = cum.Add(t.MinNotional.Mul(mmr.Sub(tiers[i-1].MaintenanceMarginRate)))
		}
		if t.MaintenanceAmount.Valid && !t.MaintenanceAmount.Decimal.Equal(cum) {
			return fmt.Errorf("TIER-6: tier %d maintenanceAmount %s, recursion %s", i, t.MaintenanceAmount.Decimal, cum)
		}
		cums[i] = cum
	}
	v, err := venue.ValidateTiers("t", tiers)
	if err != nil {
		return fmt.Errorf("ValidateTiers rejects an accepted table: %v", err)
	}
	if len(v) != len(tiers) {
		return errors.New("ValidateTiers changed the table's length")
	}
	for i := range v {
		if !v[i].MaintenanceAmount.Valid || !v[i].MaintenanceAmount.Decimal.Equal(cums[i]) {
			return fmt.Errorf("ValidateTiers: tier %d maintenanceAmount %s, recursion %s", i, nullString(v[i].MaintenanceAmount), cums[i])
		}
	}
	if !evaluate {
		return nil
	}
	// One long cross position of size 1 whose notional is the last tier's
	// lower boundary (or 1): the tier lookup at a boundary, in both
	// implementations.
	mark := tiers[len(tiers)-1].MinNotional
	if !mark.IsPositive() {
		mark = oneD
	}
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"T": {
			TickSize: decimal.New(1, -8), LotSize: oneD, Tiers: tiers,
		}},
		Prices: map[string]spec.Price{"T": {Mark: decimal.NullDecimal{Decimal: mark, Valid: true}}},
		Account: spec.Account{
			WalletBalance: decimal.New(1000, 0),
			Positions: []spec.Position{{Market: "T", Side: spec.Long, Size: oneD,
				EntryPrice: mark, MarginMode: spec.Cross}},
		},
	}
	return checkScenario(s)
}
