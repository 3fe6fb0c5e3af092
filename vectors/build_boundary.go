package vectors

import (
	"fmt"

	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// boundaryTargets are the exact comparisons and tie rules of SPEC's ledger
// (issue 16) that the boundaries file must land on, each witnessed by the
// reference's mutant that moves it (internal/mutation): a run is on the
// boundary when that mutant, and the reference, disagree on it.
var boundaryTargets = []struct {
	m     mutation.Mutation
	what  string
	tries int // seeds tried (0: 400); 1500 for the rarer setups
	// open: the run may pass through a state with a negative isolated
	// margin (FND-5, ACC-2; was OPEN-1), which TRD-3's drained increase needs.
	open bool
}{
	{mutation.LedgerTriggerLE, "a pool whose equity equals its maintenance margin at a sweep, which is not liquidatable (POOL-5, LQ-1)", 0, false},
	{mutation.FundCoversStrict, "an insurance fund exactly at a bankrupt pool's deficit, which covers it (LQ-5)", 0, false},
	{mutation.WithdrawPlusUnit, "a withdrawal one unit above LED-9's maximum, which is rejected (LED-9)", 0, false},
	{mutation.RemoveMarginPlusUnit, "a removeMargin one unit above maxRemovableMargin, which is rejected (LED-9, POOL-6)", 1500, false},
	{mutation.ADLTieReverseID, "ADL candidates with equal scores, taken by ascending account id (ADL-2)", 1500, false},
	{mutation.LiqOrderTieReverse, "a cross pool with two equal losses, closed by ascending market (LQ-4)", 0, false},
	{mutation.LedgerAliasesInput, "a price event after the ledger was opened: the caller's state is never modified (LED-7)", 0, false},
	{mutation.AddMarginPlusUnit, "an addMargin one unit above the wallet, which is rejected with ACC-1 (LED-9)", 1500, false},
	{mutation.CrossCloseAll, "a solvent cross pool no longer liquidatable after its first close, whose other positions stay open (LQ-4)", 0, false},
	{mutation.ZeroBasisKept, "a crash below the tick that would leave the fund a long with cost basis 0, which fails with POS-2 (LED-1)", 1500, false},
	{mutation.DrainedIncreaseAccepted, "a trade increasing an isolated position whose margin funding drained below 0 (FND-5) by less than the deficit, which is rejected (TRD-3)", 0, true},
}

// boundaryConfig is the generator configuration of the boundaries file: it
// enables every boundary setup of gen (boundarySetup: trigger, fund,
// loss-tie, adl-tie) and every event kind.
var boundaryConfig = gen.Config{ADL: true, Isolated: true, Funding: true}

// boundaryRuns adds, for each boundary target, up to n runs of
// gen.LedgerRun(boundaryConfig) (seeds from seed0), each cut to the shortest
// prefix of its events on which the target's mutant disagrees with the
// reference: the run lands on the target's boundary, on the side where
// SPEC's comparison decides it.
func boundaryRuns(b *ledgerBuilder, n, seed0 int) {
	for ti, tg := range boundaryTargets {
		added := 0
		tries := tg.tries
		if tries == 0 {
			tries = 400
		}
		for k := 0; added < n && k < tries; k++ {
			seed := seed0 + 1000*ti + k
			run, ok := example(gen.LedgerRun(boundaryConfig), seed)
			if !ok {
				continue
			}
			cut, ok := shortestCaught(run, tg.m, tg.open)
			if !ok {
				continue
			}
			if _, ok := b.add(cut, fmt.Sprintf("boundary: %s; gen.LedgerRun (ADL, isolated, funding), seed %d, first %d events", tg.what, seed, len(cut.Events)), []string{"boundary"}, nil, tg.open); ok {
				added++
			}
		}
	}
}

// shortestCaught returns run cut to the shortest prefix of its events that
// the ledger mutant m fails (as Check judges a ledger test), or false.
func shortestCaught(run *spec.Run, m mutation.Mutation, allowOpen bool) (*spec.Run, bool) {
	r := Reference()
	r.Ledger = LedgerFunc(func(st *spec.State) (GoLedger, error) { return mutation.NewLedger(st, m) })
	caught := func(k int) (*spec.Run, bool) {
		cut := &spec.Run{State: *run.State.Clone(), Events: run.Events[:k:k]}
		probe := newLedger("", "")
		if _, ok := probe.add(cut, "", nil, nil, allowOpen); !ok {
			return nil, false // passes through an OPEN state: not kept
		}
		diffs, skip := r.ledger(probe.tests[0])
		return cut, len(diffs) > 0 && skip == ""
	}
	if _, ok := caught(len(run.Events)); !ok {
		return nil, false
	}
	for k := 1; k <= len(run.Events); k++ {
		if cut, ok := caught(k); ok {
			return cut, true
		}
	}
	return nil, false
}
