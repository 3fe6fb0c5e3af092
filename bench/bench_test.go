package bench

import (
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Benchmark names are benchstat-sliceable: impl=model|reference|shopspring|float64,
// then pos=N (positions), mode=isolated|cross, accounts=N and g=N
// (goroutines). Compare implementations with `benchstat -col /impl`.
// See README.md.

// scanAccounts is the number of accounts of BenchmarkScan. Its default is
// smaller than the 1,000,000 of the performance target because a
// model.Portfolio costs about 7-8 KB per 3-position account (README.md);
// run with -scan.accounts=1000000 for the full-size scan (about 8 GB).
var scanAccounts = flag.Int("scan.accounts", 100_000, "number of accounts of BenchmarkScan")

// impls are the implementations of the health check; BenchmarkLiqPrice has
// no apd kernel.
var impls = []string{"model", "reference", "apd", "shopspring", "float64"}

// Sinks keep the compiler from discarding results.
var (
	sinkModel   model.PoolHealth
	sinkFloat   floatHealth
	sinkDecimal decimalHealth
	sinkApd     apdHealth
	sinkPrice   model.PriceResult
	sinkFPrice  floatPrice
	sinkDPrice  decimalPrice
	sinkReport  *spec.Report
	sinkCount   int
)

// cpuClock measures the CPU time of the benchmark's own OS thread (the
// goroutine is locked to it), reported as cpu-ns/op: unlike ns/op it does not
// grow when other processes compete for the CPUs, which they did while the
// tables of README.md were measured. It does not include the garbage
// collector's background workers (their CPU is on other threads), so it
// understates the cost of the allocating implementations (shopspring, apd,
// reference): ratios of cpu-ns/op flatter them, not the model.
type cpuClock struct {
	start int64
	ok    bool
}

// startClock starts the timed part of a benchmark: ReportAllocs, ResetTimer,
// and the thread CPU clock.
func startClock(b *testing.B) cpuClock {
	b.ReportAllocs()
	runtime.LockOSThread()
	b.ResetTimer()
	t, ok := threadCPU()
	return cpuClock{start: t, ok: ok}
}

// stop ends the timed part and reports cpu-ns/op.
func (c cpuClock) stop(b *testing.B) {
	t, ok := threadCPU()
	b.StopTimer()
	runtime.UnlockOSThread()
	if c.ok && ok {
		b.ReportMetric(float64(t-c.start)/float64(b.N), "cpu-ns/op")
	}
}

// perUnit reports the time per op divided by n in the given unit
// (e.g. ns/position).
func perUnit(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), unit)
}

// BenchmarkHealth is the health check of one cross account with pos
// positions on pos different Binance markets (real October 2024 tier
// tables). One op is a BTCUSDT mark update (alternating between two marks)
// followed by the cross pool's health: equity, IM, MM, available, margin
// ratio and the liquidation trigger. The reference has no incremental API:
// its op is reference.Evaluate of the scenario, a full report (validation,
// every position's quantities, liquidation and bankruptcy prices), so it
// does more work than the others; impl=apd is the pool-only apd health check
// (apdAccount), and BenchmarkReport compares the two full reports.
func BenchmarkHealth(b *testing.B) {
	for _, impl := range impls {
		for _, n := range []int{1, 10, 100} {
			b.Run("impl="+impl+"/pos="+strconv.Itoa(n), func(b *testing.B) {
				u, err := healthUniverse(n)
				fatalOn(b, err)
				acc := u.HealthAccount(n)
				marks := healthMarks(u)
				benchHealth(b, impl, u, acc, marks)
				perUnit(b, n, "ns/position")
			})
		}
	}
}

func benchHealth(b *testing.B, impl string, u *universe, acc spec.Account, marks [2]decimal.Decimal) {
	btc := u.Index["BTCUSDT"]
	switch impl {
	case "model":
		p, err := model.Load(u.Scenario(acc))
		fatalOn(b, err)
		mi, _ := p.MarketIndex("BTCUSDT")
		var fm [2]model.Fixed
		for v := range marks {
			fm[v], err = model.FixedFromDecimal(marks[v])
			fatalOn(b, err)
		}
		c := startClock(b)
		for i := 0; i < b.N; i++ {
			_ = p.SetMark(mi, fm[i&1])
			sinkModel, _ = p.Cross()
		}
		c.stop(b)
	case "reference":
		s := u.Scenario(acc)
		var pr [2]spec.Price
		for v := range marks {
			pr[v] = spec.Price{Mark: decimal.NewNullDecimal(marks[v])}
		}
		c := startClock(b)
		for i := 0; i < b.N; i++ {
			s.Prices["BTCUSDT"] = pr[i&1]
			rep, err := reference.Evaluate(s)
			if err != nil {
				b.Fatal(err)
			}
			sinkReport = rep
		}
		c.stop(b)
	case "apd":
		am, amarks := newApdMarkets(u), newApdMarks(u)
		aa := newApdAccount(u, acc)
		ap := [2]apd.Decimal{toApd(marks[0]), toApd(marks[1])}
		c := startClock(b)
		for i := 0; i < b.N; i++ {
			amarks[btc] = ap[i&1]
			sinkApd = aa.Cross(am, amarks)
		}
		c.stop(b)
	case "shopspring":
		dm, dmarks := newDecimalMarkets(u), newDecimalMarks(u)
		da := newDecimalAccount(u, dm, acc)
		c := startClock(b)
		for i := 0; i < b.N; i++ {
			dmarks[btc] = marks[i&1]
			sinkDecimal = da.Cross(dm, dmarks)
		}
		c.stop(b)
	case "float64":
		fm, fmarks := newFloatMarkets(u), newFloatMarks(u)
		fa := newFloatAccount(u, fm, acc)
		fl := [2]float64{marks[0].InexactFloat64(), marks[1].InexactFloat64()}
		c := startClock(b)
		for i := 0; i < b.N; i++ {
			fmarks[btc] = fl[i&1]
			sinkFloat = fa.Cross(fm, fmarks)
		}
		c.stop(b)
	}
}

// BenchmarkLiqPrice is the liquidation price of position 0 (a BTCUSDT long)
// of LiqAccount: mode=isolated (one isolated position: K is its margin) and
// mode=cross (three cross positions: K sums the other two positions' PnL
// and MM). One op is one solve at fixed marks; for the reference it is
// reference.Evaluate of the scenario (a full report: it solves every
// position's liquidation and bankruptcy price, 1 of each for isolated, 3 for
// cross, besides validation and the pools).
func BenchmarkLiqPrice(b *testing.B) {
	for _, impl := range []string{"model", "reference", "shopspring", "float64"} {
		for _, mode := range []spec.MarginMode{spec.Isolated, spec.Cross} {
			b.Run("impl="+impl+"/mode="+string(mode), func(b *testing.B) {
				u, err := liqUniverse()
				fatalOn(b, err)
				acc := u.LiqAccount(mode)
				switch impl {
				case "model":
					p, err := model.Load(u.Scenario(acc))
					fatalOn(b, err)
					c := startClock(b)
					for i := 0; i < b.N; i++ {
						sinkPrice, _ = p.LiquidationPrice(0)
					}
					c.stop(b)
				case "reference":
					s := u.Scenario(acc)
					c := startClock(b)
					for i := 0; i < b.N; i++ {
						rep, err := reference.Evaluate(s)
						if err != nil {
							b.Fatal(err)
						}
						sinkReport = rep
					}
					c.stop(b)
				case "shopspring":
					dm, dmarks := newDecimalMarkets(u), newDecimalMarks(u)
					da := newDecimalAccount(u, dm, acc)
					c := startClock(b)
					for i := 0; i < b.N; i++ {
						sinkDPrice = da.LiquidationPrice(dm, dmarks, 0)
					}
					c.stop(b)
				case "float64":
					fm, fmarks := newFloatMarkets(u), newFloatMarks(u)
					fa := newFloatAccount(u, fm, acc)
					c := startClock(b)
					for i := 0; i < b.N; i++ {
						sinkFPrice = fa.LiquidationPrice(fm, fmarks, 0)
					}
					c.stop(b)
				}
			})
		}
	}
}

// BenchmarkReport is the like-for-like comparison of the two exact
// implementations: model.Evaluate and reference.Evaluate both validate the
// scenario of BenchmarkHealth and compute its full report (every position's
// quantities, liquidation and bankruptcy prices, every pool). Both allocate
// (the report itself is a tree of decimals).
func BenchmarkReport(b *testing.B) {
	for _, impl := range []string{"model", "reference"} {
		for _, n := range []int{1, 10, 100} {
			b.Run("impl="+impl+"/pos="+strconv.Itoa(n), func(b *testing.B) {
				u, err := healthUniverse(n)
				fatalOn(b, err)
				s := u.Scenario(u.HealthAccount(n))
				eval := model.Evaluate
				if impl == "reference" {
					eval = reference.Evaluate
				}
				c := startClock(b)
				for i := 0; i < b.N; i++ {
					rep, err := eval(s)
					if err != nil {
						b.Fatal(err)
					}
					sinkReport = rep
				}
				c.stop(b)
				perUnit(b, n, "ns/position")
			})
		}
	}
}

// scanSet is the prepared accounts of one implementation: scan(lo, hi, v)
// applies BTCUSDT mark v (0 or 1, ScanMarks) to accounts [lo, hi) as needed
// and returns how many of them are liquidatable; update(v) is run once per
// op before the workers start (the shared-marks kernels set the mark there).
type scanSet struct {
	n           int
	setupBytes  float64 // heap bytes per account held by the prepared set
	update      func(v int)
	scan        func(lo, hi, v int) int
	liquidating [2]int
}

// heapInUse returns the live heap after a GC.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// buildScanSet prepares n scan accounts for impl. The accounts are the same
// for every impl (ScanAccount is deterministic).
func buildScanSet(impl string, n int) (*scanSet, error) {
	u, err := scanUniverse()
	if err != nil {
		return nil, err
	}
	marks := u.ScanMarks()
	btc := u.Index["BTCUSDT"]
	before := heapInUse()
	set := &scanSet{n: n, update: func(int) {}}
	var keep any
	switch impl {
	case "model":
		ps := make([]*model.Portfolio, n)
		mi := make([]int32, n)
		var fm [2]model.Fixed
		for v := range marks {
			if fm[v], err = model.FixedFromDecimal(marks[v]); err != nil {
				return nil, err
			}
		}
		for i := range ps {
			if ps[i], err = model.Load(u.Scenario(u.ScanAccount(scanSeed, i))); err != nil {
				return nil, err
			}
			k, _ := ps[i].MarketIndex("BTCUSDT")
			mi[i] = int32(k)
		}
		keep = ps
		set.scan = func(lo, hi, v int) int {
			c := 0
			m := fm[v]
			for i := lo; i < hi; i++ {
				p := ps[i]
				_ = p.SetMark(int(mi[i]), m)
				if h, err := p.Cross(); err == nil && h.Liquidatable {
					c++
				}
			}
			return c
		}
	case "book":
		// One model.Book for all accounts: a SetMark per op (update), then
		// ScanRange over each worker's accounts. bufs gives each of the (at
		// most 2) workers an output slice with room for every account.
		accounts := make([]spec.Account, n)
		for i := range accounts {
			accounts[i] = u.ScanAccount(scanSeed, i)
		}
		// Measure the Book alone: drop the accounts before the heap is read.
		bk, err := u.NewBook(accounts)
		if err != nil {
			return nil, err
		}
		accounts = nil
		var fm [2]model.Fixed
		for v := range marks {
			if fm[v], err = model.FixedFromDecimal(marks[v]); err != nil {
				return nil, err
			}
		}
		bi, _ := bk.MarketIndex("BTCUSDT")
		var bufs [2][]int32
		for w := range bufs {
			bufs[w] = make([]int32, 0, n)
		}
		keep = bk
		set.update = func(v int) {
			if err := bk.SetMark(bi, fm[v]); err != nil {
				panic(err)
			}
		}
		set.scan = func(lo, hi, _ int) int {
			w := 0 // g <= 2: the worker starting at 0, or the other one
			if lo > 0 {
				w = 1
			}
			out, err := bk.ScanRange(lo, hi, bufs[w][:0])
			if err != nil {
				return -1
			}
			return len(out)
		}
	case "reference":
		ss := make([]*spec.Scenario, n)
		for i := range ss {
			ss[i] = u.Scenario(u.ScanAccount(scanSeed, i))
		}
		keep = ss
		var pr [2]spec.Price
		for v := range marks {
			pr[v] = spec.Price{Mark: decimal.NewNullDecimal(marks[v])}
		}
		set.scan = func(lo, hi, v int) int {
			c := 0
			for i := lo; i < hi; i++ {
				s := ss[i]
				s.Prices["BTCUSDT"] = pr[v]
				if rep, err := reference.Evaluate(s); err == nil && rep.Pools[0].Liquidatable {
					c++
				}
			}
			return c
		}
	case "apd":
		am, amarks := newApdMarkets(u), newApdMarks(u)
		as := make([]apdAccount, n)
		for i := range as {
			as[i] = newApdAccount(u, u.ScanAccount(scanSeed, i))
		}
		keep = as
		ap := [2]apd.Decimal{toApd(marks[0]), toApd(marks[1])}
		set.update = func(v int) { amarks[btc] = ap[v] }
		set.scan = func(lo, hi, _ int) int {
			c := 0
			for i := lo; i < hi; i++ {
				if as[i].Cross(am, amarks).Liquidatable {
					c++
				}
			}
			return c
		}
	case "shopspring":
		dm, dmarks := newDecimalMarkets(u), newDecimalMarks(u)
		as := make([]decimalAccount, n)
		for i := range as {
			as[i] = newDecimalAccount(u, dm, u.ScanAccount(scanSeed, i))
		}
		keep = as
		set.update = func(v int) { dmarks[btc] = marks[v] }
		set.scan = func(lo, hi, _ int) int {
			c := 0
			for i := lo; i < hi; i++ {
				if as[i].Cross(dm, dmarks).Liquidatable {
					c++
				}
			}
			return c
		}
	case "float64":
		fm, fmarks := newFloatMarkets(u), newFloatMarks(u)
		as := make([]floatAccount, n)
		for i := range as {
			as[i] = newFloatAccount(u, fm, u.ScanAccount(scanSeed, i))
		}
		keep = as
		fl := [2]float64{marks[0].InexactFloat64(), marks[1].InexactFloat64()}
		set.update = func(v int) { fmarks[btc] = fl[v] }
		set.scan = func(lo, hi, _ int) int {
			c := 0
			for i := lo; i < hi; i++ {
				if as[i].Cross(fm, fmarks).Liquidatable {
					c++
				}
			}
			return c
		}
	default:
		return nil, fmt.Errorf("unknown impl %q", impl)
	}
	if after := heapInUse(); after > before {
		set.setupBytes = float64(after-before) / float64(n)
	}
	runtime.KeepAlive(keep)
	for v := range set.liquidating {
		set.update(v)
		set.liquidating[v] = set.scan(0, n, v)
	}
	return set, nil
}

// scanCache holds the prepared accounts of the last impl and size asked for
// (a sub-benchmark function runs several times, and go test -count repeats
// each leaf benchmark consecutively). Only one set is kept: another impl's
// live heap would make the garbage collector of an allocating impl
// (shopspring, reference) mark memory that is not its own.
var scanCache struct {
	sync.Mutex
	key string
	set *scanSet
}

func getScanSet(b *testing.B, impl string, n int) *scanSet {
	scanCache.Lock()
	defer scanCache.Unlock()
	key := impl + "/" + strconv.Itoa(n)
	if scanCache.key == key {
		return scanCache.set
	}
	scanCache.key, scanCache.set = "", nil
	s, err := buildScanSet(impl, n)
	fatalOn(b, err)
	scanCache.key, scanCache.set = key, s
	return s
}

// runScan times set's scan with g worker goroutines, each owning a
// contiguous slice of the accounts. One op is one BTCUSDT mark update
// (alternating between the two ScanMarks) and a scan of every account for
// liquidatable ones. The workers are started outside the timer and fed by
// channels, so an op does not allocate beyond what the scan itself does.
func runScan(b *testing.B, set *scanSet, g int) {
	type job struct{ lo, hi, v int }
	jobs := make([]chan job, g)
	done := make(chan int, g)
	// cpu[w] is worker w's thread CPU time spent scanning; a worker writes
	// it before it sends on done, so it is read after the last receive.
	cpu := make([]int64, g)
	cpuOK := true
	for w := range jobs {
		jobs[w] = make(chan job)
		go func(w int, ch chan job) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for j := range ch {
				t0, ok0 := threadCPU()
				c := set.scan(j.lo, j.hi, j.v)
				t1, ok1 := threadCPU()
				if ok0 && ok1 {
					cpu[w] += t1 - t0
				} else {
					cpuOK = false
				}
				done <- c
			}
		}(w, jobs[w])
	}
	defer func() {
		for _, ch := range jobs {
			close(ch)
		}
	}()
	n := set.n
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := i & 1
		set.update(v)
		for w, ch := range jobs {
			ch <- job{lo: n * w / g, hi: n * (w + 1) / g, v: v}
		}
		c := 0
		for range jobs {
			c += <-done
		}
		if c != set.liquidating[v] {
			b.Fatalf("scan found %d liquidatable accounts, want %d", c, set.liquidating[v])
		}
		sinkCount = c
	}
	b.StopTimer()
	perUnit(b, n, "ns/account")
	if cpuOK {
		var total int64
		for _, t := range cpu {
			total += t
		}
		// CPU time of all workers together per account (see cpuClock).
		b.ReportMetric(float64(total)/float64(b.N)/float64(n), "cpu-ns/account")
	}
	b.ReportMetric(set.setupBytes, "setup-B/account")
}

// BenchmarkScan scans -scan.accounts accounts (default 100,000; the target
// is 1,000,000, see scanAccounts) of three cross positions each, every
// account holding BTCUSDT, for liquidatable ones after a BTCUSDT mark update,
// with g goroutines. The model's op calls SetMark and Cross on every
// account's own Portfolio; the kernels share one marks slice. setup-B/account
// is the heap the prepared accounts hold (built once, outside the timer).
// The reference is too slow for this size: see BenchmarkScanSmall.
func BenchmarkScan(b *testing.B) {
	n := *scanAccounts
	for _, impl := range []string{"model", "book", "apd", "shopspring", "float64"} {
		for _, g := range []int{1, 2} {
			b.Run(fmt.Sprintf("impl=%s/accounts=%d/g=%d", impl, n, g), func(b *testing.B) {
				runScan(b, getScanSet(b, impl, n), g)
			})
		}
	}
}

// BenchmarkScanSmall is BenchmarkScan on the first 1,000 accounts, with
// every implementation and one goroutine: the reference (reference.Evaluate
// per account, a full report) is only measured at this size. At 1,000
// accounts the model's portfolios fit in the CPU caches, so its ns/account
// here is lower than in BenchmarkScan.
func BenchmarkScanSmall(b *testing.B) {
	const n = 1000
	for _, impl := range append(impls[:1:1], append([]string{"book"}, impls[1:]...)...) {
		for _, g := range []int{1, 2} {
			if g == 2 && impl != "book" && impl != "float64" {
				continue
			}
			b.Run(fmt.Sprintf("impl=%s/accounts=%d/g=%d", impl, n, g), func(b *testing.B) {
				runScan(b, getScanSet(b, impl, n), g)
			})
		}
	}
}
