//go:build !linux

package bench

// threadCPU is not available here: the cpu-ns metrics are not reported.
func threadCPU() (int64, bool) { return 0, false }
