package model

import (
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// GenLedgerRun exports the random run generator to the external tests
// (ledger_refdiff_test.go).
func GenLedgerRun(t *testing.T, seed, i uint64) *spec.Run { return genLedgerRun(t, seed, i) }

// GenLedgerState exports a random state with 1-3 random defects for the
// differential test of NewLedger's validation order.
func GenLedgerState(seed, i uint64) *spec.State { return genBadState(seed, i) }

// DecodeLedgerRun exports the fuzz decoder (ledger_fuzz_test.go).
func DecodeLedgerRun(data []byte) (*spec.State, []spec.Event) { return decodeLedgerRun(data) }

// MarginRatesOf names the margin rates of a generated run's markets
// (marginRatesOf).
func MarginRatesOf(st *spec.State) string { return marginRatesOf(st) }
