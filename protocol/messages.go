package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/perpcheck/perpcheck/properties"

	"github.com/perpcheck/perpcheck/spec"
)

// Name is the protocol version this package speaks (PR-5).
const Name = "perpcheck/1"

// The error codes of PR-8.
const (
	CodeNotSupported     = 10
	CodeMalformedRequest = 12
	CodeNoSuchSession    = 13
	CodeRuleViolation    = 1001
)

// Info is what an engine says about itself in init_ok (PR-5).
type Info struct {
	// Engine and Version name the implementation.
	Engine  string `json:"engine"`
	Version string `json:"version"`
	// Capabilities are the suite's capability names the engine supports.
	Capabilities []string `json:"capabilities"`
	// Grid is the number grid the engine represents exactly; nil means
	// SPEC's 1e-8 grid for sizes, prices and amounts.
	Grid *Grid `json:"grid,omitempty"`
	// Variants maps a SPEC rule id to the variants the engine follows
	// (SPEC VAR-2), in init_ok a name or a list of names; absent rules
	// follow SPEC's default.
	Variants VariantSet `json:"variants,omitempty"`
	// Outputs are the outputs the engine computes (properties.Outputs'
	// names); nil means all. In init_ok a list names exactly those; an
	// object names with false those it lacks (PR-5).
	Outputs OutputSet `json:"outputs,omitempty"`
}

// VariantSet maps a SPEC rule id to the names of the variants an engine
// follows (PR-5): {"LQ-4":["trader","insurance"]}; init_ok may give one
// name as a string.
type VariantSet map[string][]string

// UnmarshalJSON accepts a name or a list of names per rule.
func (v *VariantSet) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := VariantSet{}
	for rule, r := range raw {
		var one string
		if err := json.Unmarshal(r, &one); err == nil {
			out[rule] = []string{one}
			continue
		}
		var many []string
		if err := json.Unmarshal(r, &many); err != nil {
			return fmt.Errorf("variants.%s: want a variant name or a list of names", rule)
		}
		out[rule] = many
	}
	*v = out
	return nil
}

// OutputSet is the set of outputs an engine computes (PR-5); nil means
// all. It is written as a sorted list.
type OutputSet map[string]bool

// UnmarshalJSON accepts a list (exactly those outputs) or an object whose
// false entries are the outputs the engine lacks (every other output of
// properties.Outputs is computed).
func (o *OutputSet) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		out := OutputSet{}
		for _, n := range list {
			out[n] = true
		}
		*o = out
		return nil
	}
	var m map[string]bool
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("outputs: want a list of output names or an object of booleans")
	}
	out := OutputSet{}
	for _, n := range properties.Outputs() {
		if v, ok := m[n]; !ok || v {
			out[n] = true
		}
	}
	*o = out
	return nil
}

// MarshalJSON writes the sorted list of outputs.
func (o OutputSet) MarshalJSON() ([]byte, error) {
	var list []string
	for n, ok := range o {
		if ok {
			list = append(list, n)
		}
	}
	slices.Sort(list)
	if list == nil {
		list = []string{}
	}
	return json.Marshal(list)
}

// Grid is the steps of the numbers an engine represents exactly (PR-5).
type Grid struct {
	Size  string `json:"size,omitempty"`
	Price string `json:"price,omitempty"`
	Quote string `json:"quote,omitempty"`
}

// request is every request of PR-5..PR-7; which fields are set depends on
// Type.
type request struct {
	ID        int64             `json:"id"`
	Type      string            `json:"type"`
	Protocol  string            `json:"protocol,omitempty"`
	Spec      string            `json:"spec,omitempty"`
	Seed      *uint64           `json:"seed,omitempty"`
	Scenario  json.RawMessage   `json:"scenario,omitempty"`
	Scenarios []json.RawMessage `json:"scenarios,omitempty"`
	Session   string            `json:"session,omitempty"`
	State     json.RawMessage   `json:"state,omitempty"`
	Event     json.RawMessage   `json:"event,omitempty"`
}

// errorBody is the error of PR-8, in an error response or a batch result.
type errorBody struct {
	Code int    `json:"code"`
	Path string `json:"path,omitempty"`
	Rule string `json:"rule,omitempty"`
	Text string `json:"text,omitempty"`
}

// batchResult is one result of evaluate_batch_ok (PR-6).
type batchResult struct {
	Report *spec.Report `json:"report,omitempty"`
	Error  *errorBody   `json:"error,omitempty"`
}
