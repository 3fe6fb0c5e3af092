package properties

import (
	"encoding/json"
	"math/big"
	"regexp"
	"strings"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the properties of SPEC NUM: every reported value is the
// NUM-4 rounding of its exact value (exact.go) and within range (NUM-2), and
// decimals mean the same in every JSON representation (NUM-5, NUM-6).

// exactCheck evaluates s and compares it with the math/big oracle.
func (e *env) exactCheck(t *rapid.T, s *spec.Scenario, positions, pools bool) {
	t.Helper()
	if !validInput(s) {
		t.Skip("input rejected by the reference")
	}
	ctx := []named{{"generated", s}}
	x := exactScenario(s)
	rep, err := e.evaluate(t, s, "generated")
	if oor := x.firstOutOfRange(); oor != "" {
		if err == nil {
			v, _ := specutil.ReportedValue(rep, oor)
			e.fail(t, ctx, "NUM-2: the exact value at %s is beyond MAX, but the engine returned a report (%s there)", oor, nullStr(v))
		}
		if me := asError(err); e.caps[CapErrorPaths] && (me == nil || me.Rule != "NUM-2" || me.Path != oor) {
			e.fail(t, ctx, "NUM-2: the first reported value beyond MAX is at %s; the engine's error is %v", oor, err)
		}
		return
	}
	if err != nil {
		e.fail(t, ctx, "every exact reported value is within range, but the engine returned an error: %v", err)
	}
	for _, f := range x.reportedFields() {
		isPool := f.path[:4] == "pool"
		if (isPool && !pools) || (!isPool && !positions) {
			continue
		}
		got, ok := specutil.ReportedValue(rep, f.path)
		if !ok || !nullEqRat(got, f.want) {
			e.fail(t, ctx, "%s = %s, the exact rounded value is %s", f.path, nullStr(got), fmtRat(f.want))
		}
	}
	if positions {
		for i, p := range x.positions {
			q := p.qty()
			pr := rep.Positions[i]
			if pr.Tier != q.tier+1 {
				e.fail(t, ctx, "positions[%d].tier = %d, want %d (TIER-7 at the MM basis notional)", i, pr.Tier, q.tier+1)
			}
			if !eqRat(pr.Leverage, q.lEff) {
				e.fail(t, ctx, "positions[%d].leverage = %s, want min(leverage, tier max) = %s (QTY-3)", i, pr.Leverage, fmtRat(q.lEff))
			}
		}
	}
	if pools {
		for k, pl := range x.pools() {
			got := rep.Pools[k]
			if want := x.triggered(pl.e, pl.mm); got.Liquidatable != want {
				e.fail(t, ctx, "pools[%d].liquidatable = %v, but exact E = %s and MM = %s (POOL-5: %s)", k, got.Liquidatable, fmtRat(pl.e), fmtRat(pl.mm), x.triggerText())
			}
			var ratio *big.Rat
			if pl.e.Sign() > 0 {
				ratio = up(ratQuo(pl.mm, pl.e))
				if !inRange(ratio) {
					ratio = nil
				}
			}
			if !nullEqRat(got.MarginRatio, ratio) {
				e.fail(t, ctx, "pools[%d].marginRatio = %s, want %s (POOL-4: up(MM/E), null when E <= 0)", k, nullStr(got.MarginRatio), fmtRat(ratio))
			}
			wantPos := -1
			if pl.isIsolated {
				wantPos = pl.position
			}
			if got.Position != wantPos {
				e.fail(t, ctx, "pools[%d].position = %d, want %d", k, got.Position, wantPos)
			}
		}
	}
}

func propPositionRounding(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearTierBoundary(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) { e.exactCheck(t, g.Draw(t, "scenario"), true, false) }
}

func propPoolRounding(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) { e.exactCheck(t, g.Draw(t, "scenario"), false, true) }
}

func propReportedRange(e *env) func(*rapid.T) {
	g := gen.EdgeScenario(e.gen)
	return func(t *rapid.T) { e.exactCheck(t, g.Draw(t, "scenario"), true, true) }
}

var (
	reDecimalString = regexp.MustCompile(`"(-?[0-9]+(?:\.[0-9]+)?)"`)
	reShortest      = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)
)

// rewriteDecimals rewrites every decimal string of a scenario's JSON.
func rewriteDecimals(b []byte, f func(string) string) []byte {
	return reDecimalString.ReplaceAllFunc(b, func(m []byte) []byte { return []byte(f(string(m[1 : len(m)-1]))) })
}

func propRepresentation(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), corruptedScenario(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		zeros := strings.Repeat("0", rapid.IntRange(1, 6).Draw(t, "zeros"))
		bare := rapid.Bool().Draw(t, "bareNumbers")
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		b2 := rewriteDecimals(b, func(d string) string {
			if !strings.Contains(d, ".") {
				d += "."
			}
			d += zeros
			if bare {
				return d
			}
			return `"` + d + `"`
		})
		var s2 spec.Scenario
		if err := strictjson.Unmarshal(b2, &s2); err != nil {
			t.Fatalf("the rewritten scenario does not decode: %v\n%s", err, b2)
		}
		r1, err1 := e.evaluate(t, s, "generated")
		r2, err2 := e.evaluate(t, &s2, "rewritten", named{"generated", s})
		ctx := []named{{"generated", s}, {"trailing zeros", &s2}}
		switch {
		case (err1 == nil) != (err2 == nil):
			e.fail(t, ctx, "with trailing zeros (%s) the outcome changed: %v vs %v (NUM-6)", zeros, err1, err2)
		case err1 != nil:
			m1, m2 := asError(err1), asError(err2)
			if e.caps[CapErrorPaths] && m1 != nil && (m2 == nil || m1.Path != m2.Path || m1.Rule != m2.Rule) {
				e.fail(t, ctx, "with trailing zeros the error changed: %v vs %v (NUM-6)", err1, err2)
			}
		default:
			if d := diff(r1, r2); d != "" {
				e.fail(t, ctx, "with trailing zeros (%s) the report changed at %s (NUM-6)", zeros, d)
			}
		}
	}
}

func propJSONTransport(e *env) func(*rapid.T) {
	g := rapid.OneOf(gen.Scenario(e.gen), gen.NearLiquidation(e.gen))
	return func(t *rapid.T) {
		s := g.Draw(t, "scenario")
		rep := e.mustReport(t, s, "generated")
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var s2 spec.Scenario
		if err := strictjson.Unmarshal(b, &s2); err != nil {
			e.fail(t, []named{{"generated", s}}, "the scenario's JSON does not decode: %v", err)
		}
		rep2 := e.mustReport(t, &s2, "decoded", named{"generated", s})
		if d := diff(rep, rep2); d != "" {
			e.fail(t, []named{{"generated", s}}, "after a JSON round trip the report differs at %s", d)
		}
		out, err := json.Marshal(rep)
		if err != nil {
			e.fail(t, []named{{"generated", s}}, "the report does not marshal: %v", err)
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, y := range x {
					walk(path+"."+k, y)
				}
			case []any:
				for _, y := range x {
					walk(path+"[]", y)
				}
			case float64:
				if !strings.HasSuffix(path, ".tier") && !strings.HasSuffix(path, ".position") {
					e.fail(t, []named{{"generated", s}}, "report %s is a JSON number, want a string (NUM-5)", path)
				}
			case string:
				if reDecimalString.MatchString(`"`+x+`"`) && !reShortest.MatchString(x) {
					e.fail(t, []named{{"generated", s}}, "report %s = %q is not in shortest form (NUM-5)", path, x)
				}
			}
		}
		var v any
		_ = json.Unmarshal(out, &v)
		walk("report", v)
	}
}
