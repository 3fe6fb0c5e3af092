package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/properties"
)

// verifyFormat names the JSON format of verify -json and verify-merge.
const verifyFormat = "perpcheck-verify/1"

// verifyReport is the JSON result of a verify run (-json), of one shard of
// it, or of the merge of its shards (verify-merge).
type verifyReport struct {
	Format       string `json:"format"`
	Impl         string `json:"impl"`
	Seed         uint64 `json:"seed"`
	Checks       int    `json:"checks"`
	LedgerChecks int    `json:"ledgerChecks"`
	MutantChecks int    `json:"mutantChecks"`
	Run          string `json:"run,omitempty"`
	// Shard is "I/N" for a shard, "1/1" for a whole run or a merge.
	Shard string `json:"shard"`
	// Merged lists the shards a merged report was made of.
	Merged []string `json:"merged,omitempty"`
	// Engine is what the engine under test said about itself (verify_out.go).
	Engine      *verifyEngine    `json:"engine,omitempty"`
	Properties  []verifyProperty `json:"properties"`
	MutantCheck bool             `json:"mutantCheck"`
	Mutants     []verifyMutant   `json:"mutants"`
	Summary     verifySummary    `json:"summary"`
}

// verifyProperty is one property's result.
type verifyProperty struct {
	ID         string         `json:"id"`
	Rules      []string       `json:"rules"`
	Status     string         `json:"status"` // PASS, FAIL, SKIP
	Cases      int            `json:"cases"`
	DurationMS int64          `json:"durationMs"`
	SkipReason string         `json:"skipReason,omitempty"`
	Failure    *verifyFailure `json:"failure,omitempty"`
}

// verifyFailure is a property's failure: the message, the seed that
// reproduces it, its counterexamples and the files -out wrote them to.
type verifyFailure struct {
	Message         string                 `json:"message"`
	Seed            uint64                 `json:"seed"`
	Counterexamples []verifyCounterexample `json:"counterexamples"`
	Files           []string               `json:"files,omitempty"`
}

// verifyCounterexample is one input of a failed case.
type verifyCounterexample struct {
	Label  string `json:"label"`
	Replay string `json:"replay"`
	// Input is the scenario or run file, Transcript the perpcheck/1
	// exchange that replays it (an -engine with -out), Numbers both
	// engines' numbers on it (verify_out.go).
	Input      json.RawMessage `json:"input,omitempty"`
	Transcript []string        `json:"transcript,omitempty"`
	Numbers    *verifyNumbers  `json:"numbers,omitempty"`
}

// verifyMutant is one mutant's result.
type verifyMutant struct {
	Name       string   `json:"name"`
	Status     string   `json:"status"` // KILLED, SURVIVED, NOT RUN
	CaughtBy   []string `json:"caughtBy,omitempty"`
	Cases      int      `json:"cases"`
	DurationMS int64    `json:"durationMs"`
}

// verifySummary counts the verdicts.
type verifySummary struct {
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	Skipped       int `json:"skipped"`
	Killed        int `json:"killed"`
	Survived      int `json:"survived"`
	MutantsNotRun int `json:"mutantsNotRun"`
}

func newVerifyReport(impl string, seed uint64, checks, ledgerChecks, mutantChecks int, run string, sh shard,
	res *properties.Result, files map[string][]string, mutantCheck bool, ms []mutantResult) *verifyReport {
	r := &verifyReport{Format: verifyFormat, Impl: impl, Seed: seed, Checks: checks, LedgerChecks: ledgerChecks,
		MutantChecks: mutantChecks, Run: run, Shard: sh.String(), MutantCheck: mutantCheck,
		Properties: []verifyProperty{}, Mutants: []verifyMutant{}}
	for _, p := range res.Properties {
		vp := verifyProperty{ID: p.ID, Rules: p.Rules, Status: string(p.Status), Cases: p.Cases,
			DurationMS: p.Duration.Milliseconds(), SkipReason: p.SkipReason}
		if vp.Rules == nil {
			vp.Rules = []string{}
		}
		if f := p.Failure; f != nil {
			vf := &verifyFailure{Message: f.Message, Seed: f.Seed, Counterexamples: []verifyCounterexample{}, Files: files[p.ID]}
			for _, c := range f.Counterexamples {
				vf.Counterexamples = append(vf.Counterexamples, verifyCounterexample{Label: c.Label, Replay: c.Replay})
			}
			vp.Failure = vf
		}
		r.Properties = append(r.Properties, vp)
	}
	for _, m := range ms {
		r.Mutants = append(r.Mutants, verifyMutant{Name: m.Name, Status: m.Status, CaughtBy: m.CaughtBy, Cases: m.Cases, DurationMS: m.Duration.Milliseconds()})
	}
	r.summarize()
	return r
}

// summarize recounts the summary from the lists.
func (r *verifyReport) summarize() {
	var s verifySummary
	for _, p := range r.Properties {
		switch p.Status {
		case string(properties.Pass):
			s.Passed++
		case string(properties.Fail):
			s.Failed++
		default:
			s.Skipped++
		}
	}
	for _, m := range r.Mutants {
		switch m.Status {
		case "KILLED":
			s.Killed++
		case "SURVIVED":
			s.Survived++
		default:
			s.MutantsNotRun++
		}
	}
	r.Summary = s
}

// writeVerifyReport writes r as indented JSON to the file name ("-":
// stdout).
func writeVerifyReport(name string, stdout io.Writer, r *verifyReport) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if name == "-" {
		_, err = stdout.Write(data)
		return err
	}
	return os.WriteFile(name, data, 0o644)
}

const mergeUsage = `usage: perpcheck verify-merge [-json OUT] SHARD.json...

Merges the JSON results of the shards of one verify run (verify -shard I/N
-json FILE, every I from 1 to N, the same flags and seed) into one report:
prints the property table, the failures and the mutant table as verify does,
and with -json writes the merged result (OUT "-": stdout). The merge of the N
shards is the result of the unsharded run with the same flags and seed.
Exit status 1 when a property failed or a mutant survived, 2 when the files
are not the N shards of one run.
`

// cmdVerifyMerge is "perpcheck verify-merge".
func cmdVerifyMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify-merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mergeUsage); fs.PrintDefaults() }
	jsonOut := fs.String("json", "", "write the merged result as JSON to this file (\"-\": stdout, instead of the tables)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var shards []*verifyReport
	for _, name := range fs.Args() {
		if name == "-" {
			fmt.Fprintln(stderr, "perpcheck verify-merge: the shard results must be files")
			return 2
		}
		data, err := readInput(name, nil)
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck verify-merge: %v\n", err)
			return 2
		}
		var r verifyReport
		if err := json.Unmarshal(data, &r); err != nil {
			fmt.Fprintf(stderr, "perpcheck verify-merge: %s: %v\n", name, err)
			return 2
		}
		shards = append(shards, &r)
	}
	m, err := mergeReports(shards, fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "perpcheck verify-merge: %v\n", err)
		return 2
	}
	text := stdout
	if *jsonOut == "-" {
		text = stderr
	}
	printReport(text, m)
	if *jsonOut != "" {
		if err := writeVerifyReport(*jsonOut, stdout, m); err != nil {
			fmt.Fprintf(stderr, "perpcheck verify-merge: -json: %v\n", err)
			return 2
		}
	}
	if m.Summary.Failed > 0 || m.Summary.Survived > 0 {
		return 1
	}
	return 0
}

// mergeReports merges the shard results rs (read from names) of one run:
// they must agree on the run's parameters and be the shards 1..N of the
// same N, each once. Properties come out in catalogue order, mutants in
// the order of the mutant catalogue.
func mergeReports(rs []*verifyReport, names []string) (*verifyReport, error) {
	first := rs[0]
	var n int
	seen := map[int]string{}
	for k, r := range rs {
		if r.Format != verifyFormat {
			return nil, fmt.Errorf("%s: format %q, want %q", names[k], r.Format, verifyFormat)
		}
		sh, err := parseShard(r.Shard)
		if err != nil {
			return nil, fmt.Errorf("%s: shard: %v", names[k], err)
		}
		if k == 0 {
			n = sh.n
		}
		if sh.n != n {
			return nil, fmt.Errorf("%s is shard %s, %s is shard %s: not the same split", names[0], first.Shard, names[k], r.Shard)
		}
		if prev, dup := seen[sh.i]; dup {
			return nil, fmt.Errorf("%s and %s are both shard %s", prev, names[k], r.Shard)
		}
		seen[sh.i] = names[k]
		for _, d := range []struct {
			what string
			a, b any
		}{{"impl", first.Impl, r.Impl}, {"seed", first.Seed, r.Seed}, {"checks", first.Checks, r.Checks},
			{"ledgerChecks", first.LedgerChecks, r.LedgerChecks}, {"mutantChecks", first.MutantChecks, r.MutantChecks},
			{"run", first.Run, r.Run}, {"mutantCheck", first.MutantCheck, r.MutantCheck}} {
			if d.a != d.b {
				return nil, fmt.Errorf("%s and %s are not shards of one run: %s %v and %v", names[0], names[k], d.what, d.a, d.b)
			}
		}
	}
	if len(rs) != n {
		var missing []string
		for i := 1; i <= n; i++ {
			if _, ok := seen[i]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", i, n))
			}
		}
		return nil, fmt.Errorf("%d files for %d shards: missing %s", len(rs), n, strings.Join(missing, ", "))
	}
	m := &verifyReport{Format: verifyFormat, Impl: first.Impl, Engine: first.Engine, Seed: first.Seed, Checks: first.Checks,
		LedgerChecks: first.LedgerChecks, MutantChecks: first.MutantChecks, Run: first.Run, Shard: "1/1",
		MutantCheck: first.MutantCheck, Properties: []verifyProperty{}, Mutants: []verifyMutant{}}
	for i := 1; i <= n; i++ {
		m.Merged = append(m.Merged, fmt.Sprintf("%d/%d", i, n))
	}
	order := map[string]int{}
	for k, p := range properties.Properties() {
		order[p.ID] = k
	}
	morder := map[string]int{}
	for k, mu := range mutants.All() {
		morder[mu.Name] = k
	}
	ids := map[string]bool{}
	for k, r := range rs {
		for _, p := range r.Properties {
			if ids[p.ID] {
				return nil, fmt.Errorf("%s: property %s is in two shards", names[k], p.ID)
			}
			ids[p.ID] = true
			m.Properties = append(m.Properties, p)
		}
		for _, mu := range r.Mutants {
			if ids["mutant:"+mu.Name] {
				return nil, fmt.Errorf("%s: mutant %s is in two shards", names[k], mu.Name)
			}
			ids["mutant:"+mu.Name] = true
			m.Mutants = append(m.Mutants, mu)
		}
	}
	// Unknown ids (another perpcheck version) sort last, by name.
	rank := func(o map[string]int, id string) int {
		if k, ok := o[id]; ok {
			return k
		}
		return len(o)
	}
	slices.SortStableFunc(m.Properties, func(a, b verifyProperty) int {
		if d := rank(order, a.ID) - rank(order, b.ID); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	slices.SortStableFunc(m.Mutants, func(a, b verifyMutant) int {
		if d := rank(morder, a.Name) - rank(morder, b.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	m.summarize()
	return m, nil
}

// printReport prints a (merged) report as verify prints its run: the
// property table, the failures, the counts, the mutant table.
func printReport(w io.Writer, r *verifyReport) {
	fmt.Fprintf(w, "perpcheck verify-merge: %s against %s, %d cases per query property, %d runs per ledger property (seed %s)\n",
		strings.Join(r.Merged, " "), r.Impl, r.Checks, r.LedgerChecks, seedText(r.Seed))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRULES\tCASES\tTIME\tSTATUS")
	for _, p := range r.Properties {
		rules := strings.Join(p.Rules, " ")
		if len(rules) > 48 {
			rules = rules[:45] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.ID, rules, p.Cases, (time.Duration(p.DurationMS) * time.Millisecond), p.Status)
	}
	tw.Flush()
	for _, p := range r.Properties {
		if f := p.Failure; f != nil {
			fmt.Fprintf(w, "\nFAIL %s (%s)\n  %s\n", p.ID, strings.Join(p.Rules, " "), f.Message)
			for _, file := range f.Files {
				fmt.Fprintf(w, "  counterexample: %s\n", file)
			}
			if f.Seed != 0 {
				target := "-impl " + r.Impl
				if strings.ContainsAny(r.Impl, " /") {
					target = "-engine '" + r.Impl + "'"
				}
				fmt.Fprintf(w, "  reproduce: perpcheck verify %s -run '^%s$' -seed %d -mutants=false\n", target, regexp.QuoteMeta(p.ID), f.Seed)
			}
		}
	}
	s := r.Summary
	fmt.Fprintf(w, "properties: %d passed, %d failed, %d not run\n", s.Passed, s.Failed, s.Skipped)
	for _, p := range r.Properties {
		if p.Status == string(properties.Skip) {
			fmt.Fprintf(w, "  NOT RUN %s: %s\n", p.ID, p.SkipReason)
		}
	}
	if !r.MutantCheck {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tCAUGHT BY\tCASES\tTIME")
	for _, m := range r.Mutants {
		by := strings.Join(m.CaughtBy, ", ")
		if m.Status != "KILLED" {
			by = m.Status
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", m.Name, by, m.Cases, time.Duration(m.DurationMS)*time.Millisecond)
	}
	tw.Flush()
	fmt.Fprintf(w, "mutants killed: %d/%d\n", s.Killed, s.Killed+s.Survived)
}
