package properties_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/perpcheck/perpcheck/properties"
)

// BenchmarkLedgerProperties runs LED-4/stateful-invariants and
// LED-6/differential-ledger against the model at a fixed seed and budget
// (40 runs each): the workload of the profile in issue 10. Compare runs with
// benchstat (see SPEEDUP.md).
func BenchmarkLedgerProperties(b *testing.B) {
	led46 := func(p properties.Property) bool {
		return p.ID == "LED-4/stateful-invariants" || p.ID == "LED-6/differential-ledger"
	}
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res, err := properties.Check(properties.Model(), &properties.Config{Select: led46, Cases: 40, Seed: 7})
		if err != nil {
			b.Fatal(err)
		}
		if res.Passed != 2 {
			b.Fatalf("%d properties passed, want 2", res.Passed)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's CPU time so far (user and system, every thread:
// the GC included), less sensitive than wall time to other work on a shared
// machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
