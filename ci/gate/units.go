package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// DefaultThresholds are the default minimum effects: the relative change
// of the medians, in the worse direction, that a significant change must
// exceed before it fails the gate. The key "*" applies to every unit not
// listed.
//
//   - sec/op 5%: an interleaved U-test at alpha 0.01 with 10 runs per
//     side resolves shifts of 1-2% on a quiet machine, but on a shared
//     2-core CI runner code-layout and scheduler effects of that size
//     come and go between otherwise identical builds. cockroach's
//     microbench-ci uses 3% on dedicated machines; 5% is its analogue
//     for a noisier runner.
//   - B/op 10%: bytes allocated are nearly deterministic, so a
//     significant change is real, but small shifts (a slice growing by
//     one size class, a field added to a struct) are rarely worth a red
//     build; a 10% growth is.
//   - allocs/op 0: allocation counts are deterministic; any significant
//     increase fails. See also DefaultStrictZero.
//   - "*" 5%: custom units (ns/position, ...) are treated like time.
var DefaultThresholds = map[string]float64{
	"sec/op":    0.05,
	"B/op":      0.10,
	"allocs/op": 0,
	"*":         0.05,
}

// DefaultStrictZero lists the units for which an increase from a median
// of exactly 0 is a regression even without statistical significance:
// a zero-allocation hot path that starts allocating is a regression
// however few runs show it.
var DefaultStrictZero = []string{"allocs/op"}

// TidyUnit normalises a user-supplied unit the way benchfmt normalises
// measured units (ns/op becomes sec/op, MB/s becomes B/s) and returns the
// factor that converts values in the user's unit into the tidied unit.
func TidyUnit(unit string) (tidied string, factor float64) {
	f, u := benchunit.Tidy(1, unit)
	return u, f
}

// ParseThresholds parses "unit=frac,unit=frac" (":" may be used instead
// of "="; a fraction may be written as a percentage, "5%") on top of
// base, which is not modified.
func ParseThresholds(s string, base map[string]float64) (map[string]float64, error) {
	out := map[string]float64{}
	for k, v := range base {
		out[k] = v
	}
	for _, item := range splitList(s) {
		unit, val, ok := cutAny(item, "=:")
		if !ok || unit == "" {
			return nil, fmt.Errorf("threshold %q: want unit=fraction", item)
		}
		f, err := parseFraction(val)
		if err != nil {
			return nil, fmt.Errorf("threshold %q: %v", item, err)
		}
		if f < 0 {
			return nil, fmt.Errorf("threshold %q: must not be negative", item)
		}
		if unit != "*" {
			unit, _ = TidyUnit(unit)
		}
		out[unit] = f
	}
	return out, nil
}

// ParseBetter parses "unit=lower,unit=higher" overrides of the better
// direction.
func ParseBetter(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, item := range splitList(s) {
		unit, val, ok := cutAny(item, "=:")
		if !ok || unit == "" {
			return nil, fmt.Errorf("better %q: want unit=lower or unit=higher", item)
		}
		unit, _ = TidyUnit(unit)
		switch val {
		case "lower":
			out[unit] = -1
		case "higher":
			out[unit] = +1
		default:
			return nil, fmt.Errorf("better %q: want lower or higher", item)
		}
	}
	return out, nil
}

// ParseUnitList parses a comma-separated list of units.
func ParseUnitList(s string) map[string]bool {
	out := map[string]bool{}
	for _, u := range splitList(s) {
		u, _ = TidyUnit(u)
		out[u] = true
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func cutAny(s, seps string) (before, after string, ok bool) {
	i := strings.LastIndexAny(s, seps)
	if i < 0 {
		return s, "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

func parseFraction(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bad number %q", s)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

// Better returns +1 if higher values of the tidied unit are better, -1
// if lower values are better and 0 if unknown. The first rule that
// decides wins:
//
//  1. an explicit override (the -better flag);
//  2. unit metadata in the results ("Unit x better=lower");
//  3. benchfmt's defaults (sec/op, B/op, allocs/op lower; B/s higher);
//  4. units measuring time, bytes or allocations per something
//     ("sec/position", the tidied form of "ns/position", and qualified ones
//     such as "cpu-sec/op") are lower-is-better and rates ("x/s")
//     higher-is-better.
func Better(unit string, overrides map[string]int, meta ...benchfmt.UnitMetadataMap) int {
	if b, ok := overrides[unit]; ok {
		return b
	}
	for _, m := range meta {
		if m != nil && m.Get(unit, "better") != nil {
			return m.GetBetter(unit)
		}
	}
	if b := (benchfmt.UnitMetadataMap{}).GetBetter(unit); b != 0 {
		return b
	}
	num, _, per := strings.Cut(unit, "/")
	switch {
	case strings.HasSuffix(unit, "/s"):
		return +1
	case !per:
		return 0
	case num == "sec" || num == "B" || num == "allocs",
		strings.HasSuffix(num, "-sec"), strings.HasSuffix(num, "-B"), strings.HasSuffix(num, "-allocs"):
		// "cpu-sec/op" (the tidied "cpu-ns/op") is time too.
		return -1
	}
	return 0
}

// MinSamplesFor returns the smallest n such that two samples of n values
// each can give a two-sided Mann-Whitney U-test p-value below alpha: the
// smallest p-value for n vs n values is 2/C(2n, n), so this is 4 at
// alpha 0.05, 5 at 0.01 and 7 at 0.001 (the rule behind benchmath's
// "need >= N samples to detect a difference" warning).
func MinSamplesFor(alpha float64) int {
	for n := 1; n <= 50; n++ {
		if minUTestP(n) < alpha {
			return n
		}
	}
	return 51
}

func minUTestP(n int) float64 {
	// C(2n, n) computed in floating point; exact enough for n <= 50.
	c := 1.0
	for i := 1; i <= n; i++ {
		c = c * float64(n+i) / float64(i)
	}
	return 2 / c
}
