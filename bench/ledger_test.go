package bench

import (
	"fmt"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// ledgerImpl is the part of model.Ledger and reference.Ledger the
// benchmarks drive.
type ledgerImpl interface {
	Apply(spec.Event) ([]spec.Effect, error)
}

// ledgerRun is one implementation's ledger prepared for a fixed list of
// events: apply(k) applies event k and returns the number of positions
// liquidated; reset restores the state the ledger was prepared from.
type ledgerRun struct {
	apply func(k int) (liquidated int, err error)
	reset func() error
}

// ledgerImpls are the implementations BenchmarkLedger compares. Each
// prepare converts the state and the events outside the timer: model and
// reference take model.Event as their API does; the bench kernels
// (decimalLedger, floatLedger) take typed arguments, so the events are
// converted once (decimalOp, floatOp) and the timed op is the kernel call.
// For model and reference the timed op also counts the liquidation effects
// (a loop over the effects, small next to Apply).
var ledgerImpls = []struct {
	name    string
	prepare func(st *spec.State, evs []spec.Event) (*ledgerRun, error)
}{
	{"model", effectsRun(func(st *spec.State) (ledgerImpl, error) { return model.NewLedger(st) })},
	{"reference", effectsRun(func(st *spec.State) (ledgerImpl, error) { return reference.NewLedger(st) })},
	{"shopspring", func(st *spec.State, evs []spec.Event) (*ledgerRun, error) {
		// The second copy is the template that reset copies back.
		l, err := newDecimalLedger(st)
		if err != nil {
			return nil, err
		}
		t, _ := newDecimalLedger(st)
		return kernelRun(l, evs, decimalOp, func() error { l.CopyFrom(t); return nil })
	}},
	{"float64", func(st *spec.State, evs []spec.Event) (*ledgerRun, error) {
		l, err := newFloatLedger(st)
		if err != nil {
			return nil, err
		}
		t, _ := newFloatLedger(st)
		return kernelRun(l, evs, floatOp, func() error { l.CopyFrom(t); return nil })
	}},
}

// effectsRun prepares a ledger with an Apply(model.Event) API; liquidations
// are counted from the effects.
func effectsRun(mk func(*spec.State) (ledgerImpl, error)) func(*spec.State, []spec.Event) (*ledgerRun, error) {
	return func(st *spec.State, evs []spec.Event) (*ledgerRun, error) {
		l, err := mk(st)
		if err != nil {
			return nil, err
		}
		return &ledgerRun{
			apply: func(k int) (int, error) {
				eff, err := l.Apply(evs[k])
				n := 0
				for i := range eff {
					if eff[i].Type == spec.EffectLiquidation {
						n++
					}
				}
				return n, err
			},
			reset: func() error {
				var err error
				l, err = mk(st)
				return err
			},
		}, nil
	}
}

// kernelRun converts evs into calls of ledger l (by op) once.
func kernelRun[L any](l L, evs []spec.Event, op func(L, spec.Event) (func() (int, error), error), reset func() error) (*ledgerRun, error) {
	ops := make([]func() (int, error), len(evs))
	for k, ev := range evs {
		f, err := op(l, ev)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", k, err)
		}
		ops[k] = f
	}
	return &ledgerRun{apply: func(k int) (int, error) { return ops[k]() }, reset: reset}, nil
}

// decimalOp and floatOp convert one benchmark event (trade, funding, or a
// price event with a mark, in the ledger's market) into a kernel call.
func decimalOp(l *decimalLedger, ev spec.Event) (func() (int, error), error) {
	if ev.Market != l.Market {
		return nil, fmt.Errorf("market %q: the kernel has only %q", ev.Market, l.Market)
	}
	switch ev.Type {
	case spec.EventTrade:
		b, s := l.Index(ev.Buyer), l.Index(ev.Seller)
		if b < 0 || s < 0 || !ev.Size.Valid || !ev.Price.Valid {
			return nil, fmt.Errorf("trade: unknown account or missing size/price")
		}
		size, px, mb := ev.Size.Decimal, ev.Price.Decimal, ev.Maker == "buyer"
		return func() (int, error) { return 0, l.Trade(b, s, size, px, mb) }, nil
	case spec.EventFunding:
		rate := ev.Rate.Decimal
		return func() (int, error) { return l.Funding(rate) }, nil
	case spec.EventPrice:
		if !ev.Mark.Valid {
			return nil, fmt.Errorf("price: only a given mark is implemented")
		}
		mark := ev.Mark.Decimal
		return func() (int, error) { return l.SetMark(mark) }, nil
	}
	return nil, fmt.Errorf("event type %q is not implemented by the kernel", ev.Type)
}

func floatOp(l *floatLedger, ev spec.Event) (func() (int, error), error) {
	if ev.Market != l.Market {
		return nil, fmt.Errorf("market %q: the kernel has only %q", ev.Market, l.Market)
	}
	switch ev.Type {
	case spec.EventTrade:
		b, s := l.Index(ev.Buyer), l.Index(ev.Seller)
		if b < 0 || s < 0 || !ev.Size.Valid || !ev.Price.Valid {
			return nil, fmt.Errorf("trade: unknown account or missing size/price")
		}
		size, px, mb := ev.Size.Decimal.InexactFloat64(), ev.Price.Decimal.InexactFloat64(), ev.Maker == "buyer"
		return func() (int, error) { return 0, l.Trade(b, s, size, px, mb) }, nil
	case spec.EventFunding:
		rate := ev.Rate.Decimal.InexactFloat64()
		return func() (int, error) { return l.Funding(rate) }, nil
	case spec.EventPrice:
		if !ev.Mark.Valid {
			return nil, fmt.Errorf("price: only a given mark is implemented")
		}
		mark := ev.Mark.Decimal.InexactFloat64()
		return func() (int, error) { return l.SetMark(mark) }, nil
	}
	return nil, fmt.Errorf("event type %q is not implemented by the kernel", ev.Type)
}

// BenchmarkLedger measures ledger events (SPEC LED, TRD, FND, LQ):
//   - event=trade: one trade between two funded accounts (increase, then
//     reduce, alternating so the positions stay bounded), with fees and the
//     IM check; the ledger is reset outside the timer every ledgerTradeReset
//     ops, before the fees drain the wallets;
//   - event=funding/accounts=N: one funding payment over N positions (alternating
//     sign), including the liquidation sweep that follows it;
//   - event=cascade/accounts=N: one price event that liquidates every long of N
//     accounts at once (insurance takeover); each op uses a fresh ledger,
//     restored outside the timer in batches of cascadeBatch (model and
//     reference: a new ledger from the state; shopspring and float64: a copy
//     of the converted accounts).
//
// trade and funding also report cpu-ns/op (see cpuClock; for trade it
// includes the rare resets). cascade does not: its op is timed between
// StartTimer and StopTimer, and reading the thread clock around it would
// add two system calls to an op of about 1 us (float64).
//
// impl=model and impl=reference are model.Ledger and reference.Ledger, which
// take model.Event and return effects; impl=shopspring and impl=float64 are
// the bench kernels decimalLedger and floatLedger (one market, cross only, no
// ADL, no effects: just the balances), called with typed arguments converted
// before the timer. TestAgreeLedger checks that all four end in the same
// state on these sequences.
func BenchmarkLedger(b *testing.B) {
	for _, impl := range ledgerImpls {
		b.Run("impl="+impl.name+"/event=trade", func(b *testing.B) {
			run, err := impl.prepare(ledgerState(2, "100000"), ledgerTradeEvents())
			if err != nil {
				b.Fatal(err)
			}
			c := startClock(b)
			for i := 0; i < b.N; i++ {
				if i > 0 && i%ledgerTradeReset == 0 {
					b.StopTimer()
					if err := run.reset(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if _, err := run.apply(i % 2); err != nil {
					b.Fatal(err)
				}
			}
			c.stop(b)
		})
		for _, n := range []int{100} {
			b.Run(fmt.Sprintf("impl=%s/event=funding/accounts=%d", impl.name, n), func(b *testing.B) {
				run, err := impl.prepare(ledgerState(n, "100000"), ledgerFundingEvents())
				if err != nil {
					b.Fatal(err)
				}
				c := startClock(b)
				for i := 0; i < b.N; i++ {
					if _, err := run.apply(i % 2); err != nil {
						b.Fatal(err)
					}
				}
				c.stop(b)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/position")
			})
			b.Run(fmt.Sprintf("impl=%s/event=cascade/accounts=%d", impl.name, n), func(b *testing.B) {
				// Wallet 40 on 0.01 BTC at 60,000: a 20% drop liquidates every long.
				// cascadeBatch ledgers are restored per pause of the timer: a
				// StopTimer/StartTimer pair reads the memory statistics (a
				// stop-the-world of tens of microseconds) and would otherwise
				// be part of every op's wall time.
				runs := make([]*ledgerRun, cascadeBatch)
				for j := range runs {
					var err error
					if runs[j], err = impl.prepare(ledgerState(n, "40"), ledgerCascadeEvents()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				var liquidations int
				for i := 0; i < b.N; i++ {
					j := i % cascadeBatch
					if j == 0 && i > 0 {
						b.StopTimer()
						for _, r := range runs {
							if err := r.reset(); err != nil {
								b.Fatal(err)
							}
						}
						b.StartTimer()
					}
					var err error
					if liquidations, err = runs[j].apply(0); err != nil {
						b.Fatal(err)
					}
				}
				if liquidations != n/2 {
					b.Fatalf("cascade liquidated %d accounts, want %d", liquidations, n/2)
				}
			})
		}
	}
}
