package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perpcheck/perpcheck/bench"
	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/protocol"
)

const benchUsage = `usage: perpcheck bench [-engine 'CMD ARGS' [-name NAME]] [-impl model,reference] [-count N] [-benchtime D|Nx] [-run REGEXP] [-timeout D]

Times an engine on perpcheck's benchmark scenarios (package bench's harness:
BenchmarkHealth pos=1/10/100, BenchmarkLiqPrice mode=isolated/cross, and for an
engine with a ledger BenchmarkLedger event=trade/funding/cascade) and prints
Go benchmark format on stdout, so that benchstat reads it:

  perpcheck bench -engine 'python3 engine.py' -impl model -count 10 > bench.txt
  benchstat -col /impl bench.txt

-engine runs an engine in any language behind perpcheck/1 (PROTOCOL.md); an op
is then a round trip (the request encoded, the engine's work, the response
decoded). Without -engine the in-process model is timed (-impl model), through
the same interface: every op is a full evaluation (model.Evaluate) or a ledger
event. -impl adds in-process implementations (model, reference) to an -engine
run, interleaved with it, so that one file compares them. Each case is
checked once against the model before it is timed; a case the engine cannot
run (an undeclared capability, no ledger) is skipped with a note on stderr.
Exit status 1 when a case fails, 2 on bad usage.
`

// benchImpl is one implementation perpcheck bench times.
type benchImpl struct {
	name  string
	cases []bench.Case
}

// cmdBench is "perpcheck bench".
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	engine := fs.String("engine", "", "an engine behind perpcheck/1: its command line, e.g. 'python3 engine.py'")
	name := fs.String("name", "", "the engine's impl= name in the benchmark names (default: the engine name of its init_ok)")
	impls := fs.String("impl", "", "in-process implementations to time, comma-separated: model, reference (default: model without -engine, none with it)")
	count := fs.Int("count", 1, "run every case this many times (rounds interleave the implementations)")
	benchtime := fs.String("benchtime", "1s", "time per case and round (a duration, or Nx for N iterations), as go test -benchtime")
	run := fs.String("run", "", "run only the cases whose name (e.g. BenchmarkHealth/impl=model/pos=10) matches this regular expression")
	timeout := fs.Duration("timeout", 10*time.Second, "the longest the engine may take to answer one request")
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
	if *count < 1 {
		fmt.Fprintf(stderr, "perpcheck bench: -count must be at least 1, got %d\n", *count)
		return 2
	}
	var re *regexp.Regexp
	if *run != "" {
		var err error
		if re, err = regexp.Compile(*run); err != nil {
			fmt.Fprintf(stderr, "perpcheck bench: -run: %v\n", err)
			return 2
		}
	}
	// testing.Benchmark takes its duration from the testing flags.
	testing.Init()
	if err := flag.CommandLine.Set("test.benchtime", *benchtime); err != nil {
		fmt.Fprintf(stderr, "perpcheck bench: -benchtime %q: %v\n", *benchtime, err)
		return 2
	}
	var inproc []string
	if *impls != "" {
		inproc = strings.Split(*impls, ",")
	} else if *engine == "" {
		inproc = []string{"model"}
	}
	var all []benchImpl
	for _, n := range inproc {
		var f properties.Factory
		switch n {
		case "model":
			f = properties.Model()
		case "reference":
			f = mutants.Reference()
		default:
			fmt.Fprintf(stderr, "perpcheck bench: -impl %q: want model or reference\n", n)
			return 2
		}
		cs, err := bench.Cases(n, f)
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck bench: %v\n", err)
			return 2
		}
		all = append(all, benchImpl{n, cs})
	}
	var config []string
	if *engine != "" {
		command, err := splitCommand(*engine)
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck bench: -engine: %v\n", err)
			return 2
		}
		e, err := protocol.Start(command, protocol.Options{Timeout: *timeout, Stderr: stderr})
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck bench: -engine: %v\n", err)
			return 2
		}
		defer e.Close()
		info := e.Info()
		label := *name
		if label == "" {
			label = implLabel(info.Engine, inproc)
		}
		adapted, caps := protocol.Adapt(e)
		cs, err := bench.Cases(label, func() (properties.Engine, []properties.Capability) { return adapted, caps })
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck bench: -name: %v\n", err)
			return 2
		}
		all = append(all, benchImpl{label, cs})
		config = append(config, "perpcheck-engine: "+oneLine(*engine),
			"perpcheck-engine-info: "+oneLine(info.Engine+" "+info.Version))
	}
	return benchAll(stdout, stderr, all, re, *count, config)
}

// implLabel turns an engine's name into an impl= name: characters that are
// syntax in benchmark names become '-', and a name taken by an in-process
// implementation gets the prefix "proto:".
func implLabel(engine string, taken []string) string {
	l := strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:+-", r)) {
			return r
		}
		return '-'
	}, engine)
	if l == "" {
		l = "engine"
	}
	if slices.Contains(taken, l) {
		l = "proto:" + l
	}
	return l
}

// oneLine makes s safe as the value of a benchfmt configuration line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// benchAll runs the cases of every implementation count times, one case at
// a time with the implementations interleaved (case 1 of each, case 2 of
// each, ...), and writes the results in Go benchmark format.
func benchAll(stdout, stderr io.Writer, all []benchImpl, re *regexp.Regexp, count int, config []string) int {
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\n", runtime.GOOS, runtime.GOARCH)
	if cpu := cpuName(); cpu != "" {
		fmt.Fprintf(w, "cpu: %s\n", cpu)
	}
	fmt.Fprintf(w, "perpcheck: %s\n", oneLine(version()))
	for _, c := range config {
		fmt.Fprintln(w, c)
	}
	w.Flush()
	suffix := ""
	if p := runtime.GOMAXPROCS(0); p != 1 {
		suffix = fmt.Sprintf("-%d", p)
	}
	status := 0
	dead := map[string]bool{} // cases that failed or were skipped: not run again
	ran := 0
	for round := 0; round < count; round++ {
		for k := range all[0].cases {
			for _, im := range all {
				if k >= len(im.cases) {
					continue
				}
				c := im.cases[k]
				full := "Benchmark" + c.Group + "/" + c.Name
				if re != nil && !re.MatchString(full) || dead[full] {
					continue
				}
				r, err := c.Benchmark()
				if err != nil {
					dead[full] = true
					if errors.Is(err, bench.ErrSkipped) {
						fmt.Fprintf(stderr, "perpcheck bench: SKIP %s: %v\n", full, err)
						continue
					}
					fmt.Fprintf(stderr, "perpcheck bench: FAIL %s: %v\n", full, err)
					status = 1
					continue
				}
				ran++
				fmt.Fprintf(w, "%s%s\t%s\t%s\n", full, suffix, r.String(), r.MemString())
				w.Flush()
			}
		}
	}
	if ran == 0 && status == 0 {
		fmt.Fprintln(stderr, "perpcheck bench: no case ran")
		return 2
	}
	return status
}

// cpuName is the processor's model name from /proc/cpuinfo, or "".
func cpuName() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return oneLine(v)
		}
	}
	return ""
}
