// Command fuzzshow explains a fuzz input: it decodes it the way its target
// does, prints the decoded scenario as a scenario file (JSON, for
// `perpcheck eval`), the outcome of model.Evaluate and reference.Evaluate,
// and the target's check result.
//
// Usage:
//
//	go run ./fuzz/internal/fuzzshow [-target KEY] [-raw] FILE...
//
// FILE is a Go corpus file (testdata/fuzz/<Target>/<name>, or a file under
// fuzz/findings/); with -raw it holds the raw argument bytes instead. The
// target key (e.g. EvaluateDifferential, the target's name without "Fuzz")
// defaults to the name of the file's directory.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/perpcheck/perpcheck/fuzz"
	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

func main() {
	target := flag.String("target", "", "target key (default: from the file's directory)")
	raw := flag.Bool("raw", false, "FILE holds the raw argument bytes, not a Go corpus file")
	flag.Parse()
	status := 0
	for _, f := range flag.Args() {
		if err := show(f, *target, *raw); err != nil {
			fmt.Fprintf(os.Stderr, "fuzzshow: %s: %v\n", f, err)
			status = 1
		}
	}
	os.Exit(status)
}

func show(file, key string, raw bool) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	data := b
	if !raw {
		if data, err = fuzz.ParseCorpusFile(b); err != nil {
			return err
		}
	}
	if key == "" {
		key = strings.TrimPrefix(filepath.Base(filepath.Dir(file)), "Fuzz")
	}
	fmt.Printf("== %s (target %s, %d bytes)\n", file, key, len(data))
	var s *spec.Scenario
	var check func([]byte) error
	switch key {
	case fuzz.KeyEvaluate:
		s, check = fuzz.DecodeScenario(data), fuzz.CheckEvaluate
	case fuzz.KeyQueries:
		var ups []fuzz.MarkUpdate
		s, ups = fuzz.DecodeQueries(data)
		check = fuzz.CheckQueries
		for i, u := range ups {
			fmt.Printf("update %d: market %s kind %q value %s delta %d units\n",
				i, fuzz.MarketNames[u.Market], u.Kind, model.Fixed(u.Value), u.Delta)
		}
	case fuzz.KeyJSON:
		fmt.Printf("input: %q\n", data)
		check = fuzz.CheckScenarioJSON
		var given spec.Scenario
		if err := strictjson.Unmarshal(data, &given); err != nil {
			fmt.Printf("strictjson: %v\n", err)
		} else if r, err := venue.Resolve(&given); err != nil {
			fmt.Printf("venue.Resolve: %v\n", err)
		} else {
			s = r
		}
	case fuzz.KeyDecimal:
		fmt.Printf("input: %q\n", data)
		check = fuzz.CheckDecimal
	case fuzz.KeyCCXT:
		fmt.Printf("input: %q\n", data)
		check = fuzz.CheckCCXT
	default:
		return fmt.Errorf("unknown target key %q (want one of %v)", key, fuzz.Keys)
	}
	if s != nil {
		j, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return err
		}
		fmt.Printf("scenario:\n%s\n", j)
		rep, err := model.Evaluate(s)
		printOutcome("model", rep, err)
		rep, err = reference.Evaluate(s)
		printOutcome("reference", rep, err)
	}
	if err := check(data); err != nil {
		fmt.Printf("check: FAIL: %v\n", err)
	} else {
		fmt.Println("check: ok")
	}
	return nil
}

func printOutcome(name string, rep *spec.Report, err error) {
	if err != nil {
		fmt.Printf("%s: error: %v\n", name, err)
		return
	}
	j, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Printf("%s report:\n%s\n", name, j)
}
