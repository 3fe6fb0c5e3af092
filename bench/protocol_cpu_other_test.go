//go:build !linux

package bench

// processCPU is not available here: BenchmarkProtocol reports no cpu-ns/op.
func processCPU() (int64, bool) { return 0, false }
