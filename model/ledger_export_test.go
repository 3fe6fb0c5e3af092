package model

import "testing"

// GenLedgerRun exports the random run generator to the external tests
// (ledger_refdiff_test.go).
func GenLedgerRun(t *testing.T, seed, i uint64) *Run { return genLedgerRun(t, seed, i) }
