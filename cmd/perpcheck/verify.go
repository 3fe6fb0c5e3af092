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

const verifyUsage = `usage: perpcheck verify [-checks N] [-ledger-checks N] [-seed N] [-impl model|reference|mutant:NAME | -engine 'CMD ARGS'] [-timeout D] [-run REGEXP] [-mutants=false] [-out DIR] [-v]

Runs the conformance suite (package properties) against an implementation:
every property of the catalogue with rapid, then the same suite against each
mutant of the reference (deliberately broken engines) to show that it catches
them. Prints a table per property (id, SPEC rules, cases, time, PASS/FAIL/SKIP)
and the mutant kill count. The query properties run -checks cases each; the
ledger properties (SPEC LED..ADL), whose cases are whole runs of about 30
events, run -ledger-checks. A failure prints the shrunk counterexample (a
scenario that "perpcheck eval FILE" replays, or a run file for "perpcheck run
FILE") and the seed that reproduces it. Exit status 1 when a property fails or
a mutant survives.
`

// cmdVerify is "perpcheck verify": the conformance suite against the model or
// the reference, plus the mutant kill count.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); fs.PrintDefaults() }
	checks := fs.Int("checks", 3000, "rapid cases per query property")
	ledgerChecks := fs.Int("ledger-checks", 300, "rapid cases per ledger property (each a run of about 30 events)")
	seed := fs.Uint64("seed", 0, "rapid base seed (0: random); a failure prints the seed that reproduces it")
	impl := fs.String("impl", "model", "implementation under test: model, reference, or mutant:NAME (a broken reference, to see a failure)")
	run := fs.String("run", "", "run only the properties whose id matches this regular expression")
	withMutants := fs.Bool("mutants", true, "also run the suite against every mutant of the reference")
	mutantChecks := fs.Int("mutant-checks", 100, "rapid cases per query property for each mutant (ledger properties: 3x as many runs)")
	out := fs.String("out", "", "write each counterexample scenario to a JSON file in this directory")
	verbose := fs.Bool("v", false, "print each property as it finishes and rapid's full report on failure")
	engine := fs.String("engine", "", "an engine in any language behind perpcheck/1 (PROTOCOL.md): its command line, e.g. 'python3 engine.py' (replaces -impl; the mutant check is then off unless -mutants is given)")
	timeout := fs.Duration("timeout", 10*time.Second, "the longest an engine may take to answer one query or event")
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
	if *run != "" {
		if _, err := regexp.Compile(*run); err != nil {
			fmt.Fprintf(stderr, "perpcheck verify: -run: %v\n", err)
			return 2
		}
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
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "mutants" })
		if !explicit {
			*withMutants = false
		}
		f, stop, err := protocol.Suite(command, protocol.Options{Timeout: *timeout, Seed: *seed, Stderr: stderr})
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck verify: -engine: %v\n", err)
			return 2
		}
		defer stop()
		factory = f
		_, caps := f()
		*impl = *engine
		fmt.Fprintf(stdout, "engine: %s (capabilities: %s)\n", *engine, capNames(caps))
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
	if *run != "" {
		re := regexp.MustCompile(*run)
		cfg.Select = func(p properties.Property) bool { return re.MatchString(p.ID) }
		// The mutant check measures the whole suite: a subset would report
		// mutants that other properties catch as survivors. So -run turns
		// it off.
		if *withMutants {
			fmt.Fprintln(stderr, "perpcheck verify: -run selects a subset of the suite; the mutant check (which needs the whole suite) is skipped")
			*withMutants = false
		}
	}
	var mu sync.Mutex
	done, total := 0, 0
	for _, p := range properties.Properties() {
		if cfg.Select == nil || cfg.Select(p) {
			total++
		}
	}
	if total == 0 {
		fmt.Fprintf(stderr, "perpcheck verify: -run %q matches no property\n", *run)
		return 2
	}
	fmt.Fprintf(stdout, "perpcheck verify: %d properties against %s, %d cases per query property, %d runs per ledger property (seed %s)\n", total, *impl, *checks, *ledgerChecks, seedText(*seed))
	cfg.Progress = func(r properties.PropertyResult) {
		mu.Lock()
		defer mu.Unlock()
		done++
		if *verbose {
			fmt.Fprintf(stdout, "  [%d/%d] %-4s %s (%d cases, %s)\n", done, total, r.Status, r.ID, r.Cases, r.Duration.Round(time.Millisecond))
		} else {
			fmt.Fprint(stdout, map[properties.Status]string{properties.Pass: ".", properties.Fail: "F", properties.Skip: "s"}[r.Status])
		}
	}
	res, _ := properties.Check(factory, cfg)
	if !*verbose {
		fmt.Fprintln(stdout)
	}
	printTable(stdout, res)
	status := 0
	if res.Failed > 0 {
		status = 1
		printFailures(stdout, stderr, res, *impl, *out, *verbose, command, *timeout)
	}
	fmt.Fprintf(stdout, "properties: %d passed, %d failed, %d not run (%s)\n", res.Passed, res.Failed, res.Skipped, res.Duration.Round(time.Millisecond))
	for _, nr := range res.NotRun() {
		fmt.Fprintf(stdout, "  NOT RUN %s\n", nr)
	}
	if *withMutants {
		if !killMutants(stdout, *mutantChecks, *seed, *verbose) {
			status = 1
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
// command that reproduces it.
func printFailures(stdout, stderr io.Writer, res *properties.Result, impl, out string, verbose bool, command []string, timeout time.Duration) {
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
					}
					if transcript != nil {
						tname := strings.TrimSuffix(name, ".json") + ".transcript"
						if os.WriteFile(tname, []byte(strings.Join(transcript, "\n")+"\n"), 0o644) == nil {
							fmt.Fprintf(stdout, "  transcript written to %s\n", tname)
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
}

// killMutants runs the suite, without its differential properties (and for a
// ledger mutant only its ledger properties: mutants.Mutant.Targets), against
// each mutant of the reference and prints which property caught it. It
// returns false if a mutant survived.
func killMutants(w io.Writer, checks int, seed uint64, verbose bool) bool {
	ms := mutants.All()
	fmt.Fprintf(w, "\nmutants: the suite without its differential properties (ledger mutants: its ledger properties) against %d broken engines (%d cases per query property, %d runs per ledger property)\n", len(ms), checks, 3*checks)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tCAUGHT BY\tCASES\tTIME")
	killed := 0
	start := time.Now()
	for _, m := range ms {
		res, err := properties.Check(m.Factory, &properties.Config{Cases: checks, Runs: 3 * checks, Seed: seed,
			Select: m.Targets, FailFast: true,
			ShrinkTime: 500 * time.Millisecond, Parallel: runtime.GOMAXPROCS(0)})
		var by []string
		cases := 0
		for _, p := range res.Properties {
			if p.Status == properties.Fail {
				by = append(by, p.ID)
				cases += p.Cases
			}
		}
		if err != nil && len(by) > 0 {
			killed++
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", m.Name, strings.Join(by, ", "), cases, res.Duration.Round(time.Millisecond))
		} else {
			fmt.Fprintf(tw, "%s\tSURVIVED\t-\t%s\n", m.Name, res.Duration.Round(time.Millisecond))
		}
		if verbose {
			tw.Flush()
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "mutants killed: %d/%d (%s)\n", killed, len(ms), time.Since(start).Round(time.Millisecond))
	return killed == len(ms)
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
