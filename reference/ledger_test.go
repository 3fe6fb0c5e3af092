package reference

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// ---------------------------------------------------------------------------
// Helpers.

// stateJSON is a canonical text of a state, to compare two states.
func stateJSON(t *testing.T, st *spec.State) string {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("marshal state: %v", err)
	}
	return string(b)
}

// mustLedger builds a ledger and checks LED-4 on it.
func mustLedger(t *testing.T, st *spec.State) *Ledger {
	t.Helper()
	l, err := NewLedger(st)
	if err != nil {
		t.Fatalf("NewLedger: %v", err)
	}
	if err := l.Check(); err != nil {
		t.Fatalf("Check after NewLedger: %v", err)
	}
	return l
}

// apply applies ev, which must succeed, and checks LED-4 afterwards.
func apply(t *testing.T, l *Ledger, ev spec.Event) []spec.Effect {
	t.Helper()
	effs, err := l.Apply(ev)
	if err != nil {
		t.Fatalf("Apply(%s): %v", ev.Type, err)
	}
	if err := l.Check(); err != nil {
		t.Fatalf("Check after %s: %v", ev.Type, err)
	}
	return effs
}

// applyErr applies ev, which must fail with path and rule, and checks that
// the state did not change (LED-7) and LED-4 still holds.
func applyErr(t *testing.T, l *Ledger, ev spec.Event, path, rule string) *spec.Error {
	t.Helper()
	before := stateJSON(t, l.State())
	effs, err := l.Apply(ev)
	var me *spec.Error
	if !errors.As(err, &me) {
		t.Fatalf("Apply(%s) = %v, %v; want a *model.Error %s %s", ev.Type, effs, err, path, rule)
	}
	if me.Path != path || me.Rule != rule {
		t.Fatalf("Apply(%s) error %q %q (%s), want %q %q", ev.Type, me.Path, me.Rule, me.Msg, path, rule)
	}
	if effs != nil {
		t.Errorf("failed Apply returned effects %v", effs)
	}
	if after := stateJSON(t, l.State()); after != before {
		t.Errorf("failed Apply changed the state:\nbefore %s\nafter  %s", before, after)
	}
	if err := l.Check(); err != nil {
		t.Fatalf("Check after failed %s: %v", ev.Type, err)
	}
	return me
}

// posting, fill and liq build expected effects.
func posting(from, to, amount, reason string) spec.Effect {
	return spec.Effect{Type: spec.EffectPosting, From: from, To: to, Amount: nd(amount), Reason: reason}
}

func fillEff(account, market string, side spec.Side, size, price, counterparty, kind string) spec.Effect {
	return spec.Effect{Type: spec.EffectFill, Account: account, Market: market, Side: side,
		Size: nd(size), Price: nd(price), Counterparty: counterparty, Kind: kind}
}

func liqEff(account, market string, pool spec.MarginMode) spec.Effect {
	return spec.Effect{Type: spec.EffectLiquidation, Account: account, Market: market, Pool: pool}
}

// effectText renders an effect for comparison and messages (decimals
// compared numerically through their canonical text).
func effectText(e spec.Effect) string {
	num := func(n decimal.NullDecimal) string {
		if !n.Valid {
			return "-"
		}
		return n.Decimal.String()
	}
	switch e.Type {
	case spec.EffectPosting:
		return "posting " + e.From + " -> " + e.To + " " + num(e.Amount) + " " + e.Reason
	case spec.EffectFill:
		return "fill " + e.Account + " " + e.Market + " " + string(e.Side) + " " + num(e.Size) + " @ " + num(e.Price) + " vs " + e.Counterparty + " " + e.Kind
	case spec.EffectLiquidation:
		return "liquidation " + e.Account + " " + e.Market + " " + string(e.Pool)
	}
	return "unknown " + string(e.Type)
}

// wantEffects compares effects (ignoring Event, checked separately).
func wantEffects(t *testing.T, got []spec.Effect, event int, want ...spec.Effect) {
	t.Helper()
	var g, w []string
	for _, e := range got {
		if e.Event != event {
			t.Errorf("effect %s has Event %d, want %d", effectText(e), e.Event, event)
		}
		g = append(g, effectText(e))
	}
	for _, e := range want {
		w = append(w, effectText(e))
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("effects:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
}

// acct returns account id of a state (InsuranceAccount: the fund).
func acct(st *spec.State, id string) spec.Account {
	if id == spec.InsuranceAccount {
		return st.InsuranceFund
	}
	return st.Accounts[id]
}

// wantWallet checks an account's wallet in the ledger's state.
func wantWallet(t *testing.T, l *Ledger, id, want string) {
	t.Helper()
	wantDec(t, "wallet:"+id, acct(l.State(), id).WalletBalance, want)
}

// positionOf returns id's position in market m, or nil.
func positionOf(l *Ledger, id, m string) *spec.Position {
	for _, p := range acct(l.State(), id).Positions {
		if p.Market == m {
			p := p
			return &p
		}
	}
	return nil
}

func ev(typ spec.EventType) spec.Event { return spec.Event{Type: typ} }

func deposit(id, amount string) spec.Event {
	e := ev(spec.EventDeposit)
	e.Account, e.Amount = id, nd(amount)
	return e
}

func withdrawEv(id, amount string) spec.Event {
	e := ev(spec.EventWithdraw)
	e.Account, e.Amount = id, nd(amount)
	return e
}

func tradeEv(m, buyer, seller, size, price string) spec.Event {
	e := ev(spec.EventTrade)
	e.Market, e.Buyer, e.Seller, e.Size, e.Price = m, buyer, seller, nd(size), nd(price)
	return e
}

func markEv(m, mark string) spec.Event {
	e := ev(spec.EventPrice)
	e.Market, e.Mark = m, nd(mark)
	return e
}

func fundingEv(m, rate string) spec.Event {
	e := ev(spec.EventFunding)
	e.Market, e.Rate = m, nd(rate)
	return e
}

func marginEv(typ spec.EventType, id, m, amount string) spec.Event {
	e := ev(typ)
	e.Account, e.Market, e.Amount = id, m, nd(amount)
	return e
}

func leverageEv(id, m, lev string) spec.Event {
	e := ev(spec.EventSetLeverage)
	e.Account, e.Market, e.Leverage = id, m, nd(lev)
	return e
}

func modeEv(id, m string, mode spec.MarginMode) spec.Event {
	e := ev(spec.EventSetMarginMode)
	e.Account, e.Market, e.MarginMode = id, m, mode
	return e
}

// pos is a state position (entry price given; LED-2: leverage and mode as
// in the account's settings).
func pos(m string, side spec.Side, size, ep string, mode spec.MarginMode, lev, margin string) spec.Position {
	p := spec.Position{Market: m, Side: side, Size: d(size), EntryPrice: d(ep), MarginMode: mode}
	if lev != "" {
		p.Leverage = nd(lev)
	}
	if margin != "" {
		p.IsolatedMargin = nd(margin)
	}
	return p
}

// ---------------------------------------------------------------------------
// State validation (LED-1, LED-2, LED-4).

func simpleState() *spec.State {
	return &spec.State{
		Markets: map[string]spec.Market{"BTC": oneTier("0.1", "0.001", "0.05", "10", spec.BasisMark)},
		Prices:  map[string]spec.Price{"BTC": {Mark: nd("30000")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("1000")},
			"bob":   {WalletBalance: d("100000")},
		},
	}
}

func TestNewLedgerErrors(t *testing.T) {
	cases := []struct {
		name       string
		edit       func(*spec.State)
		path, rule string
	}{
		{"market first", func(s *spec.State) {
			m := s.Markets["BTC"]
			m.TickSize = d("0")
			s.Markets["BTC"] = m
		}, "markets.BTC.tickSize", "MKT-1"},
		{"bad id", func(s *spec.State) { s.Accounts["@x"] = spec.Account{} }, "accounts.@x", "LED-1"},
		{"empty id", func(s *spec.State) { s.Accounts[""] = spec.Account{} }, `accounts.""`, "LED-1"},
		{"position rule", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{WalletBalance: d("1"), Positions: []spec.Position{pos("BTC", spec.Long, "0.0015", "30000", spec.Cross, "", "")}}
		}, "accounts.alice.positions[0].size", "POS-2"},
		{"settings market", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{Settings: map[string]spec.AccountSettings{"ETH": {}}}
		}, "accounts.alice.settings.ETH", "POS-1"},
		{"settings leverage", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{Settings: map[string]spec.AccountSettings{"BTC": {Leverage: nd("11")}}}
		}, "accounts.alice.settings.BTC.leverage", "POS-4"},
		{"settings mode", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{Settings: map[string]spec.AccountSettings{"BTC": {MarginMode: "both"}}}
		}, "accounts.alice.settings.BTC.marginMode", "POS-3"},
		{"LED-2 mode", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{Positions: []spec.Position{pos("BTC", spec.Long, "0.1", "30000", spec.Isolated, "", "300")}}
			s.Accounts["bob"] = spec.Account{Positions: []spec.Position{pos("BTC", spec.Short, "0.1", "30000", spec.Cross, "", "")}}
		}, "accounts.alice.positions[0].marginMode", "LED-2"},
		{"LED-2 leverage", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{Positions: []spec.Position{pos("BTC", spec.Long, "0.1", "30000", spec.Cross, "5", "")}}
		}, "accounts.alice.positions[0].leverage", "LED-2"},
		{"entry value off grid", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{Positions: []spec.Position{pos("BTC", spec.Long, "0.001", "30000.00000001", spec.Cross, "", "")}}
		}, "accounts.alice.positions[0].entryPrice", "LED-1"},
		{"fund isolated", func(s *spec.State) {
			s.InsuranceFund = spec.Account{Settings: map[string]spec.AccountSettings{"BTC": {MarginMode: spec.Isolated}}}
		}, "insuranceFund.settings.BTC.marginMode", "LED-2"},
		{"fund wallet NUM", func(s *spec.State) { s.InsuranceFund.WalletBalance = d("0.000000001") }, "insuranceFund.walletBalance", "NUM-1"},
		{"feePool", func(s *spec.State) { s.FeePool = d("-1") }, "feePool", "LED-1"},
		{"dust", func(s *spec.State) { s.Dust = d("-0.00000001") }, "dust", "LED-1"},
		{"settlement", func(s *spec.State) { s.Settlement = nd("1") }, "settlement", "LED-4"},
		{"open interest", func(s *spec.State) {
			s.Accounts["alice"] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{pos("BTC", spec.Long, "0.1", "30000", spec.Cross, "", "")}}
		}, "markets.BTC", "LED-4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := simpleState()
			c.edit(s)
			_, err := NewLedger(s)
			var me *spec.Error
			if !errors.As(err, &me) || me.Path != c.path || me.Rule != c.rule {
				t.Fatalf("NewLedger = %v, want %s %s", err, c.path, c.rule)
			}
		})
	}
	if _, err := NewLedger(nil); err == nil {
		t.Error("NewLedger(nil) succeeded")
	}
}

// TestNewLedgerState: a valid state with positions comes back from State()
// normalized (EntryValue always, settings' leverage, settlement derived),
// and the input is not modified.
func TestNewLedgerState(t *testing.T) {
	s := simpleState()
	s.Accounts["alice"] = spec.Account{WalletBalance: d("1000"),
		Positions: []spec.Position{pos("BTC", spec.Long, "0.1", "30000", spec.Isolated, "10", "")},
		Settings:  map[string]spec.AccountSettings{"BTC": {Leverage: nd("10"), MarginMode: spec.Isolated}}}
	s.InsuranceFund = spec.Account{WalletBalance: d("-5"), Positions: []spec.Position{pos("BTC", spec.Short, "0.1", "30000", spec.Cross, "", "")}}
	before := stateJSON(t, s)
	l := mustLedger(t, s)
	if stateJSON(t, s) != before {
		t.Fatal("NewLedger modified its input")
	}
	st := l.State()
	p := positionOf(l, "alice", "BTC")
	wantNull(t, "entryValue", p.EntryValue, "3000")
	wantDec(t, "entryPrice", p.EntryPrice, "30000")
	wantNull(t, "isolatedMargin (POS-5 default)", p.IsolatedMargin, "300")
	wantNull(t, "leverage", p.Leverage, "10")
	wantNull(t, "settlement", st.Settlement, "0") // +3000 - 3000
	wantDec(t, "fund wallet", st.InsuranceFund.WalletBalance, "-5")
	// A deep copy: editing the returned state changes nothing.
	st.Accounts["alice"].Positions[0].Size = d("7")
	if got := positionOf(l, "alice", "BTC").Size; !got.Equal(d("0.1")) {
		t.Errorf("State is not a copy: size %s", got)
	}
}

// ---------------------------------------------------------------------------
// Deposit, withdraw, settings, margin.

func TestDepositWithdraw(t *testing.T) {
	s := simpleState()
	s.Accounts["bob"] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{pos("BTC", spec.Short, "0.1", "30000", spec.Cross, "", "")}}
	s.Accounts["alice"] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{pos("BTC", spec.Long, "0.1", "30000", spec.Cross, "", "")}}
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, deposit("alice", "5.5")), 0, posting("external", "wallet:alice", "5.5", "deposit"))
	wantWallet(t, l, "alice", "1005.5")
	// Funding the insurance fund.
	wantEffects(t, apply(t, l, deposit(spec.InsuranceAccount, "10")), 1, posting("external", "wallet:@insurance", "10", "deposit"))
	// alice: long 0.1 at mark 30000 -> 29000: U = -100, IM = 2900/10 = 290.
	apply(t, l, markEv("BTC", "29000"))
	// withdrawable = min(1005.5, 1005.5 - 100 - 290) = 615.5.
	applyErr(t, l, withdrawEv("alice", "615.50000001"), "events[3].amount", "POOL-6")
	wantEffects(t, apply(t, l, withdrawEv("alice", "615.5")), 4, posting("wallet:alice", "external", "615.5", "withdraw"))
	// bob: U = +100 is not withdrawable: min(1000, 1000 + 0 - 290) = 710.
	applyErr(t, l, withdrawEv("bob", "710.00000001"), "events[5].amount", "POOL-6")
	apply(t, l, withdrawEv("bob", "710"))
	// Field and account errors.
	applyErr(t, l, deposit("carol", "1"), "events[7].account", "LED-5")
	applyErr(t, l, deposit("alice", "0"), "events[8].amount", "LED-5")
	applyErr(t, l, deposit("alice", "0.000000001"), "events[9].amount", "NUM-1")
	bad := deposit("alice", "1")
	bad.Market = "BTC"
	applyErr(t, l, bad, "events[10].market", "LED-5")
	applyErr(t, l, ev("explode"), "events[11].type", "LED-5")
	missing := deposit("alice", "1")
	missing.Amount = decimal.NullDecimal{}
	applyErr(t, l, missing, "events[12].amount", "LED-5")
	// The fund's withdrawal bound is its wallet (10).
	applyErr(t, l, withdrawEv(spec.InsuranceAccount, "10.00000001"), "events[13].amount", "POOL-6")
	wantEffects(t, apply(t, l, withdrawEv(spec.InsuranceAccount, "10")), 14, posting("wallet:@insurance", "external", "10", "withdraw"))
}

func TestSettingsAndMargin(t *testing.T) {
	s := simpleState()
	l := mustLedger(t, s)
	applyErr(t, l, leverageEv("alice", "BTC", "11"), "events[0].leverage", "POS-4")
	applyErr(t, l, leverageEv("alice", "ETH", "2"), "events[1].market", "POS-1")
	apply(t, l, leverageEv("alice", "BTC", "5"))
	apply(t, l, modeEv("alice", "BTC", spec.Isolated))
	applyErr(t, l, modeEv(spec.InsuranceAccount, "BTC", spec.Isolated), "events[4].marginMode", "LED-2")
	applyErr(t, l, modeEv("alice", "BTC", "portfolio"), "events[5].marginMode", "POS-3")
	// Isolated open of 0.1 @ 30000 at 5x: T = up(3000/5) = 600 (TRD-3).
	effs := apply(t, l, tradeEv("BTC", "alice", "bob", "0.1", "30000"))
	wantEffects(t, effs, 6,
		fillEff("alice", "BTC", spec.Long, "0.1", "30000", "bob", "trade"),
		fillEff("bob", "BTC", spec.Short, "0.1", "30000", "alice", "trade"),
		posting("wallet:alice", "isolated:alice:BTC", "600", "margin"))
	wantNull(t, "isolated margin", positionOf(l, "alice", "BTC").IsolatedMargin, "600")
	applyErr(t, l, modeEv("alice", "BTC", spec.Cross), "events[7].marginMode", "LED-2")
	apply(t, l, modeEv("alice", "BTC", spec.Isolated)) // same mode: allowed
	// addMargin: amount <= wallet (400).
	applyErr(t, l, marginEv(spec.EventAddMargin, "alice", "BTC", "400.00000001"), "events[9].amount", "ACC-1")
	wantEffects(t, apply(t, l, marginEv(spec.EventAddMargin, "alice", "BTC", "100")), 10,
		posting("wallet:alice", "isolated:alice:BTC", "100", "margin"))
	applyErr(t, l, marginEv(spec.EventAddMargin, "bob", "BTC", "1"), "events[11].market", "POS-5")
	// removeMargin: POOL-6 at mark 29000: U = -100, IM = 2900/5 = 580,
	// max = min(700, 700 - 100 - 580) = 20.
	apply(t, l, markEv("BTC", "29000"))
	applyErr(t, l, marginEv(spec.EventRemoveMargin, "alice", "BTC", "20.00000001"), "events[13].amount", "POOL-6")
	wantEffects(t, apply(t, l, marginEv(spec.EventRemoveMargin, "alice", "BTC", "20")), 14,
		posting("isolated:alice:BTC", "wallet:alice", "20", "margin"))
	// LED-9:checked: lowering the leverage to 2 needs E >= IM of the
	// isolated pool afterwards: M = 600 + 100 - 20 = 680, U = -100, E = 580,
	// IM = 0.1 * 29000 / 2 = 1450 (by hand): rejected, shortfall 870.
	applyErr(t, l, leverageEv("alice", "BTC", "2"), "events[15].leverage", "LED-9")
	// Raising it is never rejected; the position's leverage follows (LED-2).
	apply(t, l, leverageEv("alice", "BTC", "10"))
	wantNull(t, "leverage", positionOf(l, "alice", "BTC").Leverage, "10")
}

// TestAddMarginCrossIM: addMargin keeps the cross pool at E >= IM.
func TestAddMarginCrossIM(t *testing.T) {
	s := simpleState()
	s.Markets["ETH"] = oneTier("0.01", "0.01", "0.05", "10", spec.BasisMark)
	s.Prices["ETH"] = spec.Price{Mark: nd("2000")}
	s.Accounts["alice"] = spec.Account{WalletBalance: d("1000"),
		Positions: []spec.Position{
			pos("BTC", spec.Long, "0.1", "30000", spec.Isolated, "", "300"),
			pos("ETH", spec.Long, "2", "2000", spec.Cross, "", "")},
		Settings: map[string]spec.AccountSettings{"BTC": {MarginMode: spec.Isolated}}}
	s.Accounts["bob"] = spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{
		pos("BTC", spec.Short, "0.1", "30000", spec.Cross, "", ""),
		pos("ETH", spec.Short, "2", "2000", spec.Cross, "", "")}}
	l := mustLedger(t, s)
	// Cross: E = 1000, IM = 4000/10 = 400: at most 600 can move.
	applyErr(t, l, marginEv(spec.EventAddMargin, "alice", "BTC", "600.00000001"), "events[0].amount", "POOL-6")
	apply(t, l, marginEv(spec.EventAddMargin, "alice", "BTC", "600"))
}

// ---------------------------------------------------------------------------
// Trades.

// TestGoldenSeed000ExampleAOpening: seed document 000, example A. A cross
// account of $1,000 opens long 0.1 BTC @ 30,000 (IM 3,000/10 = 300) and then
// short 5 ETH @ 2,000 (IM 10,000/10 = 1,000): the pool would need IM 1,300 >
// E 1,000, so TRD-5 rejects the second trade with the shortfall 300.
func TestGoldenSeed000ExampleAOpening(t *testing.T) {
	l := mustLedger(t, seedAState(false))
	apply(t, l, tradeEv("BTC", "alice", "bob", "0.1", "30000"))
	me := applyErr(t, l, tradeEv("ETH", "bob", "alice", "5", "2000"), "events[1].seller", "TRD-5")
	if !strings.Contains(me.Msg, "shortfall 300") {
		t.Errorf("TRD-5 message %q does not give the shortfall 300", me.Msg)
	}
}

// seedAState is seed 000 example A's markets (one tier, MMR 0.05, 10x), alice
// with $1,000 and bob as a well-funded counterparty; funded: alice already
// long 0.1 BTC @ 30,000 and short 5 ETH @ 2,000 (bob the other sides).
func seedAState(funded bool) *spec.State {
	s := &spec.State{
		Markets: map[string]spec.Market{
			"BTC": oneTier("0.1", "0.001", "0.05", "10", spec.BasisMark),
			"ETH": oneTier("0.01", "0.01", "0.05", "10", spec.BasisMark),
		},
		Prices: map[string]spec.Price{"BTC": {Mark: nd("30000")}, "ETH": {Mark: nd("2000")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("1000")},
			"bob":   {WalletBalance: d("100000")},
		},
	}
	for _, name := range []string{"BTC", "ETH"} {
		m := s.Markets[name]
		m.LiquidationFeeRate = nd("0.01")
		s.Markets[name] = m
	}
	if funded {
		s.Accounts["alice"] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
			pos("BTC", spec.Long, "0.1", "30000", spec.Cross, "", ""),
			pos("ETH", spec.Short, "5", "2000", spec.Cross, "", "")}}
		s.Accounts["bob"] = spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{
			pos("BTC", spec.Short, "0.1", "30000", spec.Cross, "", ""),
			pos("ETH", spec.Long, "5", "2000", spec.Cross, "", "")}}
	}
	return s
}

// TestTradeFeesAndPnl: TRD-2 realized PnL with the rounding of Vr, TRD-4
// fees (maker seller by default), a flip, and the settlement invariant.
func TestTradeFeesAndPnl(t *testing.T) {
	s := simpleState()
	m := s.Markets["BTC"]
	m.MakerFeeRate, m.TakerFeeRate = nd("0.0002"), nd("0.0005")
	s.Markets["BTC"] = m
	s.Accounts["carol"] = spec.Account{WalletBalance: d("100000")}
	l := mustLedger(t, s)
	// alice buys 0.003 @ 30000.1 (taker): fee up(90.0003 * 0.0005) =
	// up(0.04500015) = 0.04500015; bob (maker) up(90.0003 * 0.0002) =
	// up(0.01800006) = 0.01800006.
	wantEffects(t, apply(t, l, tradeEv("BTC", "alice", "bob", "0.003", "30000.1")), 0,
		fillEff("alice", "BTC", spec.Long, "0.003", "30000.1", "bob", "trade"),
		fillEff("bob", "BTC", spec.Short, "0.003", "30000.1", "alice", "trade"),
		posting("wallet:alice", "fees", "0.04500015", "fee"),
		posting("wallet:bob", "fees", "0.01800006", "fee"))
	// alice buys 0.001 more @ 30000.2 from carol, maker buyer: V = 90.0003 +
	// 30.0002 = 120.0005 for 0.004.
	e := tradeEv("BTC", "alice", "carol", "0.001", "30000.2")
	e.Maker = "buyer"
	apply(t, l, e)
	wantNull(t, "alice V", positionOf(l, "alice", "BTC").EntryValue, "120.0005")
	// alice sells 0.003 @ 30001 to carol: Vr = up(120.0005 * 0.003 / 0.004) =
	// 90.000375 (on the grid); R = 90.003 - 90.000375 = 0.002625.
	// carol (short 0.001, V 30.0002) flips: R = -(30.001 - 30.0002) = -0.0008.
	effs := apply(t, l, tradeEv("BTC", "carol", "alice", "0.003", "30001"))
	wantEffects(t, effs[:4], 2,
		fillEff("carol", "BTC", spec.Long, "0.003", "30001", "alice", "trade"),
		fillEff("alice", "BTC", spec.Short, "0.003", "30001", "carol", "trade"),
		posting("wallet:carol", "settlement", "0.0008", "realized-pnl"),
		posting("settlement", "wallet:alice", "0.002625", "realized-pnl"))
	wantNull(t, "alice V after reduce", positionOf(l, "alice", "BTC").EntryValue, "30.000125")
	// bob (short 0.003, V 90.0003) buys 0.005 from alice (long 0.001, V
	// 30.000125) @ 29999: bob flips: close 0.003, Vr = V = 90.0003, R = -(89.997
	// - 90.0003) = 0.0033; opens long 0.002, V = 59.998. alice flips: close
	// 0.001, R = 29.999 - 30.000125 = -0.001125; opens short 0.004, V = 119.996.
	effs = apply(t, l, tradeEv("BTC", "bob", "alice", "0.005", "29999"))
	wantEffects(t, effs[:4], 3,
		fillEff("bob", "BTC", spec.Long, "0.005", "29999", "alice", "trade"),
		fillEff("alice", "BTC", spec.Short, "0.005", "29999", "bob", "trade"),
		posting("settlement", "wallet:bob", "0.0033", "realized-pnl"),
		posting("wallet:alice", "settlement", "0.001125", "realized-pnl"))
	wantNull(t, "bob V", positionOf(l, "bob", "BTC").EntryValue, "59.998")
	wantNull(t, "alice V", positionOf(l, "alice", "BTC").EntryValue, "119.996")
	if p := positionOf(l, "alice", "BTC"); p.Side != spec.Short || !p.Size.Equal(d("0.004")) {
		t.Errorf("alice position %v %v, want short 0.004", p.Side, p.Size)
	}
}

// TestTradeErrors: TRD-1, LED-5 and TRD-5 (notional cap, isolated wallet).
func TestTradeErrors(t *testing.T) {
	s := simpleState()
	l := mustLedger(t, s)
	applyErr(t, l, tradeEv("ETH", "alice", "bob", "0.1", "30000"), "events[0].market", "TRD-1")
	applyErr(t, l, tradeEv("BTC", "zed", "bob", "0.1", "30000"), "events[1].buyer", "TRD-1")
	applyErr(t, l, tradeEv("BTC", "alice", "alice", "0.1", "30000"), "events[2].seller", "TRD-1")
	applyErr(t, l, tradeEv("BTC", "alice", "bob", "0.0015", "30000"), "events[3].size", "TRD-1")
	applyErr(t, l, tradeEv("BTC", "alice", "bob", "0.1", "30000.05"), "events[4].price", "TRD-1")
	applyErr(t, l, tradeEv("BTC", "alice", "bob", "-0.1", "30000"), "events[5].size", "LED-5")
	e := tradeEv("BTC", "alice", "bob", "0.1", "30000")
	e.Maker = "nobody"
	applyErr(t, l, e, "events[6].maker", "LED-5")
	// Notional cap: the last tier's maxNotional is 1e9.
	apply(t, l, deposit("alice", "200000000"))
	apply(t, l, deposit("bob", "200000000"))
	applyErr(t, l, tradeEv("BTC", "alice", "bob", "33333.334", "30000"), "events[9].buyer", "TRD-5")
	// Exactly at the cap is allowed: 40,000 * 25,000 = 1e9 (IM 1e8 each).
	apply(t, l, markEv("BTC", "25000"))
	apply(t, l, tradeEv("BTC", "alice", "bob", "40000", "25000"))
	// Isolated: the wallet must cover T = up(15000/10) = 1500 > 1000 (the
	// cross pool's E = -500 < IM 0).
	l = mustLedger(t, simpleState())
	apply(t, l, modeEv("alice", "BTC", spec.Isolated))
	applyErr(t, l, tradeEv("BTC", "alice", "bob", "0.5", "30000"), "events[1].buyer", "TRD-5")
	apply(t, l, tradeEv("BTC", "alice", "bob", "0.3", "30000"))
	wantWallet(t, l, "alice", "100")
	// A market without a price (TRD-1); a market whose tickSize * lotSize
	// = 0.000001 * 0.001 is off the 1e-8 grid (LED-1).
	s = simpleState()
	s.Markets["ETH"] = oneTier("0.01", "0.01", "0.05", "10", spec.BasisMark)
	s.Markets["FINE"] = oneTier("0.000001", "0.001", "0.05", "10", spec.BasisMark)
	s.Prices["FINE"] = spec.Price{Mark: nd("1")}
	l = mustLedger(t, s)
	applyErr(t, l, tradeEv("ETH", "alice", "bob", "1", "2000"), "events[0].market", "TRD-1")
	applyErr(t, l, tradeEv("FINE", "alice", "bob", "1", "1"), "events[1].market", "LED-1")
}

// TestIsolatedReduceAndClose: TRD-3 on a reduce (R first, then
// down(M' q/|x|) back) and on a close (all of it); a reduce that would leave
// the margin negative is rejected.
func TestIsolatedReduceAndClose(t *testing.T) {
	s := simpleState()
	s.Accounts["alice"] = spec.Account{WalletBalance: d("1000"),
		Settings: map[string]spec.AccountSettings{"BTC": {MarginMode: spec.Isolated, Leverage: nd("3")}}}
	l := mustLedger(t, s)
	// Open 0.3 @ 30000 at 3x: T = 3000.
	apply(t, l, deposit("alice", "2000"))
	apply(t, l, tradeEv("BTC", "alice", "bob", "0.3", "30000"))
	wantNull(t, "margin", positionOf(l, "alice", "BTC").IsolatedMargin, "3000")
	// Sell 0.1 @ 30100: Vr = 3000, R = 10 to the margin (M' = 3010), then
	// down(3010 * 0.1/0.3) = down(1003.333...) = 1003.33333333 back.
	wantEffects(t, apply(t, l, tradeEv("BTC", "bob", "alice", "0.1", "30100")), 2,
		fillEff("bob", "BTC", spec.Long, "0.1", "30100", "alice", "trade"),
		fillEff("alice", "BTC", spec.Short, "0.1", "30100", "bob", "trade"),
		posting("wallet:bob", "settlement", "10", "realized-pnl"), // bob's short: Vr = 3000, R = -(3010 - 3000)
		posting("settlement", "isolated:alice:BTC", "10", "realized-pnl"),
		posting("isolated:alice:BTC", "wallet:alice", "1003.33333333", "margin"))
	wantNull(t, "margin", positionOf(l, "alice", "BTC").IsolatedMargin, "2006.66666667")
	// A close at a loss bigger than the margin is rejected (TRD-3): 0.2 @
	// 19000 loses 2200 > 2006.67.
	applyErr(t, l, tradeEv("BTC", "bob", "alice", "0.2", "19000"), "events[3].seller", "TRD-3")
	// Close at 29000: R = 5800 - 6000 = -200, the rest 1806.66666667 back.
	wantEffects(t, apply(t, l, tradeEv("BTC", "bob", "alice", "0.2", "29000")), 4,
		fillEff("bob", "BTC", spec.Long, "0.2", "29000", "alice", "trade"),
		fillEff("alice", "BTC", spec.Short, "0.2", "29000", "bob", "trade"),
		posting("settlement", "wallet:bob", "200", "realized-pnl"),
		posting("isolated:alice:BTC", "settlement", "200", "realized-pnl"),
		posting("isolated:alice:BTC", "wallet:alice", "1806.66666667", "margin"))
	if positionOf(l, "alice", "BTC") != nil {
		t.Error("position not closed")
	}
	// 3000 - 3000 + 1003.33333333 - ... : wallet = 3000 - 3000 + 1003.33333333 + 1806.66666667 = 2810.
	wantWallet(t, l, "alice", "2810")
}

// ---------------------------------------------------------------------------
// Funding (FND).

// fundingState: XRP, mark 1.2345; alice long 1000 cross, xavier long 1000
// isolated (margin 200), bob short 2000 cross.
func fundingState() *spec.State {
	return &spec.State{
		Markets: map[string]spec.Market{"XRP": oneTier("0.0001", "1", "0.05", "10", spec.BasisEntry)},
		Prices:  map[string]spec.Price{"XRP": {Mark: nd("1.2345")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("100"), Positions: []spec.Position{pos("XRP", spec.Long, "1000", "1.2345", spec.Cross, "", "")}},
			"xavier": {WalletBalance: d("100"), Positions: []spec.Position{pos("XRP", spec.Long, "1000", "1.2345", spec.Isolated, "", "200")},
				Settings: map[string]spec.AccountSettings{"XRP": {MarginMode: spec.Isolated}}},
			"bob": {WalletBalance: d("1000"), Positions: []spec.Position{pos("XRP", spec.Short, "2000", "1.2345", spec.Cross, "", "")}},
		},
	}
}

// TestFundingCrossAndIsolated: FND-2/3 by hand. a = Q * mark * rate:
// longs 1000 * 1.2345 * 0.00012345 = 0.152399025 each, short 2000 * ... =
// 0.30479805. Longs pay up(0.152399025) = 0.15239903 (alice from her wallet,
// xavier from his isolated margin); bob receives down(0.30479805) =
// 0.30479805; dust = 2 * 0.15239903 - 0.30479805 = 0.00000001. Visited in id
// order: alice, bob, xavier. Negative rate: bob pays 0.30479805, the longs
// receive down(0.152399025) = 0.15239902 each, dust 0.00000001.
func TestFundingCrossAndIsolated(t *testing.T) {
	l := mustLedger(t, fundingState())
	wantEffects(t, apply(t, l, fundingEv("XRP", "0.00012345")), 0,
		posting("wallet:alice", "funding:XRP", "0.15239903", "funding"),
		posting("funding:XRP", "wallet:bob", "0.30479805", "funding"),
		posting("isolated:xavier:XRP", "funding:XRP", "0.15239903", "funding"),
		posting("funding:XRP", "dust", "0.00000001", "dust"))
	wantEffects(t, apply(t, l, fundingEv("XRP", "-0.00012345")), 1,
		posting("funding:XRP", "wallet:alice", "0.15239902", "funding"),
		posting("wallet:bob", "funding:XRP", "0.30479805", "funding"),
		posting("funding:XRP", "isolated:xavier:XRP", "0.15239902", "funding"),
		posting("funding:XRP", "dust", "0.00000001", "dust"))
	wantWallet(t, l, "alice", "99.99999999")
	wantWallet(t, l, "bob", "1000")
	wantNull(t, "xavier margin", positionOf(l, "xavier", "XRP").IsolatedMargin, "199.99999999")
	wantDec(t, "dust", l.State().Dust, "0.00000002")
	// Zero rate: nothing.
	wantEffects(t, apply(t, l, fundingEv("XRP", "0")), 2)
	// FND-1: a cap of 0.0001 clamps 0.5 to 0.0001: a = 0.12345 (longs), 0.2469.
	st := l.State()
	m := st.Markets["XRP"]
	m.FundingRateCap = nd("0.0001")
	st.Markets["XRP"] = m
	l = mustLedger(t, st)
	wantEffects(t, apply(t, l, fundingEv("XRP", "0.5")), 0,
		posting("wallet:alice", "funding:XRP", "0.12345", "funding"),
		posting("funding:XRP", "wallet:bob", "0.2469", "funding"),
		posting("isolated:xavier:XRP", "funding:XRP", "0.12345", "funding"))
	applyErr(t, l, fundingEv("NOPE", "0.1"), "events[1].market", "POS-1")
	noRate := fundingEv("XRP", "0")
	noRate.Rate = decimal.NullDecimal{}
	applyErr(t, l, noRate, "events[2].rate", "LED-5")
}

// TestFundingPieces: FND-3, paying rate once or in n pieces differs by at
// most one unit per position and piece.
func TestFundingPieces(t *testing.T) {
	once := mustLedger(t, fundingState())
	apply(t, once, fundingEv("XRP", "0.0003"))
	pieces := mustLedger(t, fundingState())
	for i := 0; i < 3; i++ {
		apply(t, pieces, fundingEv("XRP", "0.0001"))
	}
	for _, id := range []string{"alice", "bob"} {
		a, b := acct(once.State(), id).WalletBalance, acct(pieces.State(), id).WalletBalance
		if a.Sub(b).Abs().GreaterThan(d("0.00000003")) {
			t.Errorf("%s: once %s, pieces %s", id, a, b)
		}
	}
}

// TestPriceEventErrors: PRICE-1, MARK and LED-5 on a price event; a computed
// mark.
func TestPriceEventErrors(t *testing.T) {
	l := mustLedger(t, fundingState())
	applyErr(t, l, markEv("NOPE", "1"), "events[0].market", "PRICE-1")
	applyErr(t, l, markEv("XRP", "0"), "events[1].mark", "MARK-1")
	applyErr(t, l, markEv("XRP", "1.000000001"), "events[2].mark", "NUM-1")
	e := ev(spec.EventPrice)
	e.Market, e.Index = "XRP", nd("1.2")
	applyErr(t, l, e, "events[3].last", "MARK-2")
	e.Last = nd("1.3")
	apply(t, l, e) // median(1.2, 1.2, 1.3) = 1.2
	p := l.State().Prices["XRP"]
	if p.Mark.Valid || !p.Index.Decimal.Equal(d("1.2")) {
		t.Errorf("price entry %+v, want the event's fields", p)
	}
	if got := l.prices["XRP"].mark; str(got) != "1.2" {
		t.Errorf("computed mark %s, want 1.2", str(got))
	}
}

// TestRemovedBasisRounding: TRD-2's Vr rounds up for a long and down for a
// short, so realized PnL rounds against the trader. Both hold 0.003 with V =
// 90.0001 and reduce 0.001 at 30000: V/3 = 30.0000333...; the long's Vr =
// 30.00003334, R = 30 - 30.00003334 = -0.00003334; the short's Vr =
// 30.00003333, R = -(30 - 30.00003333) = +0.00003333.
func TestRemovedBasisRounding(t *testing.T) {
	s := simpleState()
	s.Accounts["alice"] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
		{Market: "BTC", Side: spec.Long, Size: d("0.003"), EntryValue: nd("90.0001"), MarginMode: spec.Cross}}}
	s.Accounts["bob"] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
		{Market: "BTC", Side: spec.Short, Size: d("0.003"), EntryValue: nd("90.0001"), MarginMode: spec.Cross}}}
	l := mustLedger(t, s)
	if p := positionOf(l, "alice", "BTC"); !p.EntryPrice.IsZero() {
		t.Errorf("entryPrice %s, want 0 (90.0001/0.003 is off the grid)", p.EntryPrice)
	}
	wantEffects(t, apply(t, l, tradeEv("BTC", "bob", "alice", "0.001", "30000")), 0,
		fillEff("bob", "BTC", spec.Long, "0.001", "30000", "alice", "trade"),
		fillEff("alice", "BTC", spec.Short, "0.001", "30000", "bob", "trade"),
		posting("settlement", "wallet:bob", "0.00003333", "realized-pnl"),
		posting("wallet:alice", "settlement", "0.00003334", "realized-pnl"))
	wantNull(t, "alice V", positionOf(l, "alice", "BTC").EntryValue, "60.00006666")
	wantNull(t, "bob V", positionOf(l, "bob", "BTC").EntryValue, "60.00006667")
	wantDec(t, "alice entryPrice", positionOf(l, "alice", "BTC").EntryPrice, "30000.03333")
}

// TestReportedRange: NUM-2 on the ledger's reported values. Two deposits of
// 60,000,000,000 would make a wallet of 1.2e11 > MAX: the second is an error
// (at the event's amount, LED-7; the message names the wallet) and changes
// nothing. A state whose entryValue
// size * entryPrice exceeds MAX is an error at .entryValue.
func TestReportedRange(t *testing.T) {
	l := mustLedger(t, simpleState())
	apply(t, l, deposit("alice", "60000000000"))
	me := applyErr(t, l, deposit("alice", "60000000000"), "events[1].amount", "NUM-2")
	if !strings.HasPrefix(me.Msg, "accounts.alice.walletBalance: ") {
		t.Errorf("message %q does not name the wallet", me.Msg)
	}
	s := simpleState()
	m := s.Markets["BTC"]
	m.LotSize = d("1")
	m.Tiers[0].MaxNotional = d("92233720368")
	s.Markets["BTC"] = m
	s.Accounts["alice"] = spec.Account{Positions: []spec.Position{pos("BTC", spec.Long, "100000000", "100000", spec.Cross, "", "")}}
	s.Accounts["bob"] = spec.Account{Positions: []spec.Position{pos("BTC", spec.Short, "100000000", "100000", spec.Cross, "", "")}}
	if _, err := NewLedger(s); !errors.As(err, &me) || me.Path != "accounts.alice.positions[0].entryValue" || me.Rule != "NUM-2" {
		t.Errorf("NewLedger = %v, want NUM-2 at accounts.alice.positions[0].entryValue", err)
	}
}

// TestIsolatedTierMargin: TRD-3's L uses the tier of the new size at the
// trade price, for the added quantity only; TRD-5 then checks the isolated
// pool. Tiers: [0, 10,000) MMR 0.01 20x, [10,000, ...) MMR 0.02 10x; alice
// isolated at 20x. Buy 0.3 @ 30,000 (9,000, tier 1): T = 9,000/20 = 450.
// Buy 0.1 more: new notional 12,000 is in tier 2, L = min(20, 10) = 10,
// T = up(3,000/10) = 300, M = 750 < IM 12,000/10 = 1,200: TRD-5, shortfall
// 450. After adding 450, M = 900 + 300 = 1,200 = IM: accepted.
func TestIsolatedTierMargin(t *testing.T) {
	s := simpleState()
	m := s.Markets["BTC"]
	m.Tiers = []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("10000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("20")},
		{MinNotional: d("10000"), MaxNotional: d("1000000"), MaintenanceMarginRate: d("0.02"), MaxLeverage: d("10")},
	}
	s.Markets["BTC"] = m
	s.Accounts["alice"] = spec.Account{WalletBalance: d("2000"),
		Settings: map[string]spec.AccountSettings{"BTC": {MarginMode: spec.Isolated, Leverage: nd("20")}}}
	l := mustLedger(t, s)
	effs := apply(t, l, tradeEv("BTC", "alice", "bob", "0.3", "30000"))
	wantEffects(t, effs[2:], 0, posting("wallet:alice", "isolated:alice:BTC", "450", "margin"))
	me := applyErr(t, l, tradeEv("BTC", "alice", "bob", "0.1", "30000"), "events[1].buyer", "TRD-5")
	if !strings.Contains(me.Msg, "shortfall 450") {
		t.Errorf("message %q, want the shortfall 450", me.Msg)
	}
	apply(t, l, marginEv(spec.EventAddMargin, "alice", "BTC", "450"))
	effs = apply(t, l, tradeEv("BTC", "alice", "bob", "0.1", "30000"))
	wantEffects(t, effs[2:], 3, posting("wallet:alice", "isolated:alice:BTC", "300", "margin"))
	wantNull(t, "margin", positionOf(l, "alice", "BTC").IsolatedMargin, "1200")
}
