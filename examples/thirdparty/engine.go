// Package thirdparty is a toy third-party margin engine with the adapter
// that plugs it into perpcheck's conformance suite (see engine_test.go).
package thirdparty

import (
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// Engine is the toy engine. A real one would convert the scenario into its
// own types, compute, and convert its results back into a spec.Report.
type Engine struct{ calls int }

// Evaluate implements properties.Engine.
func (e *Engine) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	e.calls++
	return model.Evaluate(s)
}

// NewLedger makes Engine a properties.LedgerEngine: it starts a session of
// the engine's ledger, which applies events (trades, prices, funding, ...)
// to a multi-account state. A real adapter would convert the state and each
// event into the engine's own types, and its results back into spec.Effect
// values and a spec.State. On an invalid state the error is a *spec.Error
// naming the field and the rule; the suite then ignores the session.
func (e *Engine) NewLedger(st *spec.State) (properties.LedgerSession, error) {
	return model.NewLedger(st)
}

// Factory is the adapter: a fresh engine per property and what it supports.
func Factory() (properties.Engine, []properties.Capability) {
	return &Engine{}, []properties.Capability{
		properties.CapIsolated, properties.CapEntryBasis,
		properties.CapComputedMark, properties.CapErrorPaths,
		properties.CapFunding, properties.CapADL,
	}
}
