package wide

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

func (x Int) big() *big.Int {
	b := new(big.Int).SetUint64(x.W2)
	b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x.W1))
	b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x.W0))
	if x.IsNeg() {
		b.Sub(b, new(big.Int).Lsh(big.NewInt(1), 192))
	}
	return b
}

func randInt(r *rand.Rand, bitsN int) Int {
	x := Int{r.Uint64(), r.Uint64(), r.Uint64()}
	// keep |x| < 2^bitsN
	b := x.big()
	b.Abs(b)
	b.Rsh(b, uint(192-bitsN))
	if r.IntN(2) == 0 {
		b.Neg(b)
	}
	return fromBig(b)
}

func fromBig(b *big.Int) Int {
	m := new(big.Int).Lsh(big.NewInt(1), 192)
	v := new(big.Int).Mod(b, m)
	mask := new(big.Int).SetUint64(^uint64(0))
	w0 := new(big.Int).And(v, mask).Uint64()
	w1 := new(big.Int).And(new(big.Int).Rsh(v, 64), mask).Uint64()
	w2 := new(big.Int).Rsh(v, 128).Uint64()
	return Int{w0, w1, w2}
}

func TestArithmeticAgainstBig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		x := randInt(r, 1+r.IntN(185))
		y := randInt(r, 1+r.IntN(185))
		if got, want := x.Add(y).big(), new(big.Int).Add(x.big(), y.big()); got.Cmp(want) != 0 {
			t.Fatalf("add %v %v: %v want %v", x.big(), y.big(), got, want)
		}
		if got, want := x.Sub(y).big(), new(big.Int).Sub(x.big(), y.big()); got.Cmp(want) != 0 {
			t.Fatalf("sub")
		}
		if got, want := x.Cmp(y), x.big().Cmp(y.big()); got != want {
			t.Fatalf("cmp %v %v: %d want %d", x.big(), y.big(), got, want)
		}
		m := r.Uint64() >> uint(r.IntN(64))
		xs := randInt(r, 1+r.IntN(120))
		if got, want := xs.Mul(m).big(), new(big.Int).Mul(xs.big(), new(big.Int).SetUint64(m)); got.Cmp(want) != 0 {
			t.Fatalf("mul %v %v: %v want %v", xs.big(), m, got, want)
		}
		d := r.Uint64()>>uint(r.IntN(64)) | 1
		q, rem := x.DivFloor(d)
		bq, br := new(big.Int).DivMod(x.big(), new(big.Int).SetUint64(d), new(big.Int))
		if q.big().Cmp(bq) != 0 || br.Uint64() != rem {
			t.Fatalf("divfloor %v / %d: %v %d want %v %v", x.big(), d, q.big(), rem, bq, br)
		}
		c := x.DivCeil(d)
		if br.Sign() != 0 {
			bq.Add(bq, big.NewInt(1))
		}
		if c.big().Cmp(bq) != 0 {
			t.Fatalf("divceil")
		}
		a := int64(r.Uint64())
		bb := r.Uint64()
		if got, want := MulI64(a, bb).big(), new(big.Int).Mul(big.NewInt(a), new(big.Int).SetUint64(bb)); got.Cmp(want) != 0 {
			t.Fatalf("muli64")
		}
		v, ok := x.Int64()
		if ok != x.big().IsInt64() || (ok && v != x.big().Int64()) {
			t.Fatalf("int64")
		}
	}
}

func TestQuoCeilBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const max = 1<<63 - 1
	for i := 0; i < 50000; i++ {
		a := randInt(r, 1+r.IntN(190)).Abs()
		b := randInt(r, 1+r.IntN(190)).Abs()
		if r.IntN(4) == 0 { // make quotients land near the bound and exact
			q := r.Uint64() >> uint(1+r.IntN(63))
			b = randInt(r, 1+r.IntN(120)).Abs()
			a = b.Mul(q)
			if r.IntN(2) == 0 && !a.IsZero() {
				a = a.Sub(Int{1, 0, 0})
			}
		}
		if b.IsZero() {
			continue
		}
		q, ok := QuoCeilBounded(a, b, max)
		bq, br := new(big.Int).QuoRem(a.big(), b.big(), new(big.Int))
		if br.Sign() != 0 {
			bq.Add(bq, big.NewInt(1))
		}
		wantOK := bq.Cmp(new(big.Int).SetUint64(max)) <= 0
		if ok != wantOK || (ok && q != bq.Uint64()) {
			t.Fatalf("quo %v / %v: %d %v want %v", a.big(), b.big(), q, ok, bq)
		}
	}
}
