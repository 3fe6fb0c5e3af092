package model

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestLedgerRandom applies random event sequences (deposits, withdrawals,
// trades, price moves including gaps, funding, margin and settings changes,
// and some malformed events) and, through the harness, asserts after every
// event: LED-4 (Check), that the effects replay exactly to the new state,
// that a rejected event changes nothing (LED-7), and that the state
// round-trips through NewLedger. LEDGER_N and LEDGER_SEED select other runs.
func TestLedgerRandom(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	if v := os.Getenv("LEDGER_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	seed := uint64(1)
	if v := os.Getenv("LEDGER_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	stats := map[string]int{}
	for i := 0; i < n; i++ {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		randomRun(t, r, stats)
		if t.Failed() {
			t.Fatalf("sequence %d (seed %d)", i, seed)
		}
	}
	t.Logf("%v", stats)
	for _, k := range []string{"ok:trade", "err:trade", "liq:cross", "liq:isolated", "adl", "insurance", "ok:withdraw", "ok:removeMargin", "ok:addMargin"} {
		if stats[k] == 0 && n >= 300 {
			t.Errorf("the generator never produced %s", k)
		}
	}
}

var debugRandom = os.Getenv("LEDGER_DEBUG") != ""

var randMarkets = []string{"AAA", "BBB"}

func randomState(r *rand.Rand) *spec.State {
	aaa := mkt("0.01", "0.1", spec.BasisMark, []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("50")},
		{MinNotional: d("50000"), MaxNotional: d("1000000"), MaintenanceMarginRate: d("0.025"), MaxLeverage: d("20")},
	})
	aaa.TakerFeeRate, aaa.MakerFeeRate = nd("0.0005"), nd("0.0002")
	aaa.LiquidationFeeRate = nd("0.005")
	bbb := mkt("0.5", "0.001", spec.BasisEntry, oneTier("0.05", "10"))
	bbb.TakerFeeRate = nd("0.001")
	bbb.LiquidationFeeRate = nd("0.01")
	bbb.FundingRateCap = nd("0.002")
	aaa, bbb = randMarginRates(r, aaa, bbb)
	st := &spec.State{
		Markets:  map[string]spec.Market{"AAA": aaa, "BBB": bbb},
		Prices:   map[string]spec.Price{"AAA": {Mark: nd("100")}, "BBB": {Mark: nd("2000")}},
		Accounts: map[string]spec.Account{},
	}
	for i := 1; i <= 4; i++ {
		a := spec.Account{WalletBalance: decimal.NewFromInt(int64(r.IntN(5000)))}
		if r.IntN(2) == 0 {
			a.Settings = map[string]spec.AccountSettings{}
			for _, m := range randMarkets {
				if r.IntN(2) == 0 {
					s := spec.AccountSettings{}
					if r.IntN(2) == 0 {
						s.MarginMode = spec.Isolated
					}
					if r.IntN(2) == 0 {
						s.Leverage = nd(strconv.Itoa(1 + r.IntN(10)))
					}
					a.Settings[m] = s
				}
			}
		}
		st.Accounts["a"+strconv.Itoa(i)] = a
	}
	if r.IntN(2) == 0 {
		addRandomPositions(r, st)
	}
	if r.IntN(3) > 0 {
		st.InsuranceFund.WalletBalance = decimal.NewFromInt(int64(r.IntN(3000)))
	}
	return st
}

// randMarginRates draws the margin rates of randomState's markets (SPEC
// TIER-3, TIER-5): one time in three each the given rates, TIER-3:
// half-initial or explicit initial margin rates. The given rates of AAA and
// BBB are already 1/(2 maxLeverage), so half-initial also changes the
// leverages: AAA 30x then 15x (MMR 1/60, 1/30, cum_2 = 50,000/60 =
// 833.33..., off the grid), BBB 12x (MMR 1/24); D = 120. The explicit rates
// bind where a chosen leverage exceeds a tier's maximum (a single-tier
// market's never does, POS-4): AAA's tier 2 starts at 1,000 and is 5x with
// IMR 0.19 (< 1/5), so a leverage of 10 asks 0.19 where the default rule
// asks 1/5; tier 1 IMR 0.015, BBB IMR 0.08.
func randMarginRates(r *rand.Rand, aaa, bbb spec.Market) (spec.Market, spec.Market) {
	rate := func(s string) *decimal.Decimal { v := d(s); return &v }
	switch r.IntN(3) {
	case 1:
		for _, m := range []*spec.Market{&aaa, &bbb} {
			m.Variants = &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial}
			m.Tiers = slices.Clone(m.Tiers)
		}
		aaa.Tiers[0].MaxLeverage, aaa.Tiers[1].MaxLeverage = d("30"), d("15")
		bbb.Tiers[0].MaxLeverage = d("12")
	case 2:
		aaa.Tiers, bbb.Tiers = slices.Clone(aaa.Tiers), slices.Clone(bbb.Tiers)
		aaa.Tiers[0].MaxNotional, aaa.Tiers[1].MinNotional, aaa.Tiers[1].MaxLeverage = d("1000"), d("1000"), d("5")
		aaa.Tiers[0].InitialMarginRate, aaa.Tiers[1].InitialMarginRate = rate("0.015"), rate("0.19")
		bbb.Tiers[0].InitialMarginRate = rate("0.08")
	}
	return aaa, bbb
}

// marginRatesOf names the margin rates of a generated state's markets:
// "half-initial", "explicit-imr" or "given".
func marginRatesOf(st *spec.State) string {
	for _, m := range st.Markets {
		if m.Variants != nil && m.Variants.MaintenanceRate == spec.MaintenanceRateHalfInitial {
			return "half-initial"
		}
		if len(m.Tiers) > 0 && m.Tiers[0].InitialMarginRate != nil {
			return "explicit-imr"
		}
	}
	return "given"
}

func randomRun(t *testing.T, r *rand.Rand, stats map[string]int) {
	st, extreme := genStart(r)
	h := newHarness(t, st)
	genEvents(h, r, stats, extreme)
}

// genEvents drives h with 40 random events chosen from its current state.
func genEvents(h *harness, r *rand.Rand, stats map[string]int, extreme bool) {
	t := h.t
	ids := []string{"a1", "a2", "a3", "a4", spec.InsuranceAccount}
	acct := func() string {
		if r.IntN(10) == 0 {
			return spec.InsuranceAccount
		}
		return ids[r.IntN(4)]
	}
	lots := map[string]decimal.Decimal{}
	ticks := map[string]decimal.Decimal{}
	var names []string
	for _, mk := range h.l.markets {
		names = append(names, mk.name)
		lots[mk.name], ticks[mk.name] = Fixed(mk.lot).Decimal(), Fixed(mk.tick).Decimal()
	}
	onGrid := func(x, k decimal.Decimal) decimal.Decimal {
		v := x.Div(k).Floor().Mul(k)
		if !v.IsPositive() {
			return k
		}
		return v
	}
	mark := func(m string) decimal.Decimal { return Fixed(h.l.marks[h.l.mindex[m]]).Decimal() }
	amount := func() decimal.Decimal {
		if extreme {
			return decimal.New(1+r.Int64N(9_000_000_000_000_000_000), int32(-8-r.IntN(8)))
		}
		return decimal.New(int64(1+r.IntN(200000)), -2)
	}
	for e := 0; e < 40; e++ {
		m := names[r.IntN(len(names))]
		var ev spec.Event
		switch k := r.IntN(20); {
		case k < 2:
			ev = evDeposit(acct(), amount().String())
		case k < 4:
			ev = evWithdraw(acct(), amount().String())
		case k < 11:
			b, s := acct(), acct()
			size := lots[m].Mul(decimal.NewFromInt(int64(1 + r.IntN(300))))
			if m == "BBB" {
				size = lots[m].Mul(decimal.NewFromInt(int64(1 + r.IntN(3000))))
			}
			if extreme {
				size = lots[m].Mul(decimal.NewFromInt(1 + r.Int64N(1<<uint(r.IntN(40)))))
			}
			px := onGrid(mark(m).Mul(decimal.New(int64(95+r.IntN(11)), -2)), ticks[m])
			ev = evTrade(m, b, s, size.String(), px.String())
			if r.IntN(3) == 0 {
				ev.Maker = "buyer"
			}
		case k < 15:
			f := int64(85 + r.IntN(31))
			if r.IntN(6) == 0 {
				f = int64(50 + r.IntN(100)) // a gap
			}
			if extreme && r.IntN(2) == 0 {
				f = int64(1 + r.IntN(10000))
			}
			px := onGrid(mark(m).Mul(decimal.New(f, -2)), d("0.00000001"))
			ev = evMark(m, px.String())
			if r.IntN(5) == 0 {
				ev = spec.Event{Type: spec.EventPrice, Market: m, Index: nd(px.String()), Last: nd(px.Mul(d("1.01")).Round(8).String()),
					FundingRate: nd("0.0001"), SecondsToFunding: nd("3600")}
			}
		case k < 16:
			ev = evFunding(m, decimal.New(int64(r.IntN(4001)-2000), -6).String())
			if extreme {
				ev = evFunding(m, decimal.New(int64(r.IntN(1_800_001)-900_000), -6).String())
			}
		case k < 17:
			ev = spec.Event{Type: spec.EventSetLeverage, Account: acct(), Market: m, Leverage: nd(strconv.Itoa(1 + r.IntN(12)))}
		case k < 18:
			mode := spec.Cross
			if r.IntN(2) == 0 {
				mode = spec.Isolated
			}
			ev = spec.Event{Type: spec.EventSetMarginMode, Account: acct(), Market: m, MarginMode: mode}
		case k < 19:
			typ := spec.EventAddMargin
			if r.IntN(2) == 0 {
				typ = spec.EventRemoveMargin
			}
			a, mm := acct(), m
			// Mostly an account with an isolated position.
			for _, id := range ids[:4] {
				for _, p := range h.acct(id).Positions {
					if p.MarginMode == spec.Isolated && r.IntN(2) == 0 {
						a, mm = id, p.Market
					}
				}
			}
			ev = spec.Event{Type: typ, Account: a, Market: mm, Amount: nd(decimal.New(int64(1+r.IntN(5000)), -2).String())}
			if extreme {
				ev.Amount = nd(amount().String())
			}
		default:
			// Malformed events.
			switch r.IntN(9) {
			case 5:
				ev = evTrade(m, "a1", "a2", "0.000000001", "1")
			case 6:
				ev = spec.Event{Type: spec.EventPrice, Market: m, Mark: nd("1"), Rate: nd("1")}
			case 7:
				ev = spec.Event{Type: spec.EventWithdraw, Account: "a2", Amount: nd("100000000000")}
			case 8:
				ev = spec.Event{Type: spec.EventSetLeverage, Account: "a3", Market: m, Leverage: nd("0.5")}
			case 0:
				ev = spec.Event{Type: "bogus"}
			case 1:
				ev = evDeposit("nobody", "1")
			case 2:
				ev = evTrade(m, "a1", "a1", "1", "1")
			case 3:
				ev = evDeposit("a1", "0.000000001")
			default:
				ev = spec.Event{Type: spec.EventFunding, Market: m, Rate: nd("0.1"), Account: "a1"}
			}
		}
		if debugRandom {
			t.Logf("event %d: %s", e, mustJSON(t, ev))
		}
		effs, err := h.apply(ev)
		if debugRandom {
			t.Logf("  err %v effects %v", err, effStr(effs))
		}
		if t.Failed() {
			return
		}
		if err != nil {
			stats["err:"+string(ev.Type)]++
			continue
		}
		stats["ok:"+string(ev.Type)]++
		for _, f := range effs {
			switch {
			case f.Type == spec.EffectLiquidation:
				stats["liq:"+string(f.Pool)]++
			case f.Kind == "adl":
				stats["adl"]++
			case f.Reason == "insurance":
				stats["insurance"]++
			}
		}
	}
}

// genLedgerRun generates the random run number i of a seed, driven by this
// package's ledger (no checks): the state and the 40 events.
func genLedgerRun(t *testing.T, seed, i uint64) *spec.Run {
	r := rand.New(rand.NewPCG(seed, i))
	st, extreme := genStart(r)
	l, err := NewLedger(st)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{t: t, l: l}
	genEvents(&harness{t: t, l: l, rec: rec}, r, map[string]int{}, extreme)
	return &spec.Run{State: *st, Events: rec.events}
}

// addRandomPositions opens balanced positions in the initial state: per
// market, random signed sizes for the traders and the opposite of their sum
// for the insurance fund, entry prices near the mark (sometimes given as an
// entryValue), isolated where the settings say so (margin defaulted or
// given).
func addRandomPositions(r *rand.Rand, st *spec.State) {
	lots := map[string]int64{"AAA": 10_000_000, "BBB": 100_000}
	marks := map[string]int64{"AAA": 100 * Scale, "BBB": 2000 * Scale}
	for _, m := range randMarkets {
		var sum int64
		add := func(id string, q int64) {
			if q == 0 {
				return
			}
			a := st.Accounts[id]
			if id == spec.InsuranceAccount {
				a = st.InsuranceFund
			}
			side := spec.Long
			if q < 0 {
				side, q = spec.Short, -q
			}
			// entry price on a 1e-5 grid: size*entry is on the 1e-8 grid.
			e := marks[m] * int64(90+r.IntN(21)) / 100 / 1000 * 1000
			p := spec.Position{Market: m, Side: side, Size: Fixed(q).Decimal(), MarginMode: spec.Cross}
			v := wideMulDiv(q, e)
			if r.IntN(3) == 0 {
				p.EntryValue = nullDec(Fixed(v))
			} else {
				p.EntryPrice = Fixed(e).Decimal()
			}
			if s, ok := a.Settings[m]; ok {
				if s.MarginMode == spec.Isolated {
					p.MarginMode = spec.Isolated
					if r.IntN(2) == 0 {
						p.IsolatedMargin = nullDec(Fixed(v / int64(2+r.IntN(8))))
					}
				}
				p.Leverage = s.Leverage
			}
			a.Positions = append(a.Positions, p)
			if id == spec.InsuranceAccount {
				st.InsuranceFund = a
			} else {
				st.Accounts[id] = a
			}
		}
		for i := 1; i <= 4; i++ {
			if r.IntN(3) == 0 {
				continue
			}
			q := lots[m] * int64(1+r.IntN(200)) * int64(1-2*r.IntN(2))
			sum += q
			add("a"+strconv.Itoa(i), q)
		}
		add(spec.InsuranceAccount, -sum)
	}
}

// wideMulDiv returns q*e/1e8 for units q, e (exact by construction).
func wideMulDiv(q, e int64) int64 { return q / 100000 * (e / 1000) }

// extremeState has markets at the ends of the grid (tick 1e-8 with lot 1,
// tick 1000 with lot 1e-8) and balances up to MAX, for the NUM-2 paths.
func extremeState(r *rand.Rand) *spec.State {
	big := d("90000000000")
	ccc := mkt("0.00000001", "1", spec.BasisMark, []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("1000"), MaintenanceMarginRate: d("0.05"), MaxLeverage: d("10")},
		{MinNotional: d("1000"), MaxNotional: big, MaintenanceMarginRate: d("0.1"), MaxLeverage: d("5")},
	})
	ccc.LiquidationFeeRate = nd("0.5")
	ddd := mkt("1000", "0.00000001", spec.BasisEntry, oneTier("0.2", "5"))
	ddd.TakerFeeRate, ddd.MakerFeeRate = nd("0.1"), nd("0.00000001")
	ddd.FundingRateCap = nd("0.5")
	st := &spec.State{
		Markets:  map[string]spec.Market{"CCC": ccc, "DDD": ddd},
		Prices:   map[string]spec.Price{"CCC": {Mark: nd("0.00012345")}, "DDD": {Mark: nd("50000000")}},
		Accounts: map[string]spec.Account{},
	}
	for i := 1; i <= 4; i++ {
		a := spec.Account{WalletBalance: decimal.New(r.Int64N(9_000_000_000_000_000_000), -8)}
		if r.IntN(2) == 0 {
			a.Settings = map[string]spec.AccountSettings{"CCC": {MarginMode: spec.Isolated}, "DDD": {Leverage: nd("1")}}
		}
		st.Accounts["a"+strconv.Itoa(i)] = a
	}
	st.InsuranceFund.WalletBalance = decimal.New(r.Int64N(9_000_000_000_000_000_000), int32(-8-r.IntN(12))).Truncate(8)
	return st
}

// genStart draws a start state: an ordinary one, or one time in four an
// extreme one.
func genStart(r *rand.Rand) (*spec.State, bool) {
	if r.IntN(4) == 0 {
		return extremeState(r), true
	}
	return randomState(r), false
}
