package model

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// FuzzLedgerEvents decodes the input into events on a fixed two-market state
// with open positions and applies them through the harness: after every
// event LED-4 holds, the effects replay exactly to the new state, a rejected
// event changes nothing, and nothing panics.
// Run: go test -fuzz FuzzLedgerEvents ./model/
func FuzzLedgerEvents(f *testing.F) {
	f.Add([]byte{2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 10, 3, 0, 0, 0, 0, 0, 0, 0, 80})
	f.Add([]byte{3, 1, 0, 0, 0, 0, 0, 0, 0, 1, 200, 4, 0, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Add([]byte{0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 1, 5, 1, 0, 0, 0, 0, 0, 0, 0, 3})
	f.Fuzz(fuzzLedger)
}

func fuzzLedger(t *testing.T, data []byte) {
	st, evs := decodeLedgerRun(data)
	h := newHarness(t, st)
	for _, ev := range evs {
		h.apply(ev)
	}
}

// decodeLedgerRun turns fuzz input into a run: a fixed state (two markets,
// a cross long and an isolated short, an empty and a small account, a fund)
// and up to 32 events read from the bytes.
func decodeLedgerRun(data []byte) (*spec.State, []spec.Event) {
	r := &byteReader{b: data}
	st := randomState(rand.New(rand.NewPCG(0, 0)))
	st.Accounts = map[string]spec.Account{"a3": {WalletBalance: d("100")}, "a4": {}}
	st.InsuranceFund = spec.Account{WalletBalance: d("1000")}
	st.Accounts["a1"] = spec.Account{WalletBalance: d("5000"), Positions: []spec.Position{crossPos("AAA", spec.Long, "10", "100")}}
	st.Accounts["a2"] = spec.Account{WalletBalance: d("5000"), Settings: map[string]spec.AccountSettings{"AAA": {MarginMode: spec.Isolated, Leverage: nd("10")}},
		Positions: []spec.Position{{Market: "AAA", Side: spec.Short, Size: d("10"), EntryPrice: d("100"), MarginMode: spec.Isolated, Leverage: nd("10")}}}
	ids := []string{"a1", "a2", "a3", "a4", spec.InsuranceAccount}
	var evs []spec.Event
	for n := 0; n < 32 && r.more(); n++ {
		kind := r.byte() % 8
		acc := ids[int(r.byte())%len(ids)]
		other := ids[int(r.byte())%len(ids)]
		m := randMarkets[int(r.byte())%2]
		amt := decimal.New(int64(r.u32()), -int32(r.byte()%9))
		var ev spec.Event
		switch kind {
		case 0:
			ev = evDeposit(acc, amt.String())
		case 1:
			ev = evWithdraw(acc, amt.String())
		case 2, 3:
			ev = evTrade(m, acc, other, amt.String(), decimal.New(int64(r.u32()), -int32(r.byte()%4)).String())
		case 4:
			ev = evMark(m, amt.String())
		case 5:
			ev = evFunding(m, decimal.New(int64(int32(r.u32())), -9).String())
		case 6:
			ev = spec.Event{Type: spec.EventAddMargin, Account: acc, Market: m, Amount: nd(amt.String())}
			if r.byte()%2 == 0 {
				ev.Type = spec.EventRemoveMargin
			}
		default:
			ev = spec.Event{Type: spec.EventSetLeverage, Account: acc, Market: m, Leverage: nd(strconv.Itoa(int(r.byte() % 60)))}
		}
		evs = append(evs, ev)
	}
	return st, evs
}

type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) more() bool { return r.i < len(r.b) }

func (r *byteReader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *byteReader) u32() uint32 {
	var buf [4]byte
	for i := range buf {
		buf[i] = r.byte()
	}
	return binary.BigEndian.Uint32(buf[:])
}
