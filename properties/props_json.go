package properties

import (
	"encoding/json"
	"regexp"
	"strings"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

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
