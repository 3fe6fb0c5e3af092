//go:build !gofuzz

package fuzz

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// This file measures how strong the two ways of turning fuzzer bytes into
// test cases are, on the bugs the reference can inject (the teeth of the
// conformance suite): the byte decoders of this package (DecodeScenario,
// DecodeQueries, decodeLedger with their checks) and rapid.MakeFuzz over
// the suite's generators (properties.FuzzTarget of EVAL-2/differential and
// LED-6/differential-ledger, as the rapid ledger target runs). Both get the same
// kind of input, pseudo-random byte strings, and the count is executions up
// to the first disagreement with the mutant. It is a measurement, not a
// gate:
//
//	FUZZ_MUTANTS=1 go test -run TestMutantKills -v -timeout 1h ./fuzz/
//
// FUZZ_MUTANTS_N sets the executions per mutant and approach (default
// 2000). The names of the mutants and the functions that inject them
// (internal/mutation's Query, Ledger, Evaluate and NewLedger,
// internal/mutants.All, properties.FuzzTarget) are used in this file only.

// Input lengths: up to 400 bytes for the decoders (they read a few bytes
// per decision, and every input decodes), up to 8 KiB for rapid (its
// bitstream takes 8 bytes per draw, and a stream that ends early skips the
// case).
const (
	decoderInputMax = 400
	rapidInputMax   = 8 << 10
)

// mutantInputs returns n pseudo-random inputs of lengths in [0, maxLen),
// the same for every run.
func mutantInputs(n, maxLen int) [][]byte {
	r := rand.New(rand.NewPCG(1, 1))
	out := make([][]byte, n)
	for k := range out {
		b := make([]byte, r.IntN(maxLen))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		out[k] = b
	}
	return out
}

// kill is the outcome of one approach on one mutant: the execution (1-based)
// that caught it, 0 if none did, and the time spent.
type kill struct {
	at      int
	elapsed time.Duration
}

func (k kill) String() string {
	if k.at == 0 {
		return fmt.Sprintf("survived (%s)", k.elapsed.Round(time.Millisecond))
	}
	return fmt.Sprintf("%d (%s)", k.at, k.elapsed.Round(time.Millisecond))
}

// firstKill runs check on inputs in order until it returns an error.
func firstKill(inputs [][]byte, check func([]byte) error) kill {
	start := time.Now()
	for i, in := range inputs {
		if check(in) != nil {
			return kill{i + 1, time.Since(start)}
		}
	}
	return kill{0, time.Since(start)}
}

// mutantN is FUZZ_MUTANTS_N.
func mutantN() int {
	if v, err := strconv.Atoi(os.Getenv("FUZZ_MUTANTS_N")); err == nil {
		return v
	}
	return 2000
}

// TestMutantKills prints, for every built-in mutant, after how many
// executions each approach caught it (see the top of this file).
func TestMutantKills(t *testing.T) {
	if os.Getenv("FUZZ_MUTANTS") == "" {
		t.Skip("set FUZZ_MUTANTS=1 to measure mutant kills")
	}
	n := mutantN()
	rapidKills := rapidKillsInChild(t)
	inputs := mutantInputs(n, decoderInputMax)
	var rows []string
	var killed [3]int
	for _, m := range mutation.Query() {
		ref := func(s *spec.Scenario) (*spec.Report, error) { return mutation.Evaluate(s, m) }
		ev := firstKill(inputs, func(in []byte) error { _, _, err := differentialWith(DecodeScenario(in), ref); return err })
		q := firstKill(inputs, func(in []byte) error { return checkQueriesWith(in, ref) })
		r := rapidKills[string(m)]
		rows = append(rows, fmt.Sprintf("| `%s` | query | %s | %s | %s |", m, ev, q, r))
		count(&killed, ev, q, r)
	}
	for _, m := range mutation.Ledger() {
		newRef := func(st *spec.State) (ledger, error) {
			l, err := mutation.NewLedger(st, m)
			if err != nil {
				return nil, err
			}
			return l.(ledger), nil // a *reference.Ledger, which has Check
		}
		lk := firstKill(inputs, func(in []byte) error { return checkLedger(in, newRef) })
		r := rapidKills[string(m)]
		rows = append(rows, fmt.Sprintf("| `%s` | ledger | %s | | %s |", m, lk, r))
		count(&killed, lk, kill{}, r)
	}
	total := len(mutation.Query()) + len(mutation.Ledger())
	t.Logf("%d executions per mutant and approach (decoders: inputs of 0-%d bytes; rapid: 0-%d bytes)\n"+
		"| mutant | layer | decoder: Evaluate / Ledger check | decoder: Queries check | rapid.MakeFuzz over the suite's generators |\n|---|---|---|---|---|\n%s\n"+
		"| killed | | %d of %d (with Queries: %d) | | %d of %d |",
		n, decoderInputMax, rapidInputMax, strings.Join(rows, "\n"), killed[0], total, killed[1], killed[2], total)
	if killed[0] == 0 && killed[2] == 0 {
		t.Fatal("no mutant caught")
	}
}

// count adds one mutant's outcome to the totals: [0] the Evaluate or
// Ledger decoder check, [1] either decoder check, [2] rapid.
func count(killed *[3]int, ev, q, r kill) {
	if ev.at > 0 {
		killed[0]++
	}
	if ev.at > 0 || q.at > 0 {
		killed[1]++
	}
	if r.at > 0 {
		killed[2]++
	}
}

// rapidKillsInChild runs TestMutantKillsRapid in a child process and
// parses its report. A child, because the function rapid.MakeFuzz returns
// fails its *testing.T: each execution runs as a subtest, so the first kill
// fails the child's test, not this one.
func rapidKillsInChild(t *testing.T) map[string]kill {
	cmd := exec.Command(os.Args[0], "-test.run=^TestMutantKillsRapid$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), "FUZZ_MUTANTS_CHILD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // it fails when it catches a mutant
	kills := map[string]kill{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "MUTANT" {
			continue
		}
		at, err1 := strconv.Atoi(f[2])
		ns, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("child report line %q", sc.Text())
		}
		kills[f[1]] = kill{at, time.Duration(ns)}
	}
	if len(kills) != len(mutants.All()) {
		t.Fatalf("the child reported %d of %d mutants:\n%s", len(kills), len(mutants.All()), out.String())
	}
	return kills
}

// TestMutantKillsRapid is the child of TestMutantKills: for every mutant
// (properties.Mutants), it runs the suite's differential property as a
// fuzz target (EVAL-2/differential for a query mutant,
// LED-6/differential-ledger for a ledger one) on the same pseudo-random
// inputs, one subtest per execution, until one fails, and prints
// "MUTANT name executions nanoseconds" (executions 0: survived).
func TestMutantKillsRapid(t *testing.T) {
	if os.Getenv("FUZZ_MUTANTS_CHILD") == "" {
		t.Skip("run by TestMutantKills")
	}
	inputs := mutantInputs(mutantN(), rapidInputMax)
	for _, m := range mutants.All() {
		id := "EVAL-2/differential"
		if m.Ledger {
			id = "LED-6/differential-ledger"
		}
		target, err := properties.FuzzTarget(m.Factory, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		k := firstKill(inputs, func(in []byte) error {
			if t.Run(m.Name, func(t *testing.T) { target(t, in) }) {
				return nil
			}
			return fmt.Errorf("caught")
		})
		fmt.Printf("MUTANT %s %d %d\n", m.Name, k.at, k.elapsed.Nanoseconds())
	}
}
