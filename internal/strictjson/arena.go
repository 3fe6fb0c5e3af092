package strictjson

import (
	"math/big"
	"reflect"
	"unsafe"

	"github.com/shopspring/decimal"
)

// The decimal arena. decimal.New(coef, exp) allocates twice per value: the
// *big.Int and its one-word magnitude. The direct decoder instead hands out
// big.Ints and words from two slabs allocated per document (one allocation
// each per arenaChunk decimals) and builds the decimal.Decimal around them.
// The values are the ones decimal.New gives (same sign, same one-word
// magnitude or nil for 0, same exponent: TestArenaDecimalIsNew compares them
// with reflect.DeepEqual), and shopspring never writes through a Decimal's
// *big.Int, so sharing a slab between the decimals of one document is safe;
// a slab lives as long as any of its decimals.
//
// shopspring/decimal does not export a constructor that takes a *big.Int
// without copying it, so the Decimal is written through a struct of the same
// layout. arenaLayoutOK checks that layout (field types, offsets, size) once;
// if a future shopspring changes it, decimals go back to decimal.New.

// decimalLayout is decimal.Decimal's layout in shopspring/decimal v1.x.
type decimalLayout struct {
	value *big.Int
	exp   int32
}

var arenaLayoutOK = func() bool {
	t := reflect.TypeFor[decimal.Decimal]()
	var l decimalLayout
	return t.Size() == unsafe.Sizeof(l) && t.NumField() == 2 &&
		t.Field(0).Type == reflect.TypeFor[*big.Int]() && t.Field(0).Offset == unsafe.Offsetof(l.value) &&
		t.Field(1).Type == reflect.TypeFor[int32]() && t.Field(1).Offset == unsafe.Offsetof(l.exp) &&
		unsafe.Sizeof(big.Word(0)) == 8 // one word holds |coef| < 1e18
}()

// arenaChunk is the largest number of decimals per slab; a slab is sized
// by the bytes left in the document (about one decimal per
// arenaBytesPerDecimal bytes: a pos=1 perpcheck/1 scenario has one per ~50
// bytes, a report one per ~65), at least arenaMinChunk.
const (
	arenaChunk           = 64
	arenaMinChunk        = 4
	arenaBytesPerDecimal = 48
)

// arena hands out big.Ints for the decimals of one document.
type arena struct {
	ints  []big.Int
	words []big.Word
}

// decimal returns decimal.New(coef, exp) for |coef| < 2^63, its big.Int taken
// from the arena; left is the number of bytes of the document not yet read
// (it sizes a new slab).
func (a *arena) decimal(coef int64, exp int32, left int) decimal.Decimal {
	if !arenaLayoutOK || coef == 0 {
		// decimal.New(0, exp) allocates only the big.Int (a nil magnitude).
		return decimal.New(coef, exp)
	}
	if len(a.ints) == 0 {
		n := min(max(left/arenaBytesPerDecimal+1, arenaMinChunk), arenaChunk)
		a.ints = make([]big.Int, n)
		a.words = make([]big.Word, n)
	}
	z := &a.ints[0]
	w := a.words[0:1:1]
	a.ints, a.words = a.ints[1:], a.words[1:]
	u := uint64(coef)
	if coef < 0 {
		u = -u
	}
	w[0] = big.Word(u)
	z.SetBits(w)
	if coef < 0 {
		z.Neg(z)
	}
	l := decimalLayout{value: z, exp: exp}
	return *(*decimal.Decimal)(unsafe.Pointer(&l))
}
