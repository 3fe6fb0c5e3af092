package strictjson

import (
	"math"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"
)

// TestArenaDecimalIsNew: a decimal from the arena is decimal.New's value,
// field for field (reflect.DeepEqual sees the big.Int's sign and magnitude
// words), across slab boundaries, and it keeps its value when later
// decimals are handed out.
func TestArenaDecimalIsNew(t *testing.T) {
	if !arenaLayoutOK {
		t.Fatal("shopspring's Decimal no longer has the layout arena.go assumes: the arena is off (decimal.New is used); update decimalLayout")
	}
	coefs := []int64{0, 1, -1, 7, -7, 100000000, -100000000, 999999999999999999, -999999999999999999, math.MaxInt32, math.MinInt32 + 1, 1 << 40, -(1 << 40)}
	exps := []int32{0, -8, 3, -int32(decimal.MaxDecodeExponent), int32(decimal.MaxDecodeExponent)}
	var a arena
	type pair struct {
		got  decimal.Decimal
		want decimal.Decimal
	}
	var all []pair
	for round := 0; round < 3; round++ { // 3*13*5 = 195 decimals: several slabs
		for _, c := range coefs {
			for _, e := range exps {
				all = append(all, pair{a.decimal(c, e, 100), decimal.New(c, e)})
			}
		}
	}
	for i, p := range all {
		if !reflect.DeepEqual(p.got, p.want) {
			t.Errorf("%d: arena %v (%#v) != decimal.New %v (%#v)", i, p.got, p.got, p.want, p.want)
		}
		if p.got.String() != p.want.String() {
			t.Errorf("%d: arena %s != decimal.New %s", i, p.got, p.want)
		}
	}
}

// TestArenaParse: parseDecimalBytes through the arena gives
// NewFromString's value (the differential tests of direct_test.go do the
// same on whole documents).
func TestArenaParse(t *testing.T) {
	var a arena
	for _, lit := range []string{"0", "-0", "0.00000001", "-0.00000001", "92233720368.54775807", "-92233720368.54775807", "60000", "6e4", "6.0000E+4", "-1e-3", "999999999999999999", "-99999999999999999", "0.500000000", "1000.00"} {
		got, ok := parseDecimalBytes([]byte(lit), &a, 1000)
		want, err := decimal.NewFromString(lit)
		if !ok || err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parseDecimalBytes = %#v, %v; NewFromString = %#v, %v", lit, got, ok, want, err)
		}
	}
}

// TestArenaAllocs: a slab of decimals costs two allocations, not two per
// decimal; slabs are sized by the bytes left (64 for a large document, at
// least 4 at its end).
func TestArenaAllocs(t *testing.T) {
	tests := []struct {
		left, decimals int
		allocs         float64
	}{
		{1 << 20, arenaChunk, 2},     // one full slab
		{1 << 20, arenaChunk + 1, 4}, // a second slab
		{0, arenaMinChunk, 2},        // the smallest slab
		{0, arenaMinChunk + 1, 4},    // two of them
		{47 * 48, 48, 2},             // 47*48/48+1 = 48 decimals in one slab
		{47 * 48, 49, 4},
	}
	for _, tc := range tests {
		allocs := testing.AllocsPerRun(20, func() {
			var a arena
			for i := 1; i <= tc.decimals; i++ {
				_ = a.decimal(int64(i)*12345, -8, tc.left)
			}
		})
		if allocs != tc.allocs {
			t.Errorf("%d decimals with %d bytes left: %.0f allocations, want %.0f", tc.decimals, tc.left, allocs, tc.allocs)
		}
	}
}
