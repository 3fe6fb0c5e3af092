package fuzz

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// ledgerAccounts are the trader ids of decoded ledger states.
var ledgerAccounts = []string{"a", "b", "c"}

func ldFix(raw int64) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.New(raw, -8)) }

// decodeLedger turns fuzzer bytes into a ledger state and a sequence of events
// (SPEC LED-5): two markets (Binance-like brackets on BTC, a one-tier entry-basis
// XRP), an insurance fund that is sometimes empty (so ADL runs), when the first
// byte is 3 or more the markets' rule variants (decodeLedgerVariants; a first
// byte of 0..2, as every input before SPEC VAR had in its seeds, selects none),
// three funded accounts, then up to 32 events whose fields are drawn near the current marks, at
// tick/lot multiples, and sometimes invalid. Every input decodes.
func decodeLedger(data []byte) (*spec.State, []spec.Event) {
	r := &reader{b: data}
	d := decimal.RequireFromString
	tiers := binanceBTCTiers()
	flat := []spec.Tier{{MinNotional: d("0"), MaxNotional: d("10000000"), MaintenanceMarginRate: d("0.05"), MaxLeverage: d("10")}}
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }
	st := &spec.State{
		Markets: map[string]spec.Market{
			"BTC": {TickSize: d("0.1"), LotSize: d("0.001"), Tiers: tiers, LiquidationFeeRate: nd("0.0125"),
				TakerFeeRate: nd("0.0005"), MakerFeeRate: nd("0.0002"), FundingRateCap: nd("0.003")},
			"XRP": {TickSize: d("0.0001"), LotSize: d("1"), Tiers: flat, MMBasis: spec.BasisEntry, LiquidationFeeRate: nd("0.01")},
		},
		Prices:   map[string]spec.Price{"BTC": {Mark: nd("60000")}, "XRP": {Mark: nd("1")}},
		Accounts: map[string]spec.Account{},
	}
	b0 := r.u8()
	fund := []int64{0, 100, 1_000_000}[int(b0)%3]
	st.InsuranceFund = spec.Account{WalletBalance: decimal.New(fund, 0)}
	if b0 >= 3 {
		decodeLedgerVariants(r, st)
	}
	for _, id := range ledgerAccounts {
		st.Accounts[id] = spec.Account{WalletBalance: decimal.New(100+int64(r.u16()), 0)}
	}
	marks := map[string]int64{"BTC": 60000 * one, "XRP": one}
	ticks := map[string]int64{"BTC": one / 10, "XRP": one / 10000}
	lots := map[string]int64{"BTC": one / 1000, "XRP": one}
	var events []spec.Event
	for len(events) < 32 && r.i < len(r.b) {
		m := []string{"BTC", "XRP"}[r.u8()%2]
		acct := ledgerAccounts[int(r.u8())%len(ledgerAccounts)]
		switch r.u8() % 10 {
		case 0:
			events = append(events, spec.Event{Type: spec.EventDeposit, Account: acct, Amount: ldFix(int64(r.u16()) * one)})
		case 1:
			events = append(events, spec.Event{Type: spec.EventWithdraw, Account: acct, Amount: ldFix(int64(r.u16()) * one / 10)})
		case 2, 3, 4:
			others := append(append([]string(nil), ledgerAccounts...), spec.InsuranceAccount)
			seller := others[int(r.u8())%len(others)]
			size := (1 + int64(r.u8())) * lots[m]
			// A price within +-12.7% of the mark, on the tick grid.
			p := marks[m] + marks[m]*int64(int8(r.u8()))/1000
			p -= p % ticks[m]
			if p <= 0 {
				p = ticks[m]
			}
			maker := []string{"", "buyer", "seller"}[r.u8()%3]
			events = append(events, spec.Event{Type: spec.EventTrade, Market: m, Buyer: acct, Seller: seller,
				Size: ldFix(size), Price: ldFix(p), Maker: maker})
		case 5, 6:
			// A mark move of up to +-50%, sometimes to zero or a gap.
			p := marks[m] + marks[m]*int64(int8(r.u8()))/256
			if p > 0 {
				marks[m] = p
			}
			events = append(events, spec.Event{Type: spec.EventPrice, Market: m, Mark: ldFix(p)})
		case 7:
			events = append(events, spec.Event{Type: spec.EventFunding, Market: m, Rate: ldFix(int64(int8(r.u8())) * 1000)})
		case 8:
			amt := ldFix(int64(r.u16()) * one / 100)
			if r.u8()%2 == 0 {
				events = append(events, spec.Event{Type: spec.EventAddMargin, Account: acct, Market: m, Amount: amt})
			} else {
				events = append(events, spec.Event{Type: spec.EventRemoveMargin, Account: acct, Market: m, Amount: amt})
			}
		default:
			if r.u8()%2 == 0 {
				events = append(events, spec.Event{Type: spec.EventSetLeverage, Account: acct, Market: m, Leverage: ldFix((1 + int64(r.u8()%30)) * one)})
			} else {
				mode := []spec.MarginMode{spec.Cross, spec.Isolated, "bogus"}[r.u8()%3]
				events = append(events, spec.Event{Type: spec.EventSetMarginMode, Account: acct, Market: m, MarginMode: mode})
			}
		}
	}
	return st, events
}

// decodeLedgerVariants reads the rule variants (SPEC VAR) of the decoded
// state's markets: for each market in name order and each choice of
// spec.VariantChoices one byte picks a name (the default included), then the
// parameters the picks need: liquidatorShare (a byte / 255, exact to 1e-8
// after rounding down) and fundingCapFactor (1 to 4). One trigger for all
// markets (VAR-1: the first market's). The tables follow the picks as the
// query decoder's do (decodeVariants): flat zeroes given maintenance
// amounts (TIER-6 under flat); half-initial drops them (its deduction is
// derived) and floors maxLeverage. A last byte per market with bit 1 set
// gives the table explicit initial margin rates (gen.WithExplicitIMR at the
// position of its next byte), except under half-initial (TIER-3).
func decodeLedgerVariants(r *reader, st *spec.State) {
	trigger := ""
	for _, name := range []string{"BTC", "XRP"} {
		m := st.Markets[name]
		v := &spec.Variants{}
		for _, c := range spec.VariantChoices() {
			pick := c.Names[int(r.u8())%len(c.Names)]
			if c.Key == "trigger" {
				if trigger == "" {
					trigger = pick
				}
				pick = trigger
			}
			v.Set(c.Key, pick)
		}
		if v.IsolatedLeftover == spec.LeftoverLiquidatorSplit {
			v.LiquidatorShare = decimal.NewNullDecimal(decimal.NewFromInt(int64(r.u8())).DivRound(decimal.NewFromInt(255), 8))
		}
		if v.FundingCap == spec.FundingCapMarginLinked {
			v.FundingCapFactor = decimal.NewNullDecimal(decimal.NewFromInt(1 + int64(r.u8()%4)))
		}
		m.Tiers = append([]spec.Tier(nil), m.Tiers...)
		for i := range m.Tiers {
			t := &m.Tiers[i]
			if v.TierSchedule == spec.TierScheduleFlat && t.MaintenanceAmount.Valid {
				t.MaintenanceAmount = decimal.NewNullDecimal(decimal.Zero)
			}
			if v.MaintenanceRate == spec.MaintenanceRateHalfInitial {
				t.MaxLeverage = t.MaxLeverage.Floor()
				if v.TierSchedule != spec.TierScheduleFlat {
					t.MaintenanceAmount = decimal.NullDecimal{}
				}
			}
		}
		if r.u8()&1 == 1 && v.MaintenanceRate != spec.MaintenanceRateHalfInitial { // not defined together (TIER-3)
			m.Tiers = gen.WithExplicitIMR(m.Tiers, int(r.u8()%5))
		}
		m.Variants = v
		st.Markets[name] = m
	}
}

// binanceBTCTiers returns the real Binance BTCUSDT brackets of October 2024
// shipped in the venue package (research notes §1.3(a)), rather than a copy.
func binanceBTCTiers() []spec.Tier {
	m, err := venue.Lookup("binance@2024-10-01", "BTCUSDT")
	if err != nil {
		panic(err) // the profile is embedded in the binary; its absence is a build defect
	}
	return m.Tiers
}

// ledger is what the ledger check needs of an implementation: model.Ledger
// and reference.Ledger both are one.
type ledger interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() *spec.State
	Check() error
}

// checkLedger is the check of the LedgerDifferential target: it decodes
// data with decodeLedger and applies the events to model.Ledger and to the
// ledger newRef makes (the reference's; the mutant test injects bugs).
// Neither constructor may modify the state it is given (as EVAL-1 for a
// scenario). After every event both must agree on whether it is rejected (and on
// Path and Rule), produce the same effects and states (spec.Diff), and pass
// their LED-4 checks (SPEC LED, TRD, FND, LQ, ADL).
func checkLedger(data []byte, newRef func(*spec.State) (ledger, error)) error {
	if len(data) > maxInput {
		return nil
	}
	st, events := decodeLedger(data)
	before := st.Clone()
	ml, merr := model.NewLedger(st)
	if d := spec.DiffExact(st, before); d != nil {
		return fmt.Errorf("model.NewLedger modified its state: %s", strings.Join(d, "; "))
	}
	rl, rerr := newRef(st)
	if d := spec.DiffExact(st, before); d != nil {
		return fmt.Errorf("the reference's NewLedger modified its state: %s", strings.Join(d, "; "))
	}
	if err := compareErrors(merr, rerr); err != nil {
		return fmt.Errorf("NewLedger: %w", err)
	}
	if merr != nil {
		return nil
	}
	for k, ev := range events {
		meff, merr := ml.Apply(ev)
		reff, rerr := rl.Apply(ev)
		if err := compareErrors(merr, rerr); err != nil {
			return fmt.Errorf("event %d (%s): %w", k, ev.Type, err)
		}
		if d := spec.Diff(meff, reff); d != nil {
			return fmt.Errorf("event %d (%s): effects (model vs reference): %s", k, ev.Type, strings.Join(d, "; "))
		}
		if d := spec.Diff(ml.State(), rl.State()); d != nil {
			return fmt.Errorf("event %d (%s): states (model vs reference): %s", k, ev.Type, strings.Join(d, "; "))
		}
		if err := ml.Check(); err != nil {
			return fmt.Errorf("event %d (%s): model LED-4: %v", k, ev.Type, err)
		}
		if err := rl.Check(); err != nil {
			return fmt.Errorf("event %d (%s): reference LED-4: %v", k, ev.Type, err)
		}
	}
	return nil
}

// newReferenceLedger is the reference ledger as a ledger (nil on error, so
// that no typed nil escapes).
func newReferenceLedger(st *spec.State) (ledger, error) {
	l, err := reference.NewLedger(st)
	if err != nil {
		return nil, err
	}
	return l, nil
}
