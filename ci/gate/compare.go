package gate

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// MissingPolicy says what a benchmark present on only one side does to
// the verdict. Missing benchmarks are always listed in the report.
type MissingPolicy string

const (
	// MissingWarn reports benchmarks present on one side only and passes.
	MissingWarn MissingPolicy = "warn"
	// MissingFailRemoved fails when a baseline benchmark is absent from
	// the candidate (removed, renamed, skipped or crashed); benchmarks
	// that are new in the candidate only get a note. This is the
	// default: a benchmark that silently stops running is how a gate
	// goes blind.
	MissingFailRemoved MissingPolicy = "fail-removed"
	// MissingFail fails when any benchmark is present on one side only.
	MissingFail MissingPolicy = "fail"
)

// ParseMissingPolicy validates a -missing flag value.
func ParseMissingPolicy(s string) (MissingPolicy, error) {
	switch p := MissingPolicy(s); p {
	case MissingWarn, MissingFailRemoved, MissingFail:
		return p, nil
	}
	return "", fmt.Errorf("-missing %q: want warn, fail-removed or fail", s)
}

// CompareOptions configures Compare. The zero value is not useful; start
// from DefaultCompareOptions.
type CompareOptions struct {
	// Alpha is the significance level of the U-test: a change counts
	// only if p < Alpha.
	Alpha float64
	// Confidence is the level of the medians' confidence intervals.
	Confidence float64
	// Thresholds maps a tidied unit (or "*") to its minimum effect: the
	// relative change of the medians in the worse direction that a
	// significant change must exceed to fail.
	Thresholds map[string]float64
	// StrictZero lists units where a rise from a median of 0 fails
	// regardless of significance.
	StrictZero map[string]bool
	// Better overrides the better direction of units (see Better).
	Better map[string]int
	// MinSamples is the minimum number of samples per side; 0 means
	// MinSamplesFor(Alpha). Benchmarks with fewer samples on either side
	// are not judged and make the whole comparison exit 2.
	MinSamples int
	// Filter, if set, restricts the comparison to benchmarks whose
	// match name (no GOMAXPROCS suffix) it matches.
	Filter *regexp.Regexp
	// Missing decides whether one-sided benchmarks fail the gate.
	Missing MissingPolicy
}

// DefaultCompareOptions returns the defaults documented on the benchgate
// command.
func DefaultCompareOptions() CompareOptions {
	th, _ := ParseThresholds("", DefaultThresholds)
	return CompareOptions{
		Alpha:      0.01,
		Confidence: 0.95,
		Thresholds: th,
		StrictZero: ParseUnitList(strings.Join(DefaultStrictZero, ",")),
		Better:     map[string]int{},
		Missing:    MissingFailRemoved,
	}
}

// Verdict is the judgement of one (benchmark, unit) pair.
type Verdict int

const (
	// Same: no significant difference.
	Same Verdict = iota
	// Improved: significantly better.
	Improved
	// Minor: significantly worse, but not more than the unit's minimum
	// effect.
	Minor
	// Changed: significantly different, but the unit's better
	// direction is unknown, so it is only reported.
	Changed
	// Regressed: significantly worse by more than the minimum effect
	// (or a strict-zero unit rose from 0).
	Regressed
	// TooFew: not judged, too few samples.
	TooFew
)

// String returns the word the report prints for v ("ok", "REGRESSED", ...).
func (v Verdict) String() string {
	switch v {
	case Same:
		return "ok"
	case Improved:
		return "improved"
	case Minor:
		return "ok (below floor)"
	case Changed:
		return "changed (direction unknown)"
	case Regressed:
		return "REGRESSED"
	case TooFew:
		return "NOT JUDGED: too few samples"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Row is the comparison of one unit of one benchmark.
type Row struct {
	Key
	Unit string
	// Old and New summarise the samples: median (or, for assume=exact
	// units, the mode) and its confidence interval.
	Old, New benchmath.Summary
	NOld     int
	NNew     int
	// P is the U-test p-value; NaN for assume=exact units, which are
	// compared by value.
	P float64
	// Significant reports whether the difference counts (p < alpha,
	// or, for exact units, differing values).
	Significant bool
	// Delta is New.Center/Old.Center - 1 (NaN if Old.Center is 0 and
	// New.Center is not; 0 if both are 0).
	Delta float64
	// Better is the unit's better direction (see Better).
	Better int
	// Threshold is the unit's minimum effect.
	Threshold float64
	Verdict   Verdict
	// Notes explain the verdict and carry benchmath's warnings.
	Notes []string

	ciWarnings []string
}

// MissingBench is a benchmark present on one side only.
type MissingBench struct {
	Key
	// InOld is true for a benchmark present only in the baseline.
	InOld bool
}

// Report is the result of Compare.
type Report struct {
	Opts       CompareOptions
	MinSamples int
	Rows       []Row
	Missing    []MissingBench
	// Notes are file-level observations (machine mismatch, ...).
	Notes []string
}

// Compare compares every unit of every benchmark present on both sides.
// It returns an error only for unusable options or when there is
// nothing to compare.
func Compare(old, cur *Results, opt CompareOptions) (*Report, error) {
	if !(opt.Alpha > 0 && opt.Alpha < 1) {
		return nil, fmt.Errorf("alpha %v: must be in (0, 1)", opt.Alpha)
	}
	if !(opt.Confidence > 0 && opt.Confidence < 1) {
		return nil, fmt.Errorf("confidence %v: must be in (0, 1)", opt.Confidence)
	}
	if opt.Missing == "" {
		opt.Missing = MissingFailRemoved
	}
	minN := opt.MinSamples
	if minN <= 0 {
		minN = MinSamplesFor(opt.Alpha)
	}
	rep := &Report{Opts: opt, MinSamples: minN}
	if need := MinSamplesFor(opt.Alpha); minN < need {
		rep.Notes = append(rep.Notes, fmt.Sprintf(
			"-min-samples %d is below the %d samples per side a U-test needs to reach p < %v; such comparisons can never be significant",
			minN, need, opt.Alpha))
	}
	for _, k := range machineKeys {
		o, n := old.Configs[k], cur.Configs[k]
		if len(o) > 0 && len(n) > 0 && strings.Join(o, "|") != strings.Join(n, "|") {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s differs: old %q, new %q; results from different machines are not comparable",
				k, strings.Join(o, ", "), strings.Join(n, ", ")))
		}
	}

	keep := func(b *Bench) bool { return opt.Filter == nil || opt.Filter.MatchString(b.Match) }
	thr := &benchmath.Thresholds{CompareAlpha: opt.Alpha}
	compared := 0
	for _, ob := range old.Benchmarks {
		if !keep(ob) {
			continue
		}
		nb := cur.Lookup(ob.Key)
		if nb == nil {
			rep.Missing = append(rep.Missing, MissingBench{Key: ob.Key, InOld: true})
			continue
		}
		compared++
		for _, unit := range ob.Units {
			if _, ok := nb.Values[unit]; !ok {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: unit %s only in old results", ob.Key, unit))
				continue
			}
			rep.Rows = append(rep.Rows, compareUnit(ob, nb, unit, old.Units, cur.Units, thr, minN, opt))
		}
		for _, unit := range nb.Units {
			if _, ok := ob.Values[unit]; !ok {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: unit %s only in new results", nb.Key, unit))
			}
		}
	}
	for _, nb := range cur.Benchmarks {
		if keep(nb) && old.Lookup(nb.Key) == nil {
			rep.Missing = append(rep.Missing, MissingBench{Key: nb.Key, InOld: false})
		}
	}
	ciNotes := map[string]int{}
	var ciOrder []string
	for _, row := range rep.Rows {
		for _, w := range row.ciWarnings {
			if ciNotes[w] == 0 {
				ciOrder = append(ciOrder, w)
			}
			ciNotes[w]++
		}
	}
	for _, w := range ciOrder {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s (%d summaries show ± ∞)", w, ciNotes[w]))
	}
	if compared == 0 {
		what := "the two files have no benchmark in common"
		if opt.Filter != nil {
			what += " that matches -filter " + opt.Filter.String()
		}
		return rep, fmt.Errorf("nothing to compare: %s", what)
	}
	return rep, nil
}

func compareUnit(ob, nb *Bench, unit string, oldMeta, newMeta benchfmt.UnitMetadataMap,
	thr *benchmath.Thresholds, minN int, opt CompareOptions) Row {
	// Copy: NewSample sorts in place, and Bench keeps read order.
	ov := append([]float64(nil), ob.Values[unit]...)
	nv := append([]float64(nil), nb.Values[unit]...)
	assume := newMeta.GetAssumption(unit)
	if newMeta.Get(unit, "assume") == nil {
		assume = oldMeta.GetAssumption(unit)
	}
	exact := assume == benchmath.AssumeExact
	s1, s2 := benchmath.NewSample(ov, thr), benchmath.NewSample(nv, thr)
	row := Row{
		Key:       ob.Key,
		Unit:      unit,
		Old:       assume.Summary(s1, opt.Confidence),
		New:       assume.Summary(s2, opt.Confidence),
		NOld:      len(ov),
		NNew:      len(nv),
		P:         math.NaN(),
		Better:    Better(unit, opt.Better, newMeta, oldMeta),
		Threshold: threshold(unit, opt.Thresholds),
	}
	// Summary warnings ("need >= 6 samples for confidence interval")
	// are the same for every row; Compare reports them once.
	for _, w := range append(row.Old.Warnings, row.New.Warnings...) {
		row.ciWarnings = append(row.ciWarnings, w.Error())
	}
	oc, nc := row.Old.Center, row.New.Center
	switch {
	case oc == nc:
		row.Delta = 0
	case oc == 0:
		row.Delta = math.NaN()
	default:
		row.Delta = nc/oc - 1
	}

	if exact {
		// benchmath's exact comparison carries no p-value: values
		// either differ or they don't.
		row.Significant = oc != nc
	} else {
		if row.NOld < minN || row.NNew < minN {
			row.Verdict = TooFew
			row.Notes = append(row.Notes, fmt.Sprintf("have %d old and %d new samples, need >= %d per side at alpha %v",
				row.NOld, row.NNew, minN, opt.Alpha))
			return row
		}
		cmp := assume.Compare(s1, s2)
		row.P = cmp.P
		row.Significant = cmp.P < opt.Alpha
		for _, w := range cmp.Warnings {
			msg := w.Error()
			if strings.Contains(msg, "all samples are equal") {
				continue // identical samples: nothing to say
			}
			if strings.HasPrefix(msg, "need ") {
				row.Verdict = TooFew
			}
			row.Notes = append(row.Notes, msg)
		}
		if row.Verdict == TooFew {
			return row
		}
	}

	worse := row.Better != 0 && float64(row.Better)*(nc-oc) < 0
	if opt.StrictZero[unit] && row.Better < 0 && oc == 0 && nc > 0 {
		row.Verdict = Regressed
		row.Notes = append(row.Notes, fmt.Sprintf("%s rose from 0 (strict-zero unit: fails regardless of significance)", unit))
		return row
	}
	switch {
	case !row.Significant:
		row.Verdict = Same
	case row.Better == 0:
		row.Verdict = Changed
	case !worse:
		row.Verdict = Improved
	case oc == 0 || math.Abs(row.Delta) > row.Threshold:
		row.Verdict = Regressed
	default:
		row.Verdict = Minor
	}
	return row
}

func threshold(unit string, th map[string]float64) float64 {
	if v, ok := th[unit]; ok {
		return v
	}
	if v, ok := th["*"]; ok {
		return v
	}
	return 0
}

// ExitCode returns 2 if nothing was compared or any compared benchmark
// had too few samples to be judged, else 1 if any metric regressed or a
// missing benchmark fails under the missing policy, else 0.
func (r *Report) ExitCode() int {
	if len(r.Rows) == 0 {
		return 2
	}
	code := 0
	for _, row := range r.Rows {
		switch row.Verdict {
		case TooFew:
			return 2
		case Regressed:
			code = 1
		}
	}
	if r.missingFails() {
		code = 1
	}
	return code
}

func (r *Report) missingFails() bool {
	for _, m := range r.Missing {
		if r.Opts.Missing == MissingFail || (r.Opts.Missing == MissingFailRemoved && m.InOld) {
			return true
		}
	}
	return false
}

// Count returns the number of rows with verdict v.
func (r *Report) Count(v Verdict) int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == v {
			n++
		}
	}
	return n
}
