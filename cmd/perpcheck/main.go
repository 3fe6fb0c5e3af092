// Command perpcheck evaluates perpetual-futures margin scenarios and checks margin
// engines against the perpcheck specification (SPEC.md).
//
// Usage:
//
//	perpcheck verify         run the conformance suite against the built-in model (the main job)
//	perpcheck verify-merge   merge the JSON results of the shards of a verify -shard run
//	perpcheck report         render a verify result (JSON) as an HTML report
//	perpcheck bench          time an engine (or the model) on perpcheck's benchmark scenarios
//	perpcheck eval FILE      evaluate a scenario or a ledger state (JSON; "-" reads stdin)
//	perpcheck run FILE       apply a run file's events; print effects and the final state
//	perpcheck profiles       list the dated venue profiles and their sources
//	perpcheck serve          speak perpcheck/1 on stdin/stdout for the model or the reference
//	perpcheck replay         re-send a transcript of perpcheck/1 to an engine
//	perpcheck vectors        export the test vectors, or check an engine against them
//	perpcheck version        print the module version
//
// Exit status: 0 on success, 1 when a check fails, 2 on bad input or usage. Bad input
// prints one line naming the JSON path and the SPEC rule it breaks.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// maxInput bounds what perpcheck reads from one file (scenarios are small).
const maxInput = 64 << 20

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage:
  perpcheck verify [-checks N] [-ledger-checks N] [-mutant-checks N] [-seed N]
                   [-impl model|reference|mutant:NAME | -engine 'CMD ARGS'] [-timeout D]
                   [-init-timeout D]
                   [-run REGEXP] [-mutants[=false]] [-shard I/N] [-json FILE|-] [-out DIR] [-q] [-v]
                          run the conformance suite and the mutant check; exit 1 on any failure
                          (what each flag does: perpcheck verify -h)
  perpcheck verify-merge [-json OUT] SHARD.json...
                          merge the JSON results of the shards of one verify -shard I/N run
  perpcheck report -html RESULT.json -out DIR
                          render a verify result (JSON) as DIR/index.html, the HTML report
  perpcheck bench [-engine 'CMD ARGS' [-name NAME]] [-impl model,reference] [-count N]
                  [-benchtime D|Nx] [-run REGEXP] [-timeout D]
                          time an engine on perpcheck's benchmark scenarios (Go benchmark format,
                          for benchstat -col /impl)
  perpcheck eval FILE     evaluate a scenario or state file ("-" for stdin), print the JSON report
  perpcheck run [-compact] [-state OUT|-] FILE
                          apply the events of a run file, print effects, results and the final state
  perpcheck profiles      list the dated venue profiles and their sources
  perpcheck serve [-impl model|reference]
                          speak perpcheck/1 (PROTOCOL.md) on stdin/stdout for the model or the reference
  perpcheck replay -engine 'CMD ARGS' TRANSCRIPT
                          re-send a failure's transcript to an engine; show the responses that differ
  perpcheck vectors export|check [flags] DIR
                          write the language-neutral test vectors, or check an engine against them
  perpcheck version       print the version
`

const evalUsage = `usage: perpcheck eval FILE

Evaluates a scenario (SPEC RPT) or a ledger state (one report per trader
account, SPEC EVAL-6) and prints the JSON report; FILE "-" reads stdin.
Bad input exits 2 with one line naming the JSON path and the SPEC rule.
`

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "eval":
		if len(args) == 2 && isHelp(args[1]) {
			fmt.Fprint(stdout, evalUsage)
			return 0
		}
		if len(args) != 2 || strings.HasPrefix(args[1], "-") && args[1] != "-" {
			fmt.Fprint(stderr, evalUsage)
			return 2
		}
		return cmdEval(args[1], stdin, stdout, stderr)
	case "verify":
		return cmdVerify(args[1:], stdout, stderr)
	case "verify-merge":
		return cmdVerifyMerge(args[1:], stdout, stderr)
	case "report":
		return cmdReport(args[1:], stdout, stderr)
	case "run":
		return cmdRun(args[1:], stdin, stdout, stderr)
	case "profiles":
		return cmdProfiles(stdout)
	case "serve":
		return cmdServe(args[1:], stdin, stdout, stderr)
	case "replay":
		return cmdReplay(args[1:], stdout, stderr)
	case "vectors":
		return cmdVectors(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "perpcheck: unknown command %q\n%s", args[0], usage)
	return 2
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "perpcheck " + bi.Main.Version
	}
	return "perpcheck (devel)"
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxInput)
	}
	return data, nil
}

// decodeScenario decodes a scenario file (SPEC EVAL-4).
func decodeScenario(data []byte) (*spec.Scenario, error) {
	var s spec.Scenario
	if err := strictjson.Unmarshal(data, &s); err != nil {
		return nil, jsonError(err)
	}
	return &s, nil
}

func cmdEval(name string, stdin io.Reader, stdout, stderr io.Writer) int {
	data, err := readInput(name, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "perpcheck: %v\n", err)
		return 2
	}
	if isStateFile(data) {
		return evalState(data, stdout, stderr)
	}
	given, err := decodeScenario(data)
	if err != nil {
		return inputError(stderr, err)
	}
	s, err := venue.Resolve(given)
	if err != nil {
		return inputError(stderr, err)
	}
	rep, err := model.Evaluate(s)
	if err != nil {
		// A POS-3 error on a profile market names the venue (SPEC MKT-4, PROF-3).
		return inputError(stderr, venue.AnnotateError(given, err))
	}
	return writeJSON(stdout, stderr, rep)
}

// inputError prints one line naming the path and the rule, and returns status 2.
func inputError(stderr io.Writer, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(stderr, "perpcheck: %s\n", msg)
	return 2
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "perpcheck: %v\n", err)
		return 1
	}
	out = append(out, '\n')
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "perpcheck: %v\n", err)
		return 1
	}
	return 0
}

func cmdProfiles(stdout io.Writer) int {
	for _, p := range venue.Profiles() {
		fmt.Fprintf(stdout, "%-24s as of %s  max %sx  modes %v  mm basis %s  %d markets\n",
			p.ID, p.AsOf, p.MaxLeverage, p.MarginModes, p.MMBasis, len(p.Markets))
		for _, src := range p.Sources {
			fmt.Fprintf(stdout, "    source: %s\n", src)
		}
		if p.Notes != "" {
			fmt.Fprintf(stdout, "    notes:  %s\n", p.Notes)
		}
	}
	return 0
}
