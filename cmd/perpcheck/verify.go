package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/protocol"
)

const verifyUsage = `usage: perpcheck verify [-checks N] [-ledger-checks N] [-seed N] [-impl model|reference|mutant:NAME | -engine 'CMD ARGS'] [-timeout D] [-init-timeout D] [-run REGEXP] [-mutants[=false]] [-mutant-checks N] [-shard I/N] [-json FILE] [-out DIR] [-q] [-v]

Runs the conformance suite (package properties) against an implementation:
every property of the catalogue with rapid, then the same suite against each
mutant of the reference (deliberately broken engines) to show that it catches
them. Prints a table per property (id, SPEC rules, cases, time, PASS/FAIL/SKIP)
and the mutant kill count. The query properties run -checks cases each; the
ledger properties (SPEC LED..ADL), whose cases are whole runs of about 30
events, run -ledger-checks. A failure prints the shrunk counterexample (a
scenario that "perpcheck eval FILE" replays, or a run file for "perpcheck run
FILE") and the seed that reproduces it. Exit status 1 when a property fails or
a mutant survives, 2 on bad usage (including a -run that matches nothing).

-run selects properties by id; the mutant check, which measures the whole
suite, is then skipped, unless -mutants is given: then each mutant is run
against the selected properties only (those it is targeted by), and a mutant
no selected property targets is not run.

-shard I/N runs the I-th of N disjoint parts (1 <= I <= N) of the run: the
selected properties and the mutants, each dealt round robin in catalogue
order. The union of the N shards is the unsharded run with the same flags and
-seed; without -seed a seed is drawn and printed, so that every shard can be
re-run. -json FILE writes the result (properties and mutants with their
verdicts, cases, seeds, counterexample files of -out) as JSON;
"perpcheck verify-merge" merges the JSON files of the N shards into one.
-out DIR writes the counterexample files, the same JSON as DIR/result.json
and an HTML report of it as DIR/index.html (see "perpcheck report -h").

While it runs, the property or mutant in progress and its cases so far are
shown on stderr when stderr is a terminal (not with -q).
`

// cmdVerify is "perpcheck verify": the conformance suite against the model or
// the reference, plus the mutant kill count.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	checks := fs.Int("checks", 3000, "rapid cases per query property")
	ledgerChecks := fs.Int("ledger-checks", 300, "rapid cases per ledger property (each a run of about 30 events)")
	seed := fs.Uint64("seed", 0, "rapid base seed (0: random; drawn and printed with -shard or -json); a failure prints the seed that reproduces it")
	impl := fs.String("impl", "model", "implementation under test: model, reference, or mutant:NAME (a broken reference, to see a failure)")
	run := fs.String("run", "", "run only the properties whose id matches this regular expression (the mutant check is then skipped unless -mutants is given, and restricted to them)")
	withMutants := fs.Bool("mutants", true, "also run the suite against every mutant of the reference")
	mutantChecks := fs.Int("mutant-checks", 100, "rapid cases per query property for each mutant (ledger properties: 3x as many runs)")
	out := fs.String("out", "", "write the result (result.json, index.html: perpcheck report) and each counterexample (scenario or run file, transcript) to this directory")
	verbose := fs.Bool("v", false, "print each property as it finishes and rapid's full report on failure")
	quiet := fs.Bool("q", false, "no progress display on stderr")
	shardFlag := fs.String("shard", "", "run shard I of N (I/N, 1 <= I <= N): every N-th selected property and mutant")
	jsonOut := fs.String("json", "", "write the result as JSON to this file (\"-\": stdout, instead of the tables)")
	engine := fs.String("engine", "", "an engine in any language behind perpcheck/1 (PROTOCOL.md): its command line, e.g. 'python3 engine.py' (replaces -impl; the mutant check is then off unless -mutants is given)")
	timeout := fs.Duration("timeout", 10*time.Second, "the longest an engine may take to answer one query or event")
	initTimeout := fs.Duration("init-timeout", protocol.DefaultInitTimeout, "the longest an -engine may take to start and answer init (PR-9)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"checks", *checks}, {"ledger-checks", *ledgerChecks}, {"mutant-checks", *mutantChecks}} {
		if c.n < 1 {
			fmt.Fprintf(stderr, "perpcheck verify: -%s must be at least 1, got %d\n", c.name, c.n)
			return 2
		}
	}
	var re *regexp.Regexp
	if *run != "" {
		var err error
		if re, err = regexp.Compile(*run); err != nil {
			fmt.Fprintf(stderr, "perpcheck verify: -run: %v\n", err)
			return 2
		}
	}
	sh := shard{1, 1}
	if *shardFlag != "" {
		var err error
		if sh, err = parseShard(*shardFlag); err != nil {
			fmt.Fprintf(stderr, "perpcheck verify: -shard: %v\n", err)
			return 2
		}
	}
	mutantsExplicit := false
	fs.Visit(func(f *flag.Flag) { mutantsExplicit = mutantsExplicit || f.Name == "mutants" })
	if (*shardFlag != "" || *jsonOut != "" || *out != "") && *seed == 0 {
		*seed = drawSeed()
	}
	// With -json -, the JSON is stdout: the tables go to stderr.
	text := stdout
	if *jsonOut == "-" {
		text = stderr
	}
	var factory properties.Factory
	cfg := &properties.Config{Cases: *checks, Runs: *ledgerChecks, Seed: *seed,
		Parallel: runtime.GOMAXPROCS(0), ShrinkTime: 10 * time.Second, Timeout: *timeout}
	var command []string
	if *engine != "" {
		var err error
		if command, err = splitCommand(*engine); err != nil {
			fmt.Fprintf(stderr, "perpcheck verify: -engine: %v\n", err)
			return 2
		}
		if !mutantsExplicit {
			*withMutants = false
		}
		f, stop, err := protocol.Suite(command, protocol.Options{Timeout: *timeout, InitTimeout: *initTimeout, Seed: *seed, Stderr: stderr})
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck verify: -engine: %v\n", err)
			return 2
		}
		defer stop()
		factory = f
		_, caps := f()
		*impl = *engine
		fmt.Fprintf(text, "engine: %s (capabilities: %s)\n", *engine, capNames(caps))
	}
	switch {
	case factory != nil:
	case *impl == "model":
		factory = properties.Model()
	case *impl == "reference":
		factory = mutants.Reference()
		cfg.Oracle, _ = properties.Model()()
	default:
		for _, m := range mutants.All() {
			if *impl == "mutant:"+m.Name {
				factory = m.Factory
			}
		}
		if factory == nil {
			var names []string
			for _, m := range mutants.All() {
				names = append(names, m.Name)
			}
			fmt.Fprintf(stderr, "perpcheck verify: -impl must be model, reference or mutant:NAME with NAME one of %s; got %q\n", strings.Join(names, ", "), *impl)
			return 2
		}
	}
	selected := func(p properties.Property) bool { return re == nil || re.MatchString(p.ID) }
	var ids []string // the selected properties, in catalogue order
	for _, p := range properties.Properties() {
		if selected(p) {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintf(stderr, "perpcheck verify: -run %q matches no property\n", *run)
		return 2
	}
	mine := map[string]bool{}
	for k, id := range ids {
		if sh.has(k) {
			mine[id] = true
		}
	}
	cfg.Select = func(p properties.Property) bool { return mine[p.ID] }
	if re != nil && *withMutants && !mutantsExplicit {
		// The mutant check measures the whole suite: a subset would report
		// mutants that other properties catch as survivors.
		fmt.Fprintln(stderr, "perpcheck verify: -run selects a subset of the suite; the mutant check (which needs the whole suite) is skipped (give -mutants to run it against the selected properties)")
		*withMutants = false
	}
	shardText := ""
	if sh.n > 1 {
		shardText = fmt.Sprintf(", shard %s", sh)
	}
	fmt.Fprintf(text, "perpcheck verify: %d properties against %s, %d cases per query property, %d runs per ledger property (seed %s%s)\n", len(mine), *impl, *checks, *ledgerChecks, seedText(*seed), shardText)
	prog := newProgress(stderr, *quiet)
	defer prog.stop()
	var mu sync.Mutex
	done := 0
	prog.phase(fmt.Sprintf("properties (%d)", len(mine)))
	cfg.OnCase = prog.onCase
	cfg.Progress = func(r properties.PropertyResult) {
		prog.finished(r.ID)
		mu.Lock()
		defer mu.Unlock()
		done++
		if *verbose {
			prog.clear()
			fmt.Fprintf(text, "  [%d/%d] %-4s %s (%d cases, %s)\n", done, len(mine), r.Status, r.ID, r.Cases, r.Duration.Round(time.Millisecond))
		}
	}
	res := &properties.Result{}
	if len(mine) > 0 {
		res, _ = properties.Check(factory, cfg)
	}
	prog.clear()
	printTable(text, res)
	status := 0
	var files map[string][]string
	if res.Failed > 0 {
		status = 1
		files = printFailures(text, stderr, res, *impl, *out, *verbose, command, *timeout)
	}
	fmt.Fprintf(text, "properties: %d passed, %d failed, %d not run (%s)\n", res.Passed, res.Failed, res.Skipped, res.Duration.Round(time.Millisecond))
	for _, nr := range res.NotRun() {
		fmt.Fprintf(text, "  NOT RUN %s\n", nr)
	}
	for _, p := range res.Properties {
		if len(p.NotCompared) > 0 {
			fmt.Fprintf(text, "  NOT COMPARED by %s (the engine does not declare them, PROTOCOL.md PR-5): %s\n", p.ID, strings.Join(p.NotCompared, ", "))
		}
	}
	var ms []mutantResult
	if *withMutants {
		var msel func(properties.Property) bool
		if re != nil {
			msel = selected
		}
		var ok bool
		ms, ok = killMutants(text, prog, *mutantChecks, *seed, *verbose, sh, msel)
		if !ok {
			status = 1
		}
	}
	if *jsonOut != "" || *out != "" {
		rep := newVerifyReport(*impl, *seed, *checks, *ledgerChecks, *mutantChecks, *run, sh, res, files, *withMutants, ms)
		rep.Engine = describeEngine(*impl, command, factory, *timeout)
		addCounterexampleDetails(rep, res, factory, cfg.Oracle)
		if *jsonOut != "" {
			if err := writeVerifyReport(*jsonOut, stdout, rep); err != nil {
				fmt.Fprintf(stderr, "perpcheck verify: -json: %v\n", err)
				return 2
			}
		}
		if *out != "" {
			if err := writeOutDir(*out, rep); err != nil {
				fmt.Fprintf(stderr, "perpcheck verify: -out: %v\n", err)
				return 2
			}
			fmt.Fprintf(text, "report: %s, %s\n", filepath.Join(*out, "result.json"), filepath.Join(*out, "index.html"))
		}
	}
	return status
}

func capNames(caps []properties.Capability) string {
	if len(caps) == 0 {
		return "none"
	}
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

func seedText(s uint64) string {
	if s == 0 {
		return "random"
	}
	return fmt.Sprint(s)
}

// printTable prints one row per property.
func printTable(w io.Writer, res *properties.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRULES\tCASES\tTIME\tSTATUS")
	for _, p := range res.Properties {
		rules := strings.Join(p.Rules, " ")
		if len(rules) > 48 {
			rules = rules[:45] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.ID, rules, p.Cases, p.Duration.Round(time.Millisecond), p.Status)
	}
	tw.Flush()
}

// printFailures prints each failure with its counterexample scenarios and the
// command that reproduces it, and returns the files written to out, by
// property id.
func printFailures(stdout, stderr io.Writer, res *properties.Result, impl, out string, verbose bool, command []string, timeout time.Duration) map[string][]string {
	files := map[string][]string{}
	for _, p := range res.Properties {
		if p.Status != properties.Fail || p.Failure == nil {
			continue
		}
		f := p.Failure
		fmt.Fprintf(stdout, "\nFAIL %s (%s)\n  %s\n", p.ID, strings.Join(p.Rules, " "), f.Message)
		for _, sc := range f.Counterexamples {
			fmt.Fprintf(stdout, "  counterexample, %s (replay: %s):\n%s\n", sc.Label, sc.Replay, indent(sc.JSON, "    "))
			var transcript []string
			if command != nil {
				var err error
				if transcript, err = transcriptOf(command, protocol.Options{Timeout: timeout}, sc.JSON); err != nil {
					fmt.Fprintf(stdout, "  (no transcript: %v)\n", err)
				} else {
					fmt.Fprintf(stdout, "  transcript (perpcheck replay -engine '%s' FILE):\n%s\n", strings.Join(command, " "), indent(strings.Join(transcript, "\n"), "    "))
				}
			}
			if out != "" {
				name := filepath.Join(out, sanitize(p.ID)+"-"+sanitize(sc.Label)+".json")
				if err := os.MkdirAll(out, 0o755); err == nil {
					err = os.WriteFile(name, []byte(sc.JSON+"\n"), 0o644)
					if err == nil {
						fmt.Fprintf(stdout, "  written to %s\n", name)
						files[p.ID] = append(files[p.ID], name)
					}
					if transcript != nil {
						tname := strings.TrimSuffix(name, ".json") + ".transcript"
						if os.WriteFile(tname, []byte(strings.Join(transcript, "\n")+"\n"), 0o644) == nil {
							fmt.Fprintf(stdout, "  transcript written to %s\n", tname)
							files[p.ID] = append(files[p.ID], tname)
						}
					}
				}
			}
		}
		if f.Seed != 0 {
			target := "-impl " + impl
			if command != nil {
				target = "-engine '" + strings.Join(command, " ") + "'"
			}
			fmt.Fprintf(stdout, "  reproduce: perpcheck verify %s -run '^%s$' -seed %d -mutants=false\n", target, regexp.QuoteMeta(p.ID), f.Seed)
			fmt.Fprintf(stdout, "  (in go test: -rapid.seed=%d)\n", f.Seed)
		}
		if verbose && f.Rapid != "" {
			fmt.Fprintf(stdout, "  rapid:\n%s\n", indent(f.Rapid, "    "))
		}
	}
	return files
}

// mutantResult is the outcome of one mutant in the mutant check.
type mutantResult struct {
	Name string
	// Status is KILLED, SURVIVED, or NOT RUN (no selected property
	// targets the mutant).
	Status   string
	CaughtBy []string
	Cases    int
	Duration time.Duration
}

// killMutants runs the suite, without its differential properties (and for a
// ledger mutant only its ledger properties: mutants.Mutant.Targets), against
// each mutant of the reference in shard sh and prints which property caught
// it. With sel, only the properties sel selects run. It returns the results
// and false if a mutant survived.
func killMutants(w io.Writer, prog *progress, checks int, seed uint64, verbose bool, sh shard, sel func(properties.Property) bool) ([]mutantResult, bool) {
	var ms []mutants.Mutant
	for k, m := range mutants.All() {
		if sh.has(k) {
			ms = append(ms, m)
		}
	}
	subset := ""
	if sel != nil {
		subset = ", restricted to the properties -run selects"
	}
	fmt.Fprintf(w, "\nmutants: the suite without its differential properties (ledger mutants: its ledger properties%s) against %d broken engines (%d cases per query property, %d runs per ledger property)\n", subset, len(ms), checks, 3*checks)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tCAUGHT BY\tCASES\tTIME")
	killed, survived := 0, 0
	start := time.Now()
	var out []mutantResult
	for k, m := range ms {
		targets := m.Targets
		if sel != nil {
			targets = func(p properties.Property) bool { return m.Targets(p) && sel(p) }
		}
		n := 0
		for _, p := range properties.Properties() {
			if targets(p) {
				n++
			}
		}
		if n == 0 {
			out = append(out, mutantResult{Name: m.Name, Status: "NOT RUN"})
			fmt.Fprintf(tw, "%s\tNOT RUN (no selected property targets it)\t-\t-\n", m.Name)
			continue
		}
		prog.phase(fmt.Sprintf("mutant %d/%d %s", k+1, len(ms), m.Name))
		res, err := properties.Check(m.Factory, &properties.Config{Cases: checks, Runs: 3 * checks, Seed: seed,
			Select: targets, FailFast: true, OnCase: prog.onCase,
			Progress:   func(r properties.PropertyResult) { prog.finished(r.ID) },
			ShrinkTime: 500 * time.Millisecond, Parallel: runtime.GOMAXPROCS(0)})
		r := mutantResult{Name: m.Name, Duration: res.Duration}
		for _, p := range res.Properties {
			if p.Status == properties.Fail {
				r.CaughtBy = append(r.CaughtBy, p.ID)
				r.Cases += p.Cases
			}
		}
		prog.clear()
		if err != nil && len(r.CaughtBy) > 0 {
			killed++
			r.Status = "KILLED"
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", m.Name, strings.Join(r.CaughtBy, ", "), r.Cases, res.Duration.Round(time.Millisecond))
		} else {
			survived++
			r.Status = "SURVIVED"
			fmt.Fprintf(tw, "%s\tSURVIVED\t-\t%s\n", m.Name, res.Duration.Round(time.Millisecond))
		}
		out = append(out, r)
		if verbose {
			tw.Flush()
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "mutants killed: %d/%d (%s)\n", killed, killed+survived, time.Since(start).Round(time.Millisecond))
	return out, survived == 0
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
