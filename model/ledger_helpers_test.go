package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// harness applies events to a ledger and, after every event, asserts LED-4
// (Check), that the effects replay to the new state (postings move exactly
// the balance changes, fills exactly the size changes, funding:* nets to 0),
// and that a rejected event changes nothing (LED-7).
type harness struct {
	t    *testing.T
	l    *Ledger
	n    int
	effs [][]spec.Effect
	rec  *recorder // when set, apply only records and applies (no checks)
}

// recorder collects the events a generator applies.
type recorder struct {
	t      *testing.T
	l      *Ledger
	events []spec.Event
}

func newHarness(t *testing.T, st *spec.State) *harness {
	t.Helper()
	orig := st.Clone()
	l, err := NewLedger(st)
	if err != nil {
		t.Fatalf("NewLedger: %v", err)
	}
	if err := l.Check(); err != nil {
		t.Fatalf("Check after NewLedger: %v", err)
	}
	if d := spec.DiffExact(st, orig); d != nil {
		t.Fatalf("NewLedger modified its input: %v", d)
	}
	return &harness{t: t, l: l}
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	return string(b)
}

// apply applies ev and checks the invariants; it returns the effects or the error.
func (h *harness) apply(ev spec.Event) ([]spec.Effect, *spec.Error) {
	h.t.Helper()
	if h.rec != nil {
		h.rec.events = append(h.rec.events, ev)
		effs, err := h.l.Apply(ev)
		if err != nil {
			return nil, err.(*spec.Error)
		}
		return effs, nil
	}
	before := h.l.State()
	evj := mustJSON(h.t, ev)
	effs, err := h.l.Apply(ev)
	k := h.n
	h.n++
	if mustJSON(h.t, ev) != evj {
		h.t.Fatalf("event %d: Apply modified the event", k)
	}
	if err != nil {
		e, ok := err.(*spec.Error)
		if !ok {
			h.t.Fatalf("event %d: error %T %v is not *Error", k, err, err)
		}
		if effs != nil {
			h.t.Fatalf("event %d: effects with an error", k)
		}
		if d := spec.DiffExact(h.l.State(), before); d != nil {
			h.t.Fatalf("event %d: rejected (%v) but the state changed: %v", k, err, d)
		}
		if !strings.HasPrefix(e.Path, "events["+itoa(k)+"]") {
			h.t.Fatalf("event %d: error path %q", k, e.Path)
		}
		h.effs = append(h.effs, nil)
		return nil, e
	}
	if cerr := h.l.Check(); cerr != nil {
		h.t.Fatalf("event %d (%s): Check: %v", k, ev.Type, cerr)
	}
	after := h.l.State()
	replay(h.t, k, before, after, effs)
	// The state-level check agrees (deposits and withdrawals from the effects).
	dep, wd := decimal.Zero, decimal.Zero
	for _, e := range effs {
		if e.From == "external" {
			dep = dep.Add(e.Amount.Decimal)
		}
		if e.To == "external" {
			wd = wd.Add(e.Amount.Decimal)
		}
	}
	if err := spec.CheckConservation(before, after, dep, wd); err != nil {
		h.t.Fatalf("event %d: CheckConservation: %v", k, err)
	}
	// The state round-trips through NewLedger when every wallet and
	// isolated margin is >= 0 and every entry value > 0 (ACC-1, POS-5,
	// POS-2: the ledger can produce each, see the readings on Ledger).
	ok := true
	for _, a := range after.Accounts {
		ok = ok && !a.WalletBalance.IsNegative()
		for _, p := range a.Positions {
			ok = ok && p.EntryValue.Decimal.IsPositive() && !p.IsolatedMargin.Decimal.IsNegative()
		}
	}
	for _, p := range after.InsuranceFund.Positions {
		ok = ok && p.EntryValue.Decimal.IsPositive()
	}
	if ok {
		l2, err := NewLedger(after)
		if err != nil {
			h.t.Fatalf("event %d: NewLedger(State()) = %v", k, err)
		}
		if d := spec.DiffExact(l2.State(), after); d != nil {
			h.t.Fatalf("event %d: State does not round-trip: %v", k, d)
		}
	}
	h.effs = append(h.effs, effs)
	return effs, nil
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }

func (h *harness) ok(ev spec.Event) []spec.Effect {
	h.t.Helper()
	effs, err := h.apply(ev)
	if err != nil {
		h.t.Fatalf("event %d (%s): unexpected error %v", h.n-1, ev.Type, err)
	}
	return effs
}

func (h *harness) reject(ev spec.Event, path, rule string) *spec.Error {
	h.t.Helper()
	_, err := h.apply(ev)
	if err == nil {
		h.t.Fatalf("event %d (%s): applied, want %s at %s", h.n-1, ev.Type, rule, path)
	}
	if err.Path != path || err.Rule != rule {
		h.t.Fatalf("event %d: error %v, want %s at %s", h.n-1, err, rule, path)
	}
	return err
}

// balances maps every ledger account of a state to its balance.
func balances(st *spec.State) map[string]decimal.Decimal {
	m := map[string]decimal.Decimal{"fees": st.FeePool, "dust": st.Dust, "settlement": st.Settlement.Decimal}
	add := func(id string, a spec.Account) {
		m["wallet:"+id] = a.WalletBalance
		for _, p := range a.Positions {
			if p.MarginMode == spec.Isolated {
				m["isolated:"+id+":"+p.Market] = p.IsolatedMargin.Decimal
			}
		}
	}
	for id, a := range st.Accounts {
		add(id, a)
	}
	add(spec.InsuranceAccount, st.InsuranceFund)
	return m
}

func sizes(st *spec.State) map[string]decimal.Decimal {
	m := map[string]decimal.Decimal{}
	add := func(id string, a spec.Account) {
		for _, p := range a.Positions {
			s := p.Size
			if p.Side == spec.Short {
				s = s.Neg()
			}
			m[id+"/"+p.Market] = s
		}
	}
	for id, a := range st.Accounts {
		add(id, a)
	}
	add(spec.InsuranceAccount, st.InsuranceFund)
	return m
}

// replay checks that the effects explain the state change exactly.
func replay(t *testing.T, k int, before, after *spec.State, effs []spec.Effect) {
	t.Helper()
	bal := balances(before)
	sz := sizes(before)
	for i, e := range effs {
		if e.Event != k {
			t.Fatalf("event %d: effect %d has Event %d", k, i, e.Event)
		}
		switch e.Type {
		case spec.EffectPosting:
			if !e.Amount.Valid || !e.Amount.Decimal.IsPositive() {
				t.Fatalf("event %d: posting %d with amount %v", k, i, e.Amount)
			}
			bal[e.From] = bal[e.From].Sub(e.Amount.Decimal)
			bal[e.To] = bal[e.To].Add(e.Amount.Decimal)
		case spec.EffectFill:
			s := e.Size.Decimal
			if e.Side == spec.Short {
				s = s.Neg()
			}
			sz[e.Account+"/"+e.Market] = sz[e.Account+"/"+e.Market].Add(s)
		case spec.EffectLiquidation:
		default:
			t.Fatalf("event %d: effect type %q", k, e.Type)
		}
	}
	lq8(t, k, effs)
	want := balances(after)
	for name, v := range bal {
		if name == "external" {
			continue
		}
		if w, ok := want[name]; !ok {
			if !v.IsZero() {
				t.Fatalf("event %d: ledger account %s replays to %s but is absent", k, name, v)
			}
		} else if !v.Equal(w) {
			t.Fatalf("event %d: ledger account %s replays to %s, state has %s", k, name, v, w)
		}
	}
	for name, w := range want {
		if _, ok := bal[name]; !ok && !w.IsZero() {
			t.Fatalf("event %d: ledger account %s = %s appeared without postings", k, name, w)
		}
	}
	wsz := sizes(after)
	for key, v := range sz {
		if !v.Equal(wsz[key]) {
			t.Fatalf("event %d: position %s replays to %s, state has %s", k, key, v, wsz[key])
		}
	}
	for key, w := range wsz {
		if _, ok := sz[key]; !ok {
			t.Fatalf("event %d: position %s = %s appeared without fills", k, key, w)
		}
	}
}

// effStr renders effects compactly for golden comparisons.
func effStr(effs []spec.Effect) []string {
	var out []string
	for _, e := range effs {
		switch e.Type {
		case spec.EffectPosting:
			out = append(out, "post "+e.From+" -> "+e.To+" "+e.Amount.Decimal.String()+" "+e.Reason)
		case spec.EffectFill:
			out = append(out, "fill "+e.Account+" "+e.Market+" "+string(e.Side)+" "+e.Size.Decimal.String()+" @"+e.Price.Decimal.String()+" cp "+e.Counterparty+" "+e.Kind)
		case spec.EffectLiquidation:
			out = append(out, "liq "+e.Account+" "+e.Market+" "+string(e.Pool))
		}
	}
	return out
}

func eqEffects(t *testing.T, got []spec.Effect, want []string) {
	t.Helper()
	g := effStr(got)
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("effects:\n got  %s\n want %s", strings.Join(g, "\n      "), strings.Join(want, "\n      "))
	}
}

// acct returns account id of the ledger's current state (the fund for "@insurance").
func (h *harness) acct(id string) spec.Account {
	st := h.l.State()
	if id == spec.InsuranceAccount {
		return st.InsuranceFund
	}
	return st.Accounts[id]
}

func (h *harness) wallet(id string) decimal.Decimal { return h.acct(id).WalletBalance }

func (h *harness) position(id, market string) *spec.Position {
	for _, p := range h.acct(id).Positions {
		if p.Market == market {
			p := p
			return &p
		}
	}
	return nil
}

// Event constructors.
func evDeposit(acc, amt string) spec.Event {
	return spec.Event{Type: spec.EventDeposit, Account: acc, Amount: nd(amt)}
}
func evWithdraw(acc, amt string) spec.Event {
	return spec.Event{Type: spec.EventWithdraw, Account: acc, Amount: nd(amt)}
}
func evTrade(m, buyer, seller, size, price string) spec.Event {
	return spec.Event{Type: spec.EventTrade, Market: m, Buyer: buyer, Seller: seller, Size: nd(size), Price: nd(price)}
}
func evMark(m, mark string) spec.Event {
	return spec.Event{Type: spec.EventPrice, Market: m, Mark: nd(mark)}
}
func evFunding(m, rate string) spec.Event {
	return spec.Event{Type: spec.EventFunding, Market: m, Rate: nd(rate)}
}

func crossPos(m string, side spec.Side, size, price string) spec.Position {
	return spec.Position{Market: m, Side: side, Size: d(size), EntryPrice: d(price), MarginMode: spec.Cross}
}

// lq8 checks LQ-8 on an event's effects: while an isolated pool of account
// X is liquidated (from its liquidation effect to the next one), no posting
// takes money from wallet:X; and every liquidation fee is paid to the fund.
func lq8(t *testing.T, k int, effs []spec.Effect) {
	t.Helper()
	cur := ""
	for i, e := range effs {
		switch {
		case e.Type == spec.EffectLiquidation && e.Pool == spec.Isolated:
			cur = "wallet:" + e.Account
		case e.Type == spec.EffectLiquidation:
			cur = ""
		case e.Type == spec.EffectPosting && cur != "" && e.From == cur:
			t.Fatalf("event %d: effect %d takes %s from %s during an isolated liquidation (LQ-8)", k, i, e.Amount.Decimal, cur)
		case e.Type == spec.EffectPosting && e.Reason == "liquidation-fee" && e.To != "wallet:"+spec.InsuranceAccount:
			t.Fatalf("event %d: liquidation fee to %s", k, e.To)
		}
	}
}
