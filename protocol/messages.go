package protocol

import (
	"encoding/json"

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
	// Variants maps a SPEC rule id to the variant the engine follows.
	Variants map[string]string `json:"variants,omitempty"`
	// Outputs declares outputs the engine does not produce (false).
	Outputs map[string]bool `json:"outputs,omitempty"`
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
