package reference

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestGoldenSeed000ExampleALiquidation: seed document 000, example A, from a
// funded start (cross $1,000; long 0.1 BTC @ 30,000, short 5 ETH @ 2,000;
// one tier, MMR 0.05, 10x; liquidationFeeRate 0.01 here). BTC to 31,000:
// E = 1,000 + 100 = 1,100 >= MM 0.05 * (3,100 + 10,000) = 655, nothing
// happens. ETH to 2,160: E = 1,000 + 100 - 800 = 300 < MM 0.05 * (3,100 +
// 10,800) = 695: liquidatable. At the execution prices (LQ-2: BTC
// tickDown(31,000), ETH tickUp(2,160)) E_x = 300 >= 0: solvent (LQ-4). The
// largest loss, the ETH short (U = -800), is closed first against the fund:
// R = -800; E' = 200 + 100 = 300, fee = min(up(0.01 * 5 * 2,160), 300) = 108.
// Then E = 92 + 100 = 192 >= MM 0.05 * 3,100 = 155: the loop stops, the BTC
// long stays.
func TestGoldenSeed000ExampleALiquidation(t *testing.T) {
	l := mustLedger(t, seedAState(true))
	wantEffects(t, apply(t, l, markEv("BTC", "31000")), 0)
	wantEffects(t, apply(t, l, markEv("ETH", "2160")), 1,
		liqEff("alice", "ETH", spec.Cross),
		fillEff("alice", "ETH", spec.Long, "5", "2160", spec.InsuranceAccount, "liquidation"),
		fillEff(spec.InsuranceAccount, "ETH", spec.Short, "5", "2160", "alice", "liquidation"),
		posting("wallet:alice", "settlement", "800", "realized-pnl"),
		posting("wallet:alice", "wallet:@insurance", "108", "liquidation-fee"))
	wantWallet(t, l, "alice", "92")
	wantWallet(t, l, spec.InsuranceAccount, "108")
	if positionOf(l, "alice", "BTC") == nil || positionOf(l, "alice", "ETH") != nil {
		t.Error("want the BTC long kept and the ETH short closed")
	}
	if p := positionOf(l, spec.InsuranceAccount, "ETH"); p == nil || p.Side != spec.Short || !p.Size.Equal(d("5")) {
		t.Errorf("the fund should hold the ETH short, got %+v", p)
	}
}

// TestGoldenSeed000ExampleAInsurance: the same start, ETH gaps to 2,300 with
// $1,000 in the fund: E = 1,000 + 0 - 1,500 = -500 = E_x: bankrupt, d = 500
// <= 1,000 (LQ-5). Both positions close at their p, largest loss first (ETH,
// then BTC with U = 0), no fee; then the fund posts exactly 500.
func TestGoldenSeed000ExampleAInsurance(t *testing.T) {
	s := seedAState(true)
	s.InsuranceFund.WalletBalance = d("1000")
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("ETH", "2300")), 0,
		liqEff("alice", "ETH", spec.Cross),
		fillEff("alice", "ETH", spec.Long, "5", "2300", spec.InsuranceAccount, "liquidation"),
		fillEff(spec.InsuranceAccount, "ETH", spec.Short, "5", "2300", "alice", "liquidation"),
		posting("wallet:alice", "settlement", "1500", "realized-pnl"),
		liqEff("alice", "BTC", spec.Cross),
		fillEff(spec.InsuranceAccount, "BTC", spec.Long, "0.1", "30000", "alice", "liquidation"),
		fillEff("alice", "BTC", spec.Short, "0.1", "30000", spec.InsuranceAccount, "liquidation"),
		posting("wallet:@insurance", "wallet:alice", "500", "insurance"))
	wantWallet(t, l, "alice", "0")
	wantWallet(t, l, spec.InsuranceAccount, "500")
}

// seedBState is seed 000 example B: xavier isolated long 1,000 XRP @ 1.00 at
// 10x with $100 margin (MM 5% on the entry notional, $50) and $500 more in his
// wallet; the shorts are bob (600, wallet 1,000) and carol (400, wallet 100),
// both cross. liquidationFeeRate 0.01.
func seedBState(fund string) *spec.State {
	m := oneTier("0.0001", "1", "0.05", "10", spec.BasisEntry)
	m.LiquidationFeeRate = nd("0.01")
	return &spec.State{
		Markets: map[string]spec.Market{"XRP": m},
		Prices:  map[string]spec.Price{"XRP": {Mark: nd("1.00")}},
		Accounts: map[string]spec.Account{
			"xavier": {WalletBalance: d("500"),
				Positions: []spec.Position{pos("XRP", spec.Long, "1000", "1.00", spec.Isolated, "10", "100")},
				Settings:  map[string]spec.AccountSettings{"XRP": {MarginMode: spec.Isolated, Leverage: nd("10")}}},
			"bob":   {WalletBalance: d("1000"), Positions: []spec.Position{pos("XRP", spec.Short, "600", "1.00", spec.Cross, "", "")}},
			"carol": {WalletBalance: d("100"), Positions: []spec.Position{pos("XRP", spec.Short, "400", "1.00", spec.Cross, "", "")}},
		},
		InsuranceFund: spec.Account{WalletBalance: d(fund)},
	}
}

// TestGoldenSeed000ExampleBLiquidation: at 0.95, E = 100 - 50 = 50 = MM: not
// liquidatable (POOL-5). At 0.9499, E = 49.9 < 50: p = tickDown(0.9499) =
// 0.9499, E_x = 49.9 >= 0, solvent (LQ-4): R = 949.9 - 1,000 = -50.1, M' =
// 49.9, fee = min(up(0.01 * 949.9), 49.9) = 9.499, the rest 40.401 goes back
// to the wallet. xavier loses 59.599 <= 100; his wallet is otherwise
// untouched (LQ-8).
func TestGoldenSeed000ExampleBLiquidation(t *testing.T) {
	l := mustLedger(t, seedBState("0"))
	wantEffects(t, apply(t, l, markEv("XRP", "0.95")), 0)
	wantEffects(t, apply(t, l, markEv("XRP", "0.9499")), 1,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff(spec.InsuranceAccount, "XRP", spec.Long, "1000", "0.9499", "xavier", "liquidation"),
		fillEff("xavier", "XRP", spec.Short, "1000", "0.9499", spec.InsuranceAccount, "liquidation"),
		posting("isolated:xavier:XRP", "settlement", "50.1", "realized-pnl"),
		posting("isolated:xavier:XRP", "wallet:@insurance", "9.499", "liquidation-fee"),
		posting("isolated:xavier:XRP", "wallet:xavier", "40.401", "margin"))
	wantWallet(t, l, "xavier", "540.401")
	wantWallet(t, l, spec.InsuranceAccount, "9.499")
}

// TestGoldenSeed000ExampleBInsurance: a gap to 0.80, far below the
// bankruptcy price 0.90: E_x = 100 + 800 - 1,000 = -100, d = 100 <= fund
// 1,000 (LQ-5): the fund takes the long at 0.80 and pays exactly 100; the
// isolated margin ends at 0 and the wallet is untouched.
func TestGoldenSeed000ExampleBInsurance(t *testing.T) {
	l := mustLedger(t, seedBState("1000"))
	wantEffects(t, apply(t, l, markEv("XRP", "0.80")), 0,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff(spec.InsuranceAccount, "XRP", spec.Long, "1000", "0.8", "xavier", "liquidation"),
		fillEff("xavier", "XRP", spec.Short, "1000", "0.8", spec.InsuranceAccount, "liquidation"),
		posting("isolated:xavier:XRP", "settlement", "200", "realized-pnl"),
		posting("wallet:@insurance", "isolated:xavier:XRP", "100", "insurance"))
	wantWallet(t, l, "xavier", "500")
	wantWallet(t, l, spec.InsuranceAccount, "900")
}

// TestGoldenSeed000ExampleBADL: the same gap with an empty fund (LQ-6): the
// long closes at tickUp(0.80 + 100/1,000) = 0.90, its bankruptcy price,
// against the shorts in ADL-2 order. Scores at mark 0.80: bob U = 120, V =
// 600, pnl = 0.2, N = 480, E = 1,120, down(N/E) = 0.42857142, score =
// down(0.085714284) = 0.08571428; carol U = 80, pnl = 0.2, N = 320, E = 180,
// down(N/E) = 1.77777777, score = down(0.355555554) = 0.35555555. So carol
// (400) first, then bob (600), each realizing PnL at 0.90.
func TestGoldenSeed000ExampleBADL(t *testing.T) {
	l := mustLedger(t, seedBState("0"))
	wantEffects(t, apply(t, l, markEv("XRP", "0.80")), 0,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff("carol", "XRP", spec.Long, "400", "0.9", "xavier", "adl"),
		fillEff("xavier", "XRP", spec.Short, "400", "0.9", "carol", "adl"),
		posting("settlement", "wallet:carol", "40", "realized-pnl"),
		posting("isolated:xavier:XRP", "settlement", "40", "realized-pnl"),
		fillEff("bob", "XRP", spec.Long, "600", "0.9", "xavier", "adl"),
		fillEff("xavier", "XRP", spec.Short, "600", "0.9", "bob", "adl"),
		posting("settlement", "wallet:bob", "60", "realized-pnl"),
		posting("isolated:xavier:XRP", "settlement", "60", "realized-pnl"))
	wantWallet(t, l, "xavier", "500")
	wantWallet(t, l, "carol", "140")
	wantWallet(t, l, "bob", "1060")
	wantWallet(t, l, spec.InsuranceAccount, "0")
}

// TestADLScore: ADL-2's named roundings, by hand (see TestGoldenSeed000ExampleBADL).
func TestADLScore(t *testing.T) {
	cases := []struct{ u, v, n, e, want string }{
		{"120", "600", "480", "1120", "0.08571428"},
		{"80", "400", "320", "180", "0.35555555"},
		{"80", "400", "320", "0", "92233720368.54775807"}, // U > 0, E <= 0: MAX
		{"-1", "3", "10", "5", "-0.33333334"},             // U <= 0: down(U/V)
		{"0", "3", "10", "5", "0"},
	}
	for _, c := range cases {
		got := adlScore(apdOf(t, c.u), apdOf(t, c.v), apdOf(t, c.n), apdOf(t, c.e))
		if got.Cmp(apdOf(t, c.want)) != 0 {
			t.Errorf("adlScore(%s, %s, %s, %s) = %s, want %s", c.u, c.v, c.n, c.e, str(got), c.want)
		}
	}
}

// TestResidualLQ7: a cross short whose deficit no ADL price can absorb. dave
// holds short 10 Z with V = 5 (entry 0.5, below the tick of 1) and wallet 0;
// Z jumps to 100: p = 100, E_x = -(1,000 - 5) = -995, fund empty: ADL at
// max(1, tickDown(100 - 99.5)) = 1, which absorbs 10 * 99 = 990; r = 5
// remains and the fund posts it anyway (LQ-7), going to -5.
func TestResidualLQ7(t *testing.T) {
	s := &spec.State{
		Markets: map[string]spec.Market{"Z": oneTier("1", "1", "0.05", "10", spec.BasisMark)},
		Prices:  map[string]spec.Price{"Z": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{
			"dave": {Positions: []spec.Position{pos("Z", spec.Short, "10", "0.5", spec.Cross, "", "")}},
			"erin": {WalletBalance: d("1000"), Positions: []spec.Position{pos("Z", spec.Long, "10", "0.5", spec.Cross, "", "")}},
		},
	}
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("Z", "100")), 0,
		liqEff("dave", "Z", spec.Cross),
		fillEff("dave", "Z", spec.Long, "10", "1", "erin", "adl"),
		fillEff("erin", "Z", spec.Short, "10", "1", "dave", "adl"),
		posting("wallet:dave", "settlement", "5", "realized-pnl"),
		posting("settlement", "wallet:erin", "5", "realized-pnl"),
		posting("wallet:@insurance", "wallet:dave", "5", "insurance"))
	wantWallet(t, l, "dave", "0")
	wantWallet(t, l, spec.InsuranceAccount, "-5")
}

// TestIsolatedUntouchedByCross: an isolated liquidation never touches the
// cross pool, and a cross liquidation never touches isolated margin (LQ-8,
// POOL-2). xavier's cross wallet is empty while his isolated long is
// liquidated solvently; the fee is capped by the margin.
func TestIsolatedUntouchedByCross(t *testing.T) {
	s := seedBState("0")
	m := s.Markets["XRP"]
	m.LiquidationFeeRate = nd("0.5")
	s.Markets["XRP"] = m
	acc := s.Accounts["xavier"]
	acc.WalletBalance = d("0")
	s.Accounts["xavier"] = acc
	l := mustLedger(t, s)
	// At 0.9: E = 0 < 50, E_x = 0: solvent, fee = min(up(0.5 * 900), 0) = 0.
	wantEffects(t, apply(t, l, markEv("XRP", "0.9")), 0,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff(spec.InsuranceAccount, "XRP", spec.Long, "1000", "0.9", "xavier", "liquidation"),
		fillEff("xavier", "XRP", spec.Short, "1000", "0.9", spec.InsuranceAccount, "liquidation"),
		posting("isolated:xavier:XRP", "settlement", "100", "realized-pnl"))
	wantWallet(t, l, "xavier", "0")
}

// TestNegativeCrossWalletCovered: a position-less cross pool with a negative
// wallet is liquidatable (POOL-5, MM = 0); its deficit is covered by the
// fund (LQ-5). Here a reducing trade's fee drives the wallet below 0 (TRD-5
// never rejects a reduce), and the next price event's sweep covers it.
func TestNegativeCrossWalletCovered(t *testing.T) {
	s := simpleState()
	m := s.Markets["BTC"]
	m.TakerFeeRate = nd("0.001")
	s.Markets["BTC"] = m
	s.Accounts["alice"] = spec.Account{WalletBalance: d("0"), Positions: []spec.Position{pos("BTC", spec.Long, "0.1", "30000", spec.Cross, "", "")}}
	s.Accounts["bob"] = spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{pos("BTC", spec.Short, "0.1", "30000", spec.Cross, "", "")}}
	s.InsuranceFund.WalletBalance = d("10")
	l := mustLedger(t, s)
	// alice sells (taker, maker = buyer) at 30000: R = 0, fee 3.
	e := tradeEv("BTC", "bob", "alice", "0.1", "30000")
	e.Maker = "buyer"
	apply(t, l, e)
	wantWallet(t, l, "alice", "-3")
	// ACC-2: such a state is a valid NewLedger input and keeps the wallet.
	if l2, err := NewLedger(l.State()); err != nil {
		t.Errorf("NewLedger(State()) = %v, want the state accepted (ACC-2)", err)
	} else {
		wantWallet(t, l2, "alice", "-3")
	}
	wantEffects(t, apply(t, l, markEv("BTC", "30000")), 1,
		posting("wallet:@insurance", "wallet:alice", "3", "insurance"))
	wantWallet(t, l, "alice", "0")
}

// ---------------------------------------------------------------------------
// Randomized sequences: LED-4 after every event, LED-7 on every failure.

// randomLedgerState builds a state with four trader accounts, two markets
// (a two-tier mark-basis market and a one-tier entry-basis market) and, half
// of the time, one long and one short position per market.
func randomLedgerState(rng *rand.Rand) *spec.State {
	m0 := spec.Market{
		TickSize: d("0.01"), LotSize: d("0.01"),
		Tiers: []spec.Tier{
			{MinNotional: d("0"), MaxNotional: d("5000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("50")},
			{MinNotional: d("5000"), MaxNotional: d("1000000"), MaintenanceMarginRate: d("0.025"), MaxLeverage: d("20")},
		},
		LiquidationFeeRate: nd("0.005"), MakerFeeRate: nd("0.0002"), TakerFeeRate: nd("0.0007"),
		FundingRateCap: nd("0.003"),
	}
	m1 := oneTier("0.0001", "1", "0.05", "10", spec.BasisEntry)
	m1.LiquidationFeeRate = nd("0.01")
	s := &spec.State{
		Markets:  map[string]spec.Market{"M0": m0, "M1": m1},
		Prices:   map[string]spec.Price{"M0": {Mark: nd("100")}, "M1": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{},
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		acc := spec.Account{WalletBalance: decimal.New(rng.Int63n(300000), -2)}
		if rng.Intn(2) == 0 {
			acc.Settings = map[string]spec.AccountSettings{"M0": {MarginMode: spec.Isolated, Leverage: nd(fmt.Sprint(1 + rng.Intn(50)))}}
		}
		s.Accounts[id] = acc
	}
	s.InsuranceFund.WalletBalance = []decimal.Decimal{d("0"), d("25"), d("100000")}[rng.Intn(3)]
	// Half of the states start with open positions: per market, one long and
	// one short account, opened at the mark, with the accounts' settings.
	if rng.Intn(2) == 0 {
		for _, m := range []struct{ name, size, mark string }{{"M0", "0.01", "100"}, {"M1", "1", "1"}} {
			ids := []string{"a", "b", "c", "d"}
			rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			size := d(m.size).Mul(decimal.New(1+rng.Int63n(2000), 0))
			for i, side := range []spec.Side{spec.Long, spec.Short} {
				acc := s.Accounts[ids[i]]
				p := spec.Position{Market: m.name, Side: side, Size: size, EntryPrice: d(m.mark), MarginMode: spec.Cross}
				if set, ok := acc.Settings[m.name]; ok {
					p.MarginMode, p.Leverage = set.MarginMode, set.Leverage
				}
				acc.Positions = append(acc.Positions, p)
				s.Accounts[ids[i]] = acc
			}
		}
	}
	return s
}

// randomEvent draws an event; some are invalid on purpose.
func randomEvent(rng *rand.Rand, l *Ledger) spec.Event {
	ids := []string{"a", "b", "c", "d", spec.InsuranceAccount, "nobody"}
	id := func() string {
		if rng.Intn(20) == 0 {
			return ids[4+rng.Intn(2)]
		}
		return ids[rng.Intn(4)]
	}
	mkt := []string{"M0", "M1"}[rng.Intn(2)]
	mark := toDecimal(l.prices[mkt].mark)
	tick, lot := d("0.01"), d("0.01")
	if mkt == "M1" {
		tick, lot = d("0.0001"), d("1")
	}
	// A price near the mark (+-10%, sometimes a gap of up to +-60%), on the tick grid.
	near := func(spread int64) decimal.Decimal {
		f := decimal.New(1000+rng.Int63n(2*spread+1)-spread, -3)
		p := mark.Mul(f).Div(tick).Floor().Mul(tick)
		if p.Sign() <= 0 {
			p = tick
		}
		return p
	}
	amount := func() decimal.NullDecimal { return decimal.NewNullDecimal(decimal.New(1+rng.Int63n(200000), -2)) }
	switch rng.Intn(10) {
	case 0:
		return deposit(id(), amount().Decimal.String())
	case 1:
		return withdrawEv(id(), amount().Decimal.String())
	case 2, 3, 4:
		e := ev(spec.EventTrade)
		e.Market, e.Buyer, e.Seller = mkt, id(), id()
		e.Size = decimal.NewNullDecimal(lot.Mul(decimal.New(1+rng.Int63n(500), 0)))
		e.Price = decimal.NewNullDecimal(near(50))
		if rng.Intn(2) == 0 {
			e.Maker = "buyer"
		}
		return e
	case 5, 6:
		spread := int64(100)
		if rng.Intn(4) == 0 {
			spread = 600
		}
		return markEv(mkt, near(spread).String())
	case 7:
		return fundingEv(mkt, decimal.New(rng.Int63n(2001)-1000, -6).String())
	case 8:
		typ := spec.EventAddMargin
		if rng.Intn(2) == 0 {
			typ = spec.EventRemoveMargin
		}
		return marginEv(typ, id(), mkt, decimal.New(1+rng.Int63n(2000), -2).String())
	default:
		if rng.Intn(2) == 0 {
			return leverageEv(id(), mkt, fmt.Sprint(1+rng.Intn(12)))
		}
		return modeEv(id(), mkt, []spec.MarginMode{spec.Cross, spec.Isolated}[rng.Intn(2)])
	}
}

// TestLedgerRandomSequences applies a few hundred random event sequences:
// after every event LED-4 holds (Check), every failure is a *model.Error that
// changes nothing (LED-7), every posting is > 0, every effect carries its
// event's index, and an isolated liquidation never takes money from the
// liquidated account's wallet (LQ-8).
func TestLedgerRandomSequences(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 50
	}
	rng := rand.New(rand.NewSource(20261121))
	stats := map[string]int{}
	for run := 0; run < runs; run++ {
		l := mustLedger(t, randomLedgerState(rng))
		for k := 0; k < 40; k++ {
			e := randomEvent(rng, l)
			before := stateJSON(t, l.State())
			effs, err := l.Apply(e)
			if err != nil {
				var me *spec.Error
				if !errors.As(err, &me) {
					t.Fatalf("run %d event %d %+v: internal error %v", run, k, e, err)
				}
				if after := stateJSON(t, l.State()); after != before {
					t.Fatalf("run %d event %d: failed event (%v) changed the state", run, k, err)
				}
				stats["error "+me.Rule]++
			} else {
				stats["ok "+string(e.Type)]++
			}
			isolatedLiq := "" // LQ-8: the account of the isolated liquidation in progress
			for _, eff := range effs {
				switch {
				case eff.Type == spec.EffectLiquidation && eff.Pool == spec.Isolated:
					isolatedLiq = eff.Account
				case eff.Type == spec.EffectLiquidation:
					isolatedLiq = ""
				case eff.Type == spec.EffectPosting && isolatedLiq != "" && eff.From == "wallet:"+isolatedLiq:
					t.Fatalf("run %d event %d: isolated liquidation of %s takes from its wallet: %s", run, k, isolatedLiq, effectText(eff))
				}
				if eff.Event != k {
					t.Fatalf("run %d event %d: effect with Event %d", run, k, eff.Event)
				}
				if eff.Type == spec.EffectPosting && eff.Amount.Decimal.Sign() <= 0 {
					t.Fatalf("run %d event %d: posting %s", run, k, effectText(eff))
				}
				if eff.Type == spec.EffectLiquidation {
					stats["liquidation "+string(eff.Pool)]++
				}
				if eff.Type == spec.EffectPosting {
					stats["posting "+eff.Reason]++
				}
				if eff.Type == spec.EffectFill {
					stats["fill "+eff.Kind]++
				}
			}
			if err := l.Check(); err != nil {
				t.Fatalf("run %d event %d %+v: Check: %v\nstate %s", run, k, e, err, stateJSON(t, l.State()))
			}
			// State round trip (every fifth event): a state the ledger
			// reaches loads again and reads back the same, except where a
			// trader's wallet went negative (ACC-1, see ledger_doc.go).
			if k%5 != 4 {
				continue
			}
			st := l.State()
			if l2, err := NewLedger(st); err != nil {
				var me *spec.Error
				if !errors.As(err, &me) || me.Rule != "ACC-1" {
					t.Fatalf("run %d event %d: NewLedger(State()) = %v", run, k, err)
				}
				stats["reload ACC-1"]++
			} else if a, b := stateJSON(t, st), stateJSON(t, l2.State()); a != b {
				t.Fatalf("run %d event %d: State round trip differs:\n%s\n%s", run, k, a, b)
			}
		}
	}
	t.Logf("outcomes: %v", stats)
}

// TestFundingThenSweep: FND-4, the sweep runs after the payments. Seed
// example B at mark 0.951: xavier's E = 100 - 49 = 51 >= MM 50. A funding of
// 0.002: the longs pay, xavier up(1,000 * 0.951 * 0.002) = 1.902 from his
// isolated margin; bob receives down(600 * 0.951 * 0.002) = 1.1412, carol
// down(0.7608) = 0.7608 (ids in order bob, carol, xavier; no dust). Now
// E = 98.098 - 49 = 49.098 < 50: liquidated at p = 0.951, solvent:
// R = -49, M' = 49.098, fee = min(up(0.01 * 951), 49.098) = 9.51, the rest
// 39.588 to the wallet.
func TestFundingThenSweep(t *testing.T) {
	l := mustLedger(t, seedBState("0"))
	apply(t, l, markEv("XRP", "0.951"))
	wantEffects(t, apply(t, l, fundingEv("XRP", "0.002")), 1,
		posting("funding:XRP", "wallet:bob", "1.1412", "funding"),
		posting("funding:XRP", "wallet:carol", "0.7608", "funding"),
		posting("isolated:xavier:XRP", "funding:XRP", "1.902", "funding"),
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff(spec.InsuranceAccount, "XRP", spec.Long, "1000", "0.951", "xavier", "liquidation"),
		fillEff("xavier", "XRP", spec.Short, "1000", "0.951", spec.InsuranceAccount, "liquidation"),
		posting("isolated:xavier:XRP", "settlement", "49", "realized-pnl"),
		posting("isolated:xavier:XRP", "wallet:@insurance", "9.51", "liquidation-fee"),
		posting("isolated:xavier:XRP", "wallet:xavier", "39.588", "margin"))
	wantWallet(t, l, "xavier", "539.588")
}

// TestCrossFeeCappedByEquity: LQ-4's cross fee is min(up(rate * size * p),
// max(0, down(E'))). alice: wallet 6, long 1 Z @ 100 (tick 1, MMR 0.05,
// liquidationFeeRate 0.5). Mark 99: E = 5 >= MM 4.95, nothing. Mark 98.9:
// E = 4.9 < MM 4.945; p = tickDown(98.9) = 98, E_x = 6 - 2 = 4 >= 0:
// solvent; the close at 98 realizes -2, E' = 4, and the fee is
// min(up(0.5 * 98), 4) = 4, leaving alice at 0.
func TestCrossFeeCappedByEquity(t *testing.T) {
	m := oneTier("1", "1", "0.05", "10", spec.BasisMark)
	m.LiquidationFeeRate = nd("0.5")
	s := &spec.State{
		Markets: map[string]spec.Market{"Z": m},
		Prices:  map[string]spec.Price{"Z": {Mark: nd("100")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("6"), Positions: []spec.Position{pos("Z", spec.Long, "1", "100", spec.Cross, "", "")}},
			"bob":   {WalletBalance: d("1000"), Positions: []spec.Position{pos("Z", spec.Short, "1", "100", spec.Cross, "", "")}},
		},
	}
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("Z", "99")), 0)
	wantEffects(t, apply(t, l, markEv("Z", "98.9")), 1,
		liqEff("alice", "Z", spec.Cross),
		fillEff(spec.InsuranceAccount, "Z", spec.Long, "1", "98", "alice", "liquidation"),
		fillEff("alice", "Z", spec.Short, "1", "98", spec.InsuranceAccount, "liquidation"),
		posting("wallet:alice", "settlement", "2", "realized-pnl"),
		posting("wallet:alice", "wallet:@insurance", "4", "liquidation-fee"))
	wantWallet(t, l, "alice", "0")
}

// TestCheckDetects: Check reports each LED-4 violation.
func TestCheckDetects(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Ledger)
		path string
	}{
		{"conservation", func(l *Ledger) { l.fees = add(l.fees, unit) }, ""},
		{"settlement", func(l *Ledger) {
			l.settlement = add(l.settlement, unit)
			l.fees = sub(l.fees, unit)
		}, "settlement"},
		{"open interest", func(l *Ledger) {
			p := l.accounts["xavier"].positions["XRP"]
			p.q = add(p.q, dec(1))
		}, "markets.XRP"},
		{"negative isolated", func(l *Ledger) {
			a := l.accounts["xavier"]
			a.isolated["XRP"] = dec(-1)
			a.wallet = add(a.wallet, dec(101))
		}, "accounts.xavier.positions"},
		{"funding", func(l *Ledger) {
			l.funding["XRP"] = dec(1)
			l.dust = sub(l.dust, dec(1))
		}, "funding:XRP"},
	}
	for _, c := range cases {
		l := mustLedger(t, seedBState("0"))
		c.edit(l)
		var me *spec.Error
		if err := l.Check(); !errors.As(err, &me) || me.Path != c.path || me.Rule != "LED-4" {
			t.Errorf("%s: Check = %v, want LED-4 at %q", c.name, err, c.path)
		}
	}
}

// TestFundingBeyondIsolatedMargin documents a SPEC gap (see the package's
// ledger notes): FND-2 posts the whole payment up(|a|) from the isolated
// margin, uncapped, and the sweep (FND-4, LQ-1) liquidates only on E < MM.
// A profitable isolated position can so keep a negative margin: xavier is
// long 1,000 XRP @ 1.00 with margin 100 at mark 2.00 (U = 1,000, MM = 50 on
// entry); a funding of 0.1 takes up(1,000 * 2 * 0.1) = 200, M = -100, E =
// 900 >= 50: no liquidation, and Check reports the negative margin.
func TestFundingBeyondIsolatedMargin(t *testing.T) {
	s := seedBState("0")
	s.Prices["XRP"] = spec.Price{Mark: nd("2")}
	acc := s.Accounts["carol"]
	acc.WalletBalance = d("1000")
	s.Accounts["carol"] = acc
	l := mustLedger(t, s)
	effs, err := l.Apply(fundingEv("XRP", "0.1"))
	if err != nil {
		t.Fatal(err)
	}
	wantEffects(t, effs, 0,
		posting("funding:XRP", "wallet:bob", "120", "funding"),
		posting("funding:XRP", "wallet:carol", "80", "funding"),
		posting("isolated:xavier:XRP", "funding:XRP", "200", "funding"))
	var me *spec.Error
	if err := l.Check(); !errors.As(err, &me) || me.Path != "accounts.xavier.positions" {
		t.Errorf("Check = %v, want the negative isolated margin reported", err)
	}
	// An increase that leaves the margin negative (-100 + up(1 * 2 / 10) =
	// -99.8) is rejected by TRD-3.
	before := stateJSON(t, l.State())
	if _, err := l.Apply(tradeEv("XRP", "xavier", "bob", "1", "2")); !errors.As(err, &me) || me.Path != "events[1].buyer" || me.Rule != "TRD-3" {
		t.Errorf("increase = %v, want TRD-3 at events[1].buyer", err)
	}
	if stateJSON(t, l.State()) != before {
		t.Error("the failed trade changed the state")
	}
}

// TestADLTieByID: ADL-2 ties go to the ascending account id, and the
// insurance fund is a candidate (ADL-1). The fund and bob each hold short
// 500 XRP @ 1.00 with a wallet of 50; the fund's 50 cannot pay xavier's
// deficit of 100 at 0.80 (LQ-6). Both score down(0.2 * down(400 / 150)) =
// down(0.2 * 2.66666666) = 0.53333333; "@insurance" < "bob" in byte order,
// so the fund is deleveraged first. Price tickUp(0.8 + 100/1,000) = 0.9.
func TestADLTieByID(t *testing.T) {
	s := seedBState("50")
	s.InsuranceFund.Positions = []spec.Position{pos("XRP", spec.Short, "500", "1.00", spec.Cross, "", "")}
	s.Accounts["bob"] = spec.Account{WalletBalance: d("50"), Positions: []spec.Position{pos("XRP", spec.Short, "500", "1.00", spec.Cross, "", "")}}
	delete(s.Accounts, "carol")
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("XRP", "0.80")), 0,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff(spec.InsuranceAccount, "XRP", spec.Long, "500", "0.9", "xavier", "adl"),
		fillEff("xavier", "XRP", spec.Short, "500", "0.9", spec.InsuranceAccount, "adl"),
		posting("settlement", "wallet:@insurance", "50", "realized-pnl"),
		posting("isolated:xavier:XRP", "settlement", "50", "realized-pnl"),
		fillEff("bob", "XRP", spec.Long, "500", "0.9", "xavier", "adl"),
		fillEff("xavier", "XRP", spec.Short, "500", "0.9", "bob", "adl"),
		posting("settlement", "wallet:bob", "50", "realized-pnl"),
		posting("isolated:xavier:XRP", "settlement", "50", "realized-pnl"))
	wantWallet(t, l, spec.InsuranceAccount, "100")
}

// TestIsolatedADLRemainder: after an isolated ADL whose tick-rounded price
// over-absorbs the deficit, the margin left moves to the wallet. xavier:
// margin 100.5, tick 0.001, gap to 0.80: E_x = 100.5 - 200 = -99.5; price
// tickUp(0.8 + 99.5/1,000) = tickUp(0.8995) = 0.9 absorbs 100, r = -0.5.
func TestIsolatedADLRemainder(t *testing.T) {
	s := seedBState("0")
	m := s.Markets["XRP"]
	m.TickSize = d("0.001")
	s.Markets["XRP"] = m
	s.Accounts["xavier"].Positions[0].IsolatedMargin = nd("100.5")
	s.Accounts["bob"] = spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{pos("XRP", spec.Short, "1000", "1.00", spec.Cross, "", "")}}
	delete(s.Accounts, "carol")
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("XRP", "0.80")), 0,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff("bob", "XRP", spec.Long, "1000", "0.9", "xavier", "adl"),
		fillEff("xavier", "XRP", spec.Short, "1000", "0.9", "bob", "adl"),
		posting("settlement", "wallet:bob", "100", "realized-pnl"),
		posting("isolated:xavier:XRP", "settlement", "100", "realized-pnl"),
		posting("isolated:xavier:XRP", "wallet:xavier", "0.5", "margin"))
	wantWallet(t, l, "xavier", "500.5")
}

// TestCrossADLSpill: LQ-6 on a cross pool whose first (short) position
// cannot absorb the deficit: the rest r carries to the next position.
// alice (wallet 0) is short 10 A @ 1 (V 10) at mark 100 (U = -990) and long
// 10 B @ 100 at mark 1.5 (U = -985); p_A = 100, p_B = 1.5, d = 1,975, the
// fund is empty. A first: max(1, tickDown(100 - 197.5)) = 1 absorbs
// 10 * 99 = 990, r = 985; then B: tickUp(1.5 + 98.5) = 100 absorbs 985,
// r = 0. Both close at their entry values: no PnL is posted.
func TestCrossADLSpill(t *testing.T) {
	s := &spec.State{
		Markets: map[string]spec.Market{
			"A": oneTier("1", "1", "0.05", "10", spec.BasisMark),
			"B": oneTier("0.1", "1", "0.05", "10", spec.BasisMark),
		},
		Prices: map[string]spec.Price{"A": {Mark: nd("100")}, "B": {Mark: nd("1.5")}},
		Accounts: map[string]spec.Account{
			"alice": {Positions: []spec.Position{
				pos("A", spec.Short, "10", "1", spec.Cross, "", ""),
				pos("B", spec.Long, "10", "100", spec.Cross, "", "")}},
			"bob":   {WalletBalance: d("10000"), Positions: []spec.Position{pos("A", spec.Long, "10", "1", spec.Cross, "", "")}},
			"carol": {WalletBalance: d("10000"), Positions: []spec.Position{pos("B", spec.Short, "10", "100", spec.Cross, "", "")}},
		},
	}
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("A", "100")), 0,
		liqEff("alice", "A", spec.Cross),
		fillEff("alice", "A", spec.Long, "10", "1", "bob", "adl"),
		fillEff("bob", "A", spec.Short, "10", "1", "alice", "adl"),
		liqEff("alice", "B", spec.Cross),
		fillEff("carol", "B", spec.Long, "10", "100", "alice", "adl"),
		fillEff("alice", "B", spec.Short, "10", "100", "carol", "adl"))
	wantWallet(t, l, "alice", "0")
	wantWallet(t, l, spec.InsuranceAccount, "0")
}

// TestLedgerDeterminism: LED-8, the same run always produces the same
// effects and state (Go randomizes map iteration, so a dependence on it
// would show here).
func TestLedgerDeterminism(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for run := 0; run < 30; run++ {
		st := randomLedgerState(rng)
		l1, l2 := mustLedger(t, st), mustLedger(t, st)
		for k := 0; k < 40; k++ {
			e := randomEvent(rng, l1)
			eff1, err1 := l1.Apply(e)
			eff2, err2 := l2.Apply(e)
			j1, _ := json.Marshal(eff1)
			j2, _ := json.Marshal(eff2)
			if string(j1) != string(j2) || fmt.Sprint(err1) != fmt.Sprint(err2) {
				t.Fatalf("run %d event %d: %s / %v vs %s / %v", run, k, j1, err1, j2, err2)
			}
		}
		if a, b := stateJSON(t, l1.State()), stateJSON(t, l2.State()); a != b {
			t.Fatalf("run %d: states differ", run)
		}
	}
}

// TestLedgerNeverPanics: events with extreme or malformed fields return a
// *model.Error or succeed; nothing panics, no internal error, and LED-4
// holds throughout.
func TestLedgerNeverPanics(t *testing.T) {
	nasty := []string{"0", "-1", "0.000000001", "0.00000001", "1", "2.5", "100", "30000",
		"92233720368.54775807", "92233720368.54775808", "-92233720368.54775807", "1e30", "1e-30", "123456789.12345678"}
	pick := func(rng *rand.Rand) decimal.NullDecimal {
		if rng.Intn(4) == 0 {
			return decimal.NullDecimal{}
		}
		return nd(nasty[rng.Intn(len(nasty))])
	}
	oneOf := func(rng *rand.Rand, xs ...string) string { return xs[rng.Intn(len(xs))] }
	types := []spec.EventType{spec.EventDeposit, spec.EventWithdraw, spec.EventTrade, spec.EventPrice,
		spec.EventFunding, spec.EventAddMargin, spec.EventRemoveMargin, spec.EventSetLeverage,
		spec.EventSetMarginMode, "bogus", ""}
	rng := rand.New(rand.NewSource(99))
	for run := 0; run < 40; run++ {
		l := mustLedger(t, randomLedgerState(rng))
		for k := 0; k < 60; k++ {
			var e spec.Event
			if rng.Intn(2) == 0 {
				e = randomEvent(rng, l)
			} else {
				e = spec.Event{Type: types[rng.Intn(len(types))]}
				for _, f := range []*decimal.NullDecimal{&e.Amount, &e.Size, &e.Price, &e.Mark, &e.Index, &e.Last,
					&e.FundingRate, &e.SecondsToFunding, &e.BasisAverage, &e.Rate, &e.Leverage} {
					if rng.Intn(3) == 0 {
						*f = pick(rng)
					}
				}
				ids := []string{"", "a", "b", "c", "d", spec.InsuranceAccount, "zz"}
				e.Account, e.Buyer, e.Seller = oneOf(rng, ids...), oneOf(rng, ids...), oneOf(rng, ids...)
				e.Market = oneOf(rng, "", "M0", "M1", "M2")
				e.Maker = oneOf(rng, "", "", "buyer", "seller", "both")
				e.MarginMode = spec.MarginMode(oneOf(rng, "", "", "cross", "isolated", "portfolio"))
			}
			_, err := l.Apply(e)
			var me *spec.Error
			if err != nil && !errors.As(err, &me) {
				t.Fatalf("run %d event %d %+v: internal error %v", run, k, e, err)
			}
			if err := l.Check(); err != nil {
				t.Fatalf("run %d event %d: Check: %v", run, k, err)
			}
		}
	}
}

// TestADLPriceIsBankruptcyPrice: LQ-6 says that for an isolated pool the ADL
// price is its bankruptcy price (BKR-1) rounded against the trader. With the
// deficit d = -(M + s*(Q*p - V)) at the execution price p, adlPrice(p + d/Q
// for a long, p - d/Q for a short) is checked against bankruptcyPrice of
// liq.go, an independent transcription, on random isolated positions: equal
// whenever BKR reports a price; a short that BKR calls always-bankrupt
// deleverages at one tick.
func TestADLPriceIsBankruptcyPrice(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	ticks := []string{"1", "0.1", "0.01", "0.0001", "0.5"}
	compared := 0
	for i := 0; i < 3000; i++ {
		tick := apdOf(t, ticks[rng.Intn(len(ticks))])
		m := &market{tick: tick}
		s := 1 - 2*rng.Intn(2)
		q := dec(1 + rng.Int63n(1000))
		v := mul(dec(1+rng.Int63n(10000000)), unit)
		margin := mul(dec(rng.Int63n(10000000)), unit)
		mark := mul(dec(1+rng.Int63n(50000)), apdOf(t, "0.001"))
		p := executionPrice(s, mark, tick)
		d := neg(add(margin, realizedPnl(s, q, p, v)))
		if d.Sign() <= 0 {
			continue // solvent: no ADL
		}
		compared++
		got := adlPrice(s, q, p, d, tick)
		bkr := bankruptcyPrice(m, s, q, v, margin)
		switch {
		case bkr.tick != nil && got.Cmp(bkr.tick) != 0:
			t.Fatalf("s=%d Q=%s V=%s M=%s p=%s: ADL price %s, bankruptcy price %s", s, str(q), str(v), str(margin), str(p), str(got), str(bkr.tick))
		case bkr.tick == nil && (s > 0 || bkr.reason != reasonAlwaysBankrupt || got.Cmp(tick) != 0):
			t.Fatalf("s=%d Q=%s V=%s M=%s p=%s: ADL price %s, bankruptcy %q", s, str(q), str(v), str(margin), str(p), str(got), bkr.reason)
		}
	}
	if compared < 500 {
		t.Errorf("only %d bankrupt cases compared", compared)
	}
	t.Logf("%d bankrupt cases compared", compared)
}

// TestSweepAgreesWithLiquidationPrice: the ledger's sweep (LQ-1, POOL-5)
// against Evaluate's liquidation price (LIQ-4..6, solved tier by tier by
// other code). For a random position (isolated, or cross with the margin as
// its wallet), a price event at the reported
// liquidation price liquidates nothing; one tick beyond it (below for a long,
// above for a short) liquidates the position.
func TestSweepAgreesWithLiquidationPrice(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	checked := 0
	for i := 0; i < 300; i++ {
		basis := spec.BasisMark
		if rng.Intn(2) == 0 {
			basis = spec.BasisEntry
		}
		ticks := []string{"0.01", "0.1", "1", "0.0001"}
		mkt := spec.Market{TickSize: d(ticks[rng.Intn(len(ticks))]), LotSize: d("0.001"), MMBasis: basis, Tiers: randomTiers(rng)}
		ep := decimal.New(1000+rng.Int63n(10000000), -2).Div(mkt.TickSize).Floor().Mul(mkt.TickSize)
		size := decimal.New(1+rng.Int63n(100000), -3)
		side, other := spec.Long, spec.Short
		if rng.Intn(2) == 0 {
			side, other = spec.Short, spec.Long
		}
		lev := decimal.New(1+rng.Int63n(mkt.Tiers[0].MaxLeverage.IntPart()), 0)
		margin := decimal.New(rng.Int63n(1000000000), -4)
		mode, wallet := spec.Isolated, decimal.Zero
		xp := spec.Position{Market: "X", Side: side, Size: size, EntryPrice: ep, MarginMode: mode,
			Leverage: decimal.NewNullDecimal(lev), IsolatedMargin: decimal.NewNullDecimal(margin)}
		if rng.Intn(2) == 0 { // cross: the margin is the wallet
			mode, wallet = spec.Cross, margin
			xp.MarginMode, xp.IsolatedMargin = mode, decimal.NullDecimal{}
		}
		rep, err := Evaluate(&spec.Scenario{
			Markets: map[string]spec.Market{"X": mkt},
			Prices:  map[string]spec.Price{"X": {Mark: decimal.NewNullDecimal(ep)}},
			Account: spec.Account{WalletBalance: wallet, Positions: []spec.Position{xp}},
		})
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		lp := rep.Positions[0].LiquidationPrice
		if !lp.Valid {
			continue
		}
		beyond := lp.Decimal.Sub(mkt.TickSize)
		if side == spec.Short {
			beyond = lp.Decimal.Add(mkt.TickSize)
		}
		if beyond.Sign() <= 0 {
			continue
		}
		st := func() *spec.State {
			return &spec.State{
				Markets: map[string]spec.Market{"X": mkt},
				Prices:  map[string]spec.Price{"X": {Mark: decimal.NewNullDecimal(ep)}},
				Accounts: map[string]spec.Account{
					"x": {WalletBalance: wallet, Positions: []spec.Position{xp},
						Settings: map[string]spec.AccountSettings{"X": {MarginMode: mode, Leverage: decimal.NewNullDecimal(lev)}}},
					"y": {WalletBalance: d("1000000000"), Positions: []spec.Position{
						{Market: "X", Side: other, Size: size, EntryPrice: ep, MarginMode: spec.Cross}}},
				},
				InsuranceFund: spec.Account{WalletBalance: d("1000000000")},
			}
		}
		liquidatedAt := func(p decimal.Decimal) bool {
			l := mustLedger(t, st())
			for _, e := range apply(t, l, markEv("X", p.String())) {
				if e.Type == spec.EffectLiquidation && e.Account == "x" {
					return true
				}
			}
			return false
		}
		if liquidatedAt(lp.Decimal) {
			t.Fatalf("case %d: %s %s %s @ %s, margin %s: liquidated at its liquidation price %s", i, mode, side, size, ep, margin, lp.Decimal)
		}
		if !liquidatedAt(beyond) {
			t.Fatalf("case %d: %s %s %s @ %s, margin %s: not liquidated one tick beyond %s", i, mode, side, size, ep, margin, lp.Decimal)
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d positions checked", checked)
	}
	t.Logf("%d positions checked", checked)
}

// TestInsuranceExactlyEnough: LQ-5's condition is wallet:@insurance >= d, so
// a fund of exactly d = 100 pays (seed example B's gap to 0.80) and ends at 0.
func TestInsuranceExactlyEnough(t *testing.T) {
	l := mustLedger(t, seedBState("100"))
	effs := apply(t, l, markEv("XRP", "0.80"))
	wantEffects(t, effs[len(effs)-1:], 0, posting("wallet:@insurance", "isolated:xavier:XRP", "100", "insurance"))
	wantWallet(t, l, spec.InsuranceAccount, "0")
}

// TestCrossFeeRoundsEquityDown: LQ-4's cross fee cap is max(0, down(E')),
// E' exact. alice (wallet 6) is long 1 Z1 @ 100 (tick 1) and long 0.001 Z2
// @ 1 (tick 0.00001, lot 0.001); MMR 0.05, liquidationFeeRate 0.5. Z2 to
// 1.00000001 (U = 1e-11, nothing happens), then Z1 to 98.9: E = 6 - 1.1 +
// 1e-11 < MM 4.945 + 0.0000500000005; E_x = 6 - 2 + 0 >= 0 (Z2's p =
// tickDown = 1). Z1 (the larger loss) closes at 98: R = -2, E' = 4 + 1e-11,
// fee = min(49, down(E')) = 4. Still liquidatable (E = 1e-11 < MM
// 0.00005...), so Z2 closes at 1 (no PnL, E' = 0: no fee).
func TestCrossFeeRoundsEquityDown(t *testing.T) {
	z1 := oneTier("1", "1", "0.05", "10", spec.BasisMark)
	z1.LiquidationFeeRate = nd("0.5")
	z2 := oneTier("0.00001", "0.001", "0.05", "10", spec.BasisMark)
	z2.LiquidationFeeRate = nd("0.5")
	s := &spec.State{
		Markets: map[string]spec.Market{"Z1": z1, "Z2": z2},
		Prices:  map[string]spec.Price{"Z1": {Mark: nd("100")}, "Z2": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("6"), Positions: []spec.Position{
				pos("Z1", spec.Long, "1", "100", spec.Cross, "", ""),
				pos("Z2", spec.Long, "0.001", "1", spec.Cross, "", "")}},
			"bob": {WalletBalance: d("1000"), Positions: []spec.Position{
				pos("Z1", spec.Short, "1", "100", spec.Cross, "", ""),
				pos("Z2", spec.Short, "0.001", "1", spec.Cross, "", "")}},
		},
	}
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("Z2", "1.00000001")), 0)
	wantEffects(t, apply(t, l, markEv("Z1", "98.9")), 1,
		liqEff("alice", "Z1", spec.Cross),
		fillEff(spec.InsuranceAccount, "Z1", spec.Long, "1", "98", "alice", "liquidation"),
		fillEff("alice", "Z1", spec.Short, "1", "98", spec.InsuranceAccount, "liquidation"),
		posting("wallet:alice", "settlement", "2", "realized-pnl"),
		posting("wallet:alice", "wallet:@insurance", "4", "liquidation-fee"),
		liqEff("alice", "Z2", spec.Cross),
		fillEff(spec.InsuranceAccount, "Z2", spec.Long, "0.001", "1", "alice", "liquidation"),
		fillEff("alice", "Z2", spec.Short, "0.001", "1", spec.InsuranceAccount, "liquidation"))
	wantWallet(t, l, "alice", "0")
}

// TestSolvencyAtExecutionPrice: LQ-3 judges solvency at the execution price
// p (LQ-2), not at the mark. xavier (seed example B, tick 0.001, margin
// 99.8) at mark 0.9004: E = 99.8 + 900.4 - 1,000 = 0.2 >= 0, but p =
// tickDown(0.9004) = 0.9 gives E_x = -0.2: bankrupt, and the fund pays 0.2
// (LQ-5) instead of a solvent close.
func TestSolvencyAtExecutionPrice(t *testing.T) {
	s := seedBState("1000")
	m := s.Markets["XRP"]
	m.TickSize = d("0.001")
	s.Markets["XRP"] = m
	s.Accounts["xavier"].Positions[0].IsolatedMargin = nd("99.8")
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("XRP", "0.9004")), 0,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff(spec.InsuranceAccount, "XRP", spec.Long, "1000", "0.9", "xavier", "liquidation"),
		fillEff("xavier", "XRP", spec.Short, "1000", "0.9", spec.InsuranceAccount, "liquidation"),
		posting("isolated:xavier:XRP", "settlement", "100", "realized-pnl"),
		posting("wallet:@insurance", "isolated:xavier:XRP", "0.2", "insurance"))
	wantWallet(t, l, "xavier", "500")
}

// TestSweepRepeatsPasses: LQ-1 repeats whole passes. alice (visited first)
// is healthy when the pass reaches her: cross wallet 200, short 1,000 XRP @
// 0.85 and long 10 Z @ 100 at mark 85; at XRP 0.80 her E = 200 + 50 - 150 =
// 100 >= MM 42.5 + 42.5. Then xavier's isolated long (seed example B, empty
// fund) is deleveraged against her short at 0.90: she realizes -50, E = 0 <
// MM 42.5, and the second pass liquidates her Z long (E_x = 0: solvent, no
// fee rate).
func TestSweepRepeatsPasses(t *testing.T) {
	s := seedBState("0")
	s.Markets["Z"] = oneTier("1", "1", "0.05", "10", spec.BasisMark)
	s.Prices["Z"] = spec.Price{Mark: nd("85")}
	s.Accounts["alice"] = spec.Account{WalletBalance: d("200"), Positions: []spec.Position{
		pos("XRP", spec.Short, "1000", "0.85", spec.Cross, "", ""),
		pos("Z", spec.Long, "10", "100", spec.Cross, "", "")}}
	s.Accounts["bob"] = spec.Account{WalletBalance: d("10000"), Positions: []spec.Position{pos("Z", spec.Short, "10", "100", spec.Cross, "", "")}}
	delete(s.Accounts, "carol")
	l := mustLedger(t, s)
	wantEffects(t, apply(t, l, markEv("XRP", "0.80")), 0,
		liqEff("xavier", "XRP", spec.Isolated),
		fillEff("alice", "XRP", spec.Long, "1000", "0.9", "xavier", "adl"),
		fillEff("xavier", "XRP", spec.Short, "1000", "0.9", "alice", "adl"),
		posting("wallet:alice", "settlement", "50", "realized-pnl"),
		posting("isolated:xavier:XRP", "settlement", "100", "realized-pnl"),
		liqEff("alice", "Z", spec.Cross),
		fillEff(spec.InsuranceAccount, "Z", spec.Long, "10", "85", "alice", "liquidation"),
		fillEff("alice", "Z", spec.Short, "10", "85", spec.InsuranceAccount, "liquidation"),
		posting("wallet:alice", "settlement", "150", "realized-pnl"))
	wantWallet(t, l, "alice", "0")
}
