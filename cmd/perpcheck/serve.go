package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// cmdServe speaks perpcheck/1 (PROTOCOL.md) on stdin/stdout for the model or
// the reference, so that they can be the engine or the oracle of another
// harness, and so that the protocol is tested end to end
// (perpcheck verify -engine 'perpcheck serve').
func cmdServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	impl := fs.String("impl", "model", "the engine to serve: model or reference")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "perpcheck serve: no arguments expected")
		return 2
	}
	caps := []string{"ledger"}
	for _, c := range properties.AllCapabilities() {
		caps = append(caps, string(c))
	}
	served := protocol.Impl{Info: protocol.Info{Engine: "perpcheck-" + *impl, Version: version(), Capabilities: caps}}
	switch *impl {
	case "model":
		served.Evaluate = model.Evaluate
		served.NewLedger = func(st *spec.State) (protocol.LedgerImpl, error) { return model.NewLedger(st) }
	case "reference":
		served.Evaluate = reference.Evaluate
		served.NewLedger = func(st *spec.State) (protocol.LedgerImpl, error) { return reference.NewLedger(st) }
	default:
		fmt.Fprintf(stderr, "perpcheck serve: -impl %q: want model or reference\n", *impl)
		return 2
	}
	if err := protocol.Serve(stdin, stdout, stderr, served); err != nil {
		fmt.Fprintln(stderr, "perpcheck serve:", err)
		return 1
	}
	return 0
}
