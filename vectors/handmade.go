package vectors

import (
	"maps"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// This file holds the hand-made cases: error paths and edges the
// generators do not reach, written on a small base scenario.

// baseScenario is a valid scenario with two markets (three and two tiers),
// a cross long and an isolated short with a defaulted margin.
func baseScenario() *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{
			"BTCUSDT": {TickSize: d("0.1"), LotSize: d("0.001"), Tiers: []spec.Tier{
				{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")},
				{MinNotional: d("50000"), MaxNotional: d("250000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")},
				{MinNotional: d("250000"), MaxNotional: d("1000000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("50")},
			}},
			"ETHUSDT": {TickSize: d("0.01"), LotSize: d("0.001"), Tiers: []spec.Tier{
				{MinNotional: d("0"), MaxNotional: d("100000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")},
				{MinNotional: d("100000"), MaxNotional: d("1000000000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("50")},
			}},
		},
		Prices: map[string]spec.Price{
			"BTCUSDT": {Mark: nd("60000")},
			"ETHUSDT": {Mark: nd("3000")},
		},
		Account: spec.Account{WalletBalance: d("10000"), Positions: []spec.Position{
			{Market: "BTCUSDT", Side: spec.Long, Size: d("0.5"), EntryPrice: d("59000"), MarginMode: spec.Cross, Leverage: nd("20")},
			{Market: "ETHUSDT", Side: spec.Short, Size: d("2"), EntryPrice: d("3100"), MarginMode: spec.Isolated, Leverage: nd("10")},
		}},
	}
}

// variant returns the base scenario changed by f.
func variant(f func(s *spec.Scenario)) *spec.Scenario {
	s := baseScenario()
	f(s)
	return s
}

// market changes market name of s by f.
func market(s *spec.Scenario, name string, f func(m *spec.Market)) {
	m := s.Markets[name]
	m.Tiers = slices.Clone(m.Tiers)
	f(&m)
	s.Markets[name] = m
}

func hand(comment string, f func(s *spec.Scenario), rules ...string) qcase {
	return qcase{s: variant(f), comment: comment, flags: []string{"hand-made"}, rules: rules}
}

// markCases are computed marks with and without the band.
func markCases() []qcase {
	computed := func(p spec.Price) func(s *spec.Scenario) {
		return func(s *spec.Scenario) { s.Prices["BTCUSDT"] = p }
	}
	return []qcase{
		hand("computed mark: the median of index plus funding basis, index plus basis average, and last", computed(spec.Price{Index: nd("60010"), Last: nd("60100"), FundingRate: nd("0.0001"), SecondsToFunding: nd("14400"), BasisAverage: nd("12.5")})),
		hand("computed mark with only index and last: funding rate, time to funding and basis average default to 0 (MARK-2)", computed(spec.Price{Index: nd("60000"), Last: nd("61000")})),
		hand("computed mark off the 1e-8 grid, rounded down (MARK-4)", computed(spec.Price{Index: nd("60000.123"), Last: nd("70000"), FundingRate: nd("0.00001234"), SecondsToFunding: nd("3333")})),
		hand("computed mark clamped up to index*(1-band) (MARK-3)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.MarkPriceBand = nd("0.005") })
			s.Prices["BTCUSDT"] = spec.Price{Index: nd("60000"), Last: nd("50000"), BasisAverage: nd("-5000")}
		}),
		hand("computed mark clamped down to index*(1+band) (MARK-3)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.MarkPriceBand = nd("0.005") })
			s.Prices["BTCUSDT"] = spec.Price{Index: nd("60000"), Last: nd("70000"), BasisAverage: nd("5000")}
		}),
		hand("computed mark with a 4-hour funding interval (MARK-2's H)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.FundingIntervalHours = nd("4") })
			s.Prices["BTCUSDT"] = spec.Price{Index: nd("60000"), Last: nd("62000"), FundingRate: nd("0.003"), SecondsToFunding: nd("7200"), BasisAverage: nd("2000")}
		}, "MKT-5"),
		hand("computed mark with a negative funding rate and basis", computed(spec.Price{Index: nd("60000"), Last: nd("59000"), FundingRate: nd("-0.0075"), SecondsToFunding: nd("28800"), BasisAverage: nd("-700")})),
	}
}

// roundingCases are quantities off the 1e-8 grid, rounded by NUM-4.
func roundingCases() []qcase {
	tiny := func(s *spec.Scenario) {
		market(s, "ETHUSDT", func(m *spec.Market) { m.TickSize, m.LotSize = d("0.00000001"), d("0.00000001") })
		s.Prices["ETHUSDT"] = spec.Price{Mark: nd("2999.99999999")}
	}
	return []qcase{
		hand("a size and prices on the 1e-8 grid whose products are not: notional and PnL rounded down, margins up (NUM-4)", func(s *spec.Scenario) {
			tiny(s)
			s.Account.Positions[1].Size = d("0.33333333")
			s.Account.Positions[1].EntryPrice = d("3333.33333333")
		}),
		hand("an isolated margin defaulted to up(Q*EP/leverage) off the grid (POS-5)", func(s *spec.Scenario) {
			tiny(s)
			s.Account.Positions[1].Size = d("0.00000007")
			s.Account.Positions[1].Leverage = nd("3")
		}),
		hand("a one-unit position: every quantity rounds at the last digit", func(s *spec.Scenario) {
			tiny(s)
			s.Account.Positions[1].Size = d("0.00000001")
			s.Account.Positions[1].EntryPrice = d("0.00000001")
		}),
		hand("an entry value instead of an entry price, not a multiple of the size", func(s *spec.Scenario) {
			s.Account.Positions[0].EntryPrice = d("0")
			s.Account.Positions[0].EntryValue = nd("29500.00000001")
		}),
		hand("a leverage of 3 on a notional that does not divide: IM rounded up (QTY-4)", func(s *spec.Scenario) {
			s.Account.Positions[0].Leverage = nd("3")
		}),
		hand("a leverage above the tier's maximum is capped (QTY-3), not an error", func(s *spec.Scenario) {
			s.Account.Positions[0].Size = d("10")
			s.Account.Positions[0].Leverage = nd("125")
		}, "QTY-3", "TIER-7"),
		hand("the maintenance amounts given, equal to the recursion (TIER-6)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) {
				m.Tiers[0].MaintenanceAmount = nd("0")
				m.Tiers[1].MaintenanceAmount = nd("50")
				m.Tiers[2].MaintenanceAmount = nd("1300")
			})
		}, "TIER-6"),
		hand("margin modes restricted to cross and isolated explicitly (MKT-4)", func(s *spec.Scenario) {
			market(s, "ETHUSDT", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{spec.Isolated, spec.Cross} })
		}, "MKT-4"),
		hand("a short at 1x with a small wallet: no bankruptcy below zero, liquidation price present", func(s *spec.Scenario) {
			s.Account.Positions = s.Account.Positions[:1]
			s.Account.Positions[0].Side = spec.Short
			s.Account.WalletBalance = d("0")
		}),
		hand("a long at 1x: never liquidatable (LIQ-3), never bankrupt (BKR-2)", func(s *spec.Scenario) {
			s.Account.Positions = s.Account.Positions[:1]
			s.Account.WalletBalance = d("40000")
		}),
		hand("an empty account: only the cross pool is reported (POOL-1)", func(s *spec.Scenario) {
			s.Account.Positions = nil
		}),
	}
}

// errorCases are invalid scenarios for the error paths gen.Corrupted does
// not reach.
func errorCases() []qcase {
	var out []qcase
	sw := func(field, value string, set func(m *spec.Market)) {
		out = append(out, hand("markets.BTCUSDT."+field+" = "+value+" (MKT-5)", func(s *spec.Scenario) { market(s, "BTCUSDT", set) }))
	}
	sw("liquidationFeeRate", "-0.01", func(m *spec.Market) { m.LiquidationFeeRate = nd("-0.01") })
	sw("fundingIntervalHours", "0", func(m *spec.Market) { m.FundingIntervalHours = nd("0") })
	sw("markPriceBand", "0", func(m *spec.Market) { m.MarkPriceBand = nd("0") })
	sw("makerFeeRate", "1", func(m *spec.Market) { m.MakerFeeRate = nd("1") })
	sw("takerFeeRate", "-0.0001", func(m *spec.Market) { m.TakerFeeRate = nd("-0.0001") })
	sw("fundingRateCap", "0", func(m *spec.Market) { m.FundingRateCap = nd("0") })
	sw("fundingRateCap", "1", func(m *spec.Market) { m.FundingRateCap = nd("1") })
	// VAR-1: every engine validates every variants key, also one whose
	// variant it does not implement (no capability needed for the error).
	vr := func(comment string, v spec.Variants) {
		out = append(out, hand(comment+" (VAR-1)", func(s *spec.Scenario) { market(s, "BTCUSDT", func(m *spec.Market) { m.Variants = &v }) }))
	}
	vr("markets.BTCUSDT.variants.trigger is not a variant name", spec.Variants{Trigger: "lenient"})
	vr("markets.BTCUSDT.variants.liquidatorShare given without isolatedLeftover liquidator-split", spec.Variants{LiquidatorShare: nd("0.5")})
	vr("markets.BTCUSDT.variants.isolatedLeftover liquidator-split without its liquidatorShare", spec.Variants{IsolatedLeftover: spec.LeftoverLiquidatorSplit})
	vr("markets.BTCUSDT.variants.fundingCapFactor 0 under margin-linked", spec.Variants{FundingCap: spec.FundingCapMarginLinked, FundingCapFactor: nd("0")})
	out = append(out,
		hand("tickSize absent (zero): MKT-1", func(s *spec.Scenario) { market(s, "ETHUSDT", func(m *spec.Market) { m.TickSize = d("0") }) }),
		hand("marginModes with an unknown mode (MKT-4)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{"spread"} })
		}),
		hand("tiers not contiguous: tiers[1].minNotional differs from tiers[0].maxNotional (TIER-2)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.Tiers[1].MinNotional = d("60000") })
		}),
		hand("maintenance margin rate decreasing (TIER-3)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.Tiers[1].MaintenanceMarginRate = d("0.003") })
		}),
		hand("maximum leverage increasing (TIER-4)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.Tiers[1].MaxLeverage = d("150") })
		}),
		hand("MMR * maxLeverage > 1 on tier 1 (TIER-5)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.Tiers[0].MaintenanceMarginRate = d("0.009") })
		}),
		hand("a maintenance amount one unit off the recursion (TIER-6)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.Tiers[2].MaintenanceAmount = nd("1300.00000001") })
		}),
		hand("a price for a market that does not exist (PRICE-1)", func(s *spec.Scenario) { s.Prices["DOGEUSDT"] = spec.Price{Mark: nd("0.1")} }),
		hand("a position's market without a price (PRICE-2)", func(s *spec.Scenario) { delete(s.Prices, "ETHUSDT") }),
		hand("a negative mark (MARK-1)", func(s *spec.Scenario) { s.Prices["BTCUSDT"] = spec.Price{Mark: nd("-1")} }),
		hand("no mark and no index (MARK-2)", func(s *spec.Scenario) { s.Prices["BTCUSDT"] = spec.Price{Last: nd("60000")} }),
		hand("no mark and no last (MARK-2)", func(s *spec.Scenario) { s.Prices["BTCUSDT"] = spec.Price{Index: nd("60000")} }),
		hand("no mark and a negative time to funding (MARK-2)", func(s *spec.Scenario) {
			s.Prices["BTCUSDT"] = spec.Price{Index: nd("60000"), Last: nd("60000"), SecondsToFunding: nd("-1")}
		}),
		hand("a computed mark that rounds down to 0 (MARK-4)", func(s *spec.Scenario) {
			s.Prices["BTCUSDT"] = spec.Price{Index: nd("0.00000001"), Last: nd("0.00000001"), FundingRate: nd("-0.5"), SecondsToFunding: nd("28800"), BasisAverage: nd("-1")}
		}),
		hand("a negative wallet (ACC-1)", func(s *spec.Scenario) { s.Account.WalletBalance = d("-0.01") }),
		hand("both entryPrice and entryValue (POS-2)", func(s *spec.Scenario) { s.Account.Positions[0].EntryValue = nd("29500") }),
		hand("neither entryPrice nor entryValue (POS-2)", func(s *spec.Scenario) { s.Account.Positions[1].EntryPrice = d("0") }),
		hand("an entry value that is not size * entryPrice's sign: negative (POS-2)", func(s *spec.Scenario) {
			s.Account.Positions[1].EntryPrice = d("0")
			s.Account.Positions[1].EntryValue = nd("-6200")
		}),
		hand("an isolated position on a market that offers only cross (POS-3)", func(s *spec.Scenario) {
			market(s, "ETHUSDT", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{spec.Cross} })
		}),
		hand("a cross position on a market that offers only isolated (POS-3)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{spec.Isolated} })
		}),
		hand("no margin mode (POS-3)", func(s *spec.Scenario) { s.Account.Positions[0].MarginMode = "" }),
		hand("a second position in the same market (POS-6)", func(s *spec.Scenario) {
			s.Account.Positions = append(s.Account.Positions, s.Account.Positions[0])
		}),
		hand("leverage 0 (POS-4)", func(s *spec.Scenario) { s.Account.Positions[1].Leverage = nd("0") }),
		hand("leverage above the market's maximum (POS-4)", func(s *spec.Scenario) { s.Account.Positions[0].Leverage = nd("125.5") }),
		hand("a cross position with an isolated margin (POS-5)", func(s *spec.Scenario) { s.Account.Positions[0].IsolatedMargin = nd("100") }),
		hand("a negative isolated margin (POS-5)", func(s *spec.Scenario) { s.Account.Positions[1].IsolatedMargin = nd("-1") }),
		hand("an isolated margin of 0 is valid (POS-5), the pool is liquidatable", func(s *spec.Scenario) { s.Account.Positions[1].IsolatedMargin = nd("0") }),
		hand("a notional beyond MAX (NUM-2 at positions[0].notional)", func(s *spec.Scenario) {
			market(s, "BTCUSDT", func(m *spec.Market) { m.Tiers[2].MaxNotional = d("92233720368") })
			s.Account.Positions[0].Size = d("2000000")
			s.Account.Positions[0].EntryPrice = d("60000")
			s.Prices["BTCUSDT"] = spec.Price{Mark: nd("60000")}
		}),
	)
	return out
}

// jsonCases are scenarios as JSON text: the base scenario's text with one
// change.
func jsonCases() []qcase {
	base := string(mustJSON(baseScenario()))
	text := func(comment, old, repl string, rules ...string) qcase {
		if !strings.Contains(base, old) {
			panic("vectors: jsonCases: " + old + " is not in the base scenario") // a bug in this file
		}
		return qcase{raw: []byte(strings.Replace(base, old, repl, 1)), comment: comment, flags: []string{"hand-made", "raw-json"}, rules: rules}
	}
	const wb = `"walletBalance":"10000"`
	return []qcase{
		text("walletBalance as a JSON number (NUM-5)", wb, `"walletBalance":10000`, "NUM-5"),
		text("a size as a JSON number with a fraction (NUM-5: read from its literal text)", `"size":"0.5"`, `"size":0.5`, "NUM-5"),
		text("a mark as a JSON number with an exponent (NUM-5)", `"mark":"60000"`, `"mark":6e4`, "NUM-5"),
		text("a mark as a string with an exponent (EVAL-4's grammar allows it)", `"mark":"60000"`, `"mark":"6.0000E+4"`, "NUM-5", "NUM-6"),
		text("a size with trailing zeros beyond the 8th digit (NUM-1: accepted; NUM-6: compared by value)", `"size":"0.5"`, `"size":"0.500000000"`, "NUM-1", "NUM-6"),
		text("a wallet with a digit beyond the 8th decimal (NUM-1)", wb, `"walletBalance":"10000.000000001"`, "NUM-1"),
		text("a wallet as a JSON number beyond MAX (NUM-2)", wb, `"walletBalance":92233720368.54775808`, "NUM-2", "NUM-5"),
		text("an unknown field in the account (EVAL-4)", `"account":{`, `"account":{"nickname":"x",`),
		text("an unknown field in a tier (EVAL-4)", `"maxLeverage":"125"`, `"maxLeverage":"125","cum":"0"`),
		text("an unknown top-level field (EVAL-4)", `{"markets"`, `{"version":1,"markets"`),
		text("a duplicate key (EVAL-4)", wb, wb+`,"walletBalance":"20000"`),
		text("a decimal NaN (EVAL-4)", wb, `"walletBalance":"NaN"`),
		text("a decimal Infinity (EVAL-4)", wb, `"walletBalance":"Infinity"`),
		text("a decimal with a leading + (EVAL-4)", wb, `"walletBalance":"+10000"`),
		text("a hexadecimal decimal (EVAL-4)", wb, `"walletBalance":"0x2710"`),
		text("a decimal with an underscore (EVAL-4)", wb, `"walletBalance":"10_000"`),
		text("a decimal with a 4-digit exponent (EVAL-4)", wb, `"walletBalance":"1e1000"`),
		text("a decimal without an integer part (EVAL-4)", `"size":"0.5"`, `"size":".5"`),
		text("a decimal with a trailing point (EVAL-4)", `"size":"0.5"`, `"size":"5."`),
		text("an empty decimal string (EVAL-4)", wb, `"walletBalance":""`),
		text("a side that is not a string (EVAL-4)", `"side":"long"`, `"side":1`),
		text("positions that is not an array (EVAL-4)", `"positions":[`, `"positions":{"0":`),
		text("a boolean decimal (EVAL-4)", `"mark":"60000"`, `"mark":true`),
	}
}

// profileCases evaluate one market of every venue profile, and an isolated
// position on each venue without isolated mode.
func profileCases() []qcase {
	var out []qcase
	for _, p := range venue.Profiles() {
		syms := slices.Sorted(maps.Keys(p.Markets))
		if len(syms) == 0 {
			continue
		}
		sym := syms[0]
		m := p.Markets[sym].Clone()
		mark := d("1000").Div(m.TickSize).Floor().Mul(m.TickSize)
		mk := func(mode spec.MarginMode) *spec.Scenario {
			return &spec.Scenario{
				Markets: map[string]spec.Market{sym: m.Clone()},
				Prices:  map[string]spec.Price{sym: {Mark: nd(mark.String())}},
				Account: spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
					{Market: sym, Side: spec.Long, Size: m.LotSize.Mul(d("10")), EntryPrice: mark.Mul(d("1.01")).Div(m.TickSize).Floor().Mul(m.TickSize), MarginMode: mode},
				}},
			}
		}
		out = append(out, qcase{s: mk(spec.Cross), comment: "profile " + p.ID + " market " + sym + ", resolved", flags: []string{"profile"}, rules: []string{"PROF-2"}})
		if !slices.Contains(p.MarginModes, spec.Isolated) {
			out = append(out, qcase{s: mk(spec.Isolated), comment: "an isolated position on " + p.ID + " (cross only): POS-3", flags: []string{"profile"}, rules: []string{"PROF-3", "MKT-4"}})
		}
	}
	return out
}

// stateCase is a hand-made ledger state.
type stateCase struct {
	st      *spec.State
	comment string
}

// baseState is a valid ledger state: one market, two traders with matched
// positions.
func baseState() *spec.State {
	s := baseScenario()
	m := s.Markets["BTCUSDT"]
	return &spec.State{
		Markets: map[string]spec.Market{"BTCUSDT": m},
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("60000")}},
		Accounts: map[string]spec.Account{
			"alice": {WalletBalance: d("5000"), Positions: []spec.Position{{Market: "BTCUSDT", Side: spec.Long, Size: d("0.5"), EntryPrice: d("59000"), MarginMode: spec.Cross, Leverage: nd("20")}},
				Settings: map[string]spec.AccountSettings{"BTCUSDT": {Leverage: nd("20"), MarginMode: spec.Cross}}},
			"bob": {WalletBalance: d("5000"), Positions: []spec.Position{{Market: "BTCUSDT", Side: spec.Short, Size: d("0.5"), EntryPrice: d("61000"), MarginMode: spec.Cross, Leverage: nd("20")}},
				Settings: map[string]spec.AccountSettings{"BTCUSDT": {Leverage: nd("20"), MarginMode: spec.Cross}}},
		},
		InsuranceFund: spec.Account{WalletBalance: d("1000")},
	}
}

// invalidStates are pre states that must be rejected.
func invalidStates() []stateCase {
	mod := func(comment string, f func(st *spec.State)) stateCase {
		st := baseState()
		f(st)
		return stateCase{st: st, comment: comment}
	}
	acct := func(st *spec.State, id string, f func(a *spec.Account)) {
		a := st.Accounts[id]
		a.Positions = slices.Clone(a.Positions)
		f(&a)
		st.Accounts[id] = a
	}
	return []stateCase{
		mod("a trader id starting with @ (LED-1)", func(st *spec.State) { st.Accounts["@bob"] = st.Accounts["bob"]; delete(st.Accounts, "bob") }),
		mod("a negative fee pool (LED-1)", func(st *spec.State) { st.FeePool = d("-1") }),
		mod("negative dust (LED-1)", func(st *spec.State) { st.Dust = d("-0.00000001") }),
		mod("unbalanced open interest (LED-4)", func(st *spec.State) {
			acct(st, "bob", func(a *spec.Account) { a.Positions[0].Size = d("0.4") })
		}),
		mod("a settlement that breaks LED-4", func(st *spec.State) { st.Settlement = nd("1") }),
		mod("a position whose leverage differs from its market setting (LED-2)", func(st *spec.State) {
			acct(st, "alice", func(a *spec.Account) { a.Positions[0].Leverage = nd("10") })
		}),
		mod("an entry value inconsistent with the entry price (LED-1: V = size * entryPrice; POS-2)", func(st *spec.State) {
			acct(st, "alice", func(a *spec.Account) { a.Positions[0].EntryValue = nd("29500.01") })
		}),
	}
}

// residualRun is LQ-7's case: a cross short whose entry price is below one
// tick (an entry value of 0.05 on a 0.1 tick) is bankrupt, the fund is
// empty, and auto-deleveraging at the one-tick floor cannot absorb the whole
// deficit; the fund posts the residual and goes negative.
func residualRun() *spec.Run {
	st := baseState()
	st.Prices["BTCUSDT"] = spec.Price{Mark: nd("100")}
	st.Accounts = map[string]spec.Account{
		"alice": {WalletBalance: d("1000"), Positions: []spec.Position{{Market: "BTCUSDT", Side: spec.Long, Size: d("1"), EntryPrice: d("100"), MarginMode: spec.Cross, Leverage: nd("20")}}},
		"bob":   {WalletBalance: d("0"), Positions: []spec.Position{{Market: "BTCUSDT", Side: spec.Short, Size: d("1"), EntryValue: nd("0.05"), MarginMode: spec.Cross, Leverage: nd("20")}}},
	}
	st.InsuranceFund = spec.Account{WalletBalance: d("0")}
	return &spec.Run{State: *st, Events: []spec.Event{{Type: spec.EventPrice, Market: "BTCUSDT", Mark: nd("100.1")}}}
}
