package model_test

import (
	"math/rand/v2"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// genScenario and its helpers generate random scenarios: mostly valid, with
// 1 to 4 markets of random tier tables, given or computed marks, cross and
// isolated positions, and now and then an extreme magnitude or one broken
// field. They drive the LIQ-6 agreement test and the opt-in differential test
// against the reference.

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func nul(x decimal.Decimal) decimal.NullDecimal { return decimal.NullDecimal{Decimal: x, Valid: true} }

// genTiers builds a valid tier table (sometimes with given cum values).
func genTiers(r *rand.Rand, big bool) []spec.Tier {
	n := 1 + r.IntN(5)
	ts := make([]spec.Tier, n)
	min := decimal.Zero
	mmr := decimal.Zero
	lev := decimal.New(int64(1+r.IntN(150)), 0)
	if r.IntN(4) == 0 {
		lev = decimal.New(r.Int64N(150*100_000_000)+100_000_000, -8)
	}
	cum := decimal.Zero
	prevMMR := decimal.Zero
	for t := range ts {
		step := decimal.New(r.Int64N(1_000_000)+1, int32(pick(r, -2, 0, 2)))
		if big {
			step = decimal.New(r.Int64N(1_000_000)+1, 4)
		}
		max := min.Add(step)
		mmr = mmr.Add(decimal.New(r.Int64N(2_000_000), -8))
		if r.IntN(3) == 0 {
			mmr = mmr.Add(decimal.New(r.Int64N(5), -2))
		}
		if mmr.GreaterThanOrEqual(decimal.New(1, 0)) {
			mmr = decimal.New(99, -2)
		}
		if mmr.Sign() > 0 {
			cap := decimal.New(1, 0).Div(mmr).Truncate(0)
			if lev.GreaterThan(cap) {
				lev = cap
			}
		}
		if lev.LessThan(decimal.New(1, 0)) {
			lev = decimal.New(1, 0)
		}
		if t > 0 {
			cum = cum.Add(min.Mul(mmr.Sub(prevMMR)))
		}
		ts[t] = spec.Tier{MinNotional: min, MaxNotional: max, MaintenanceMarginRate: mmr, MaxLeverage: lev}
		if r.IntN(3) == 0 && cum.Mul(decimal.New(1, 8)).IsInteger() {
			ts[t].MaintenanceAmount = nul(cum)
		}
		prevMMR = mmr
		min = max
		if r.IntN(2) == 0 {
			lev = lev.Mul(decimal.New(int64(50+r.IntN(50)), -2)).Truncate(int32(r.IntN(3)))
		}
	}
	return ts
}

func genScenario(r *rand.Rand) *spec.Scenario {
	big := r.IntN(8) == 0
	names := []string{"AAA", "BBB", "CCC", "DDD"}[:1+r.IntN(4)]
	s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}}
	for _, name := range names {
		m := spec.Market{
			TickSize: decimal.New(int64(pick(r, 1, 5, 25)), int32(pick(r, -8, -4, -2, 0, 1))),
			LotSize:  decimal.New(int64(pick(r, 1, 2, 10)), int32(pick(r, -8, -3, -1, 0))),
			MMBasis:  pick(r, spec.MMBasis(""), spec.BasisMark, spec.BasisEntry),
			Tiers:    genTiers(r, big),
		}
		if r.IntN(5) == 0 {
			m.MarginModes = []spec.MarginMode{pick(r, spec.Cross, spec.Isolated)}
		}
		if r.IntN(4) == 0 {
			m.MarkPriceBand = nul(decimal.New(r.Int64N(10_000_000)+1, -8))
		}
		if r.IntN(4) == 0 {
			m.FundingIntervalHours = nul(decimal.New(int64(pick(r, 1, 4, 8, 3)), 0))
		}
		s.Markets[name] = m
		priceScale := int32(pick(r, -4, -1, 2, 4))
		if big {
			priceScale = 8
		}
		base := decimal.New(r.Int64N(1_000_000)+1, priceScale-4)
		if r.IntN(4) == 0 {
			s.Prices[name] = spec.Price{
				Index:            nul(base),
				Last:             nul(base.Mul(decimal.New(int64(90+r.IntN(20)), -2)).Truncate(8).Add(decimal.New(1, -8))),
				FundingRate:      nul(decimal.New(r.Int64N(200_000)-100_000, -8)),
				SecondsToFunding: nul(decimal.New(r.Int64N(28800), 0)),
				BasisAverage:     nul(decimal.New(r.Int64N(2_000_000)-1_000_000, max(-8, priceScale-8))),
			}
		} else {
			s.Prices[name] = spec.Price{Mark: nul(base)}
		}
	}
	s.Account.WalletBalance = decimal.New(r.Int64N(1_000_000_000), int32(pick(r, -8, -4, 0, 2)))
	np := r.IntN(len(names) + 1)
	for i := 0; i < np; i++ {
		name := names[i]
		m := s.Markets[name]
		pr := s.Prices[name]
		ref := pr.Mark.Decimal
		if !pr.Mark.Valid {
			ref = pr.Index.Decimal
		}
		k := r.Int64N(100_000) + 1
		if big {
			k = r.Int64N(1_000_000_000_000) + 1
		}
		p := spec.Position{
			Market:     name,
			Side:       pick(r, spec.Long, spec.Short),
			Size:       m.LotSize.Mul(decimal.New(k, 0)),
			EntryPrice: ref.Mul(decimal.New(int64(50+r.IntN(100)), -2)).Truncate(8).Add(decimal.New(1, -8)),
			MarginMode: pick(r, spec.Cross, spec.Isolated),
		}
		if len(m.MarginModes) == 1 && r.IntN(4) != 0 {
			p.MarginMode = m.MarginModes[0]
		}
		if r.IntN(2) == 0 {
			maxLev := m.Tiers[0].MaxLeverage
			l := decimal.New(1, 0).Add(maxLev.Sub(decimal.New(1, 0)).Mul(decimal.New(r.Int64N(101), -2))).Truncate(int32(pick(r, 0, 1, 8)))
			p.Leverage = nul(l)
		}
		if p.MarginMode == spec.Isolated && r.IntN(2) == 0 {
			notional := p.Size.Mul(p.EntryPrice)
			p.IsolatedMargin = nul(notional.Mul(decimal.New(r.Int64N(200), -2)).Truncate(8))
		}
		if r.IntN(8) == 0 {
			if r.IntN(3) == 0 {
				p.EntryValue = nul(p.Size.Mul(p.EntryPrice))
			} else {
				// a cost basis whose average price is off the 1e-8 grid
				p.EntryValue = nul(p.Size.Mul(p.EntryPrice).Truncate(8).Add(decimal.New(r.Int64N(1000), -8)))
				p.EntryPrice = decimal.Zero
			}
		}
		s.Account.Positions = append(s.Account.Positions, p)
	}
	if r.IntN(6) == 0 {
		mutate(r, s)
	}
	return s
}

// mutate breaks one field.
func mutate(r *rand.Rand, s *spec.Scenario) {
	bad := pick(r, decimal.RequireFromString("0.000000001"), decimal.RequireFromString("-1"),
		decimal.Zero, decimal.RequireFromString("1e12"), decimal.RequireFromString("1.5"))
	switch r.IntN(8) {
	case 0:
		for n, m := range s.Markets {
			m.TickSize = bad
			s.Markets[n] = m
			break
		}
	case 1:
		for n, m := range s.Markets {
			ts := append([]spec.Tier(nil), m.Tiers...)
			t := r.IntN(len(ts))
			switch r.IntN(4) {
			case 0:
				ts[t].MaxLeverage = bad
			case 1:
				ts[t].MaintenanceMarginRate = bad
			case 2:
				ts[t].MaxNotional = bad
			case 3:
				ts[t].MaintenanceAmount = nul(bad)
			}
			m.Tiers = ts
			s.Markets[n] = m
			break
		}
	case 2:
		for n, p := range s.Prices {
			p.Mark = nul(bad)
			s.Prices[n] = p
			break
		}
	case 3:
		s.Account.WalletBalance = bad
	case 4, 5, 6:
		if len(s.Account.Positions) > 0 {
			i := r.IntN(len(s.Account.Positions))
			p := &s.Account.Positions[i]
			switch r.IntN(5) {
			case 0:
				p.Size = bad
			case 1:
				p.EntryPrice = bad
			case 2:
				p.Leverage = nul(bad)
			case 3:
				p.IsolatedMargin = nul(bad)
			case 4:
				p.Market = s.Account.Positions[0].Market
			}
		}
	case 7:
		for n := range s.Prices {
			delete(s.Prices, n)
			break
		}
	}
}

// logUnits returns a value in [1, MAX] units, log-uniformly distributed.
func logUnits(r *rand.Rand) int64 {
	digits := r.IntN(19) // 10^0 .. 10^18
	v := int64(1)
	for i := 0; i < digits; i++ {
		v *= 10
	}
	v += r.Int64N(v) * int64(r.IntN(9)+1)
	if v <= 0 || v > 1<<63-1-1 {
		v = 1<<63 - 1
	}
	return v
}

func fixedDec(units int64) decimal.Decimal { return decimal.New(units, -8) }

// genExtreme generates scenarios whose values span the whole range, up to
// MAX: sizes, prices, balances, leverages and notionals near the int64 limits,
// to exercise the wide arithmetic, the NUM-2 report checks and the
// out-of-range reasons.
func genExtreme(r *rand.Rand) *spec.Scenario {
	s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}}
	names := []string{"A", "B", "C"}[:1+r.IntN(3)]
	for _, name := range names {
		nt := 1 + r.IntN(3)
		ts := make([]spec.Tier, nt)
		var minN int64
		var mmr int64
		lev := logUnits(r)
		if lev < 100_000_000 {
			lev = 100_000_000
		}
		for t := range ts {
			maxN := minN + 1 + (1<<63-1-minN-1)/int64(2+r.IntN(8))*int64(r.IntN(2))
			if maxN <= minN {
				maxN = minN + logUnits(r)%(1<<40) + 1
			}
			mmr += r.Int64N(100_000_000-mmr) / int64(1+r.IntN(50))
			if mmr > 0 {
				if cap := int64(1e16 / mmr); lev > cap {
					lev = cap
				}
			}
			lev = max(lev, 100_000_000)
			for mmr > 0 && uint64(mmr)*uint64(lev)/1e8 > 1e8 {
				mmr--
			}
			ts[t] = spec.Tier{MinNotional: fixedDec(minN), MaxNotional: fixedDec(maxN),
				MaintenanceMarginRate: fixedDec(mmr), MaxLeverage: fixedDec(lev)}
			minN = maxN
			lev = max(100_000_000, lev/int64(1+r.IntN(3)))
		}
		s.Markets[name] = spec.Market{
			TickSize: fixedDec(pick(r, int64(1), 100_000_000, logUnits(r))),
			LotSize:  fixedDec(pick(r, int64(1), 100_000_000, logUnits(r)%1_000_000_000_000+1)),
			MMBasis:  pick(r, spec.BasisMark, spec.BasisEntry),
			Tiers:    ts,
		}
		if r.IntN(4) == 0 {
			s.Prices[name] = spec.Price{Index: nul(fixedDec(logUnits(r))), Last: nul(fixedDec(logUnits(r))),
				BasisAverage: nul(fixedDec(logUnits(r) * int64(pick(r, -1, 1)))),
				FundingRate:  nul(fixedDec(r.Int64N(200_000_000) - 100_000_000)), SecondsToFunding: nul(fixedDec(logUnits(r) % 3_000_000_000_000))}
		} else {
			s.Prices[name] = spec.Price{Mark: nul(fixedDec(logUnits(r)))}
		}
	}
	s.Account.WalletBalance = fixedDec(pick(r, 0, logUnits(r)))
	for i := 0; i < len(names); i++ {
		if r.IntN(4) == 0 {
			continue
		}
		m := s.Markets[names[i]]
		lot, _ := model.FixedFromDecimal(m.LotSize)
		k := max(1, logUnits(r)/int64(lot))
		p := spec.Position{Market: names[i], Side: pick(r, spec.Long, spec.Short),
			Size: fixedDec(int64(lot) * k), EntryPrice: fixedDec(logUnits(r)),
			MarginMode: pick(r, spec.Cross, spec.Isolated)}
		if r.IntN(2) == 0 {
			maxLev, _ := model.FixedFromDecimal(m.Tiers[0].MaxLeverage)
			p.Leverage = nul(fixedDec(100_000_000 + r.Int64N(int64(maxLev)-100_000_000+1)))
		}
		if p.MarginMode == spec.Isolated && r.IntN(2) == 0 {
			p.IsolatedMargin = nul(fixedDec(pick(r, 0, logUnits(r))))
		}
		s.Account.Positions = append(s.Account.Positions, p)
	}
	return s
}
