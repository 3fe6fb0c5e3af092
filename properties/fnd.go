package properties

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the checks of SPEC FND on a funding event and the
// FND-3/funding-split property.

// checkFunding is FND-1..3: every position of the market pays up(|a|) or
// receives down(|a|), a = Q * mark * clamp(rate), longs paying when the
// clamped rate is positive, accounts in id order (LED-8), then the
// remainder goes to dust.
func checkFunding(before *spec.State, ev spec.Event, effects []spec.Effect) string {
	m := before.Markets[ev.Market]
	rate := ev.Rate.Decimal.Rat()
	capKind := variantOf(m, "fundingCap")
	if capR := fundingCap(m); capR != nil {
		if rate.Cmp(capR) > 0 {
			rate = capR
		} else if n := new(big.Rat).Neg(capR); rate.Cmp(n) < 0 {
			rate = n
		}
	}
	mark := specutil.Mark(before, ev.Market)
	fund := "funding:" + ev.Market
	type post struct {
		from, to string
		amt      decimal.Decimal
	}
	var want []post
	rest := decimal.Zero
	accts := stateAccounts(before)
	for _, id := range slices.Sorted(maps.Keys(accts)) {
		for _, p := range accts[id].Positions {
			if p.Market != ev.Market {
				continue
			}
			a := new(big.Rat).Abs(new(big.Rat).Mul(p.Size.Mul(mark).Rat(), rate))
			pool := poolName(id, p.Market, p.MarginMode)
			if sideSign(p.Side)*rate.Sign() > 0 {
				if u := ratUnits(a, true); u.Sign() > 0 {
					want = append(want, post{pool, fund, u})
					rest = rest.Add(u)
				}
			} else if d := ratUnits(a, false); d.Sign() > 0 {
				want = append(want, post{fund, pool, d})
				rest = rest.Sub(d)
			}
		}
	}
	var got []post
	for _, f := range effects {
		if f.Type == spec.EffectPosting && (f.Reason == "funding" || (f.Reason == "dust" && f.From == fund)) {
			got = append(got, post{f.From, f.To, f.Amount.Decimal})
		}
	}
	if rest.Sign() > 0 {
		want = append(want, post{fund, "dust", rest})
	}
	str := func(ps []post) string {
		var ss []string
		for _, p := range ps {
			ss = append(ss, fmt.Sprintf("%s->%s %s", p.from, p.to, p.amt))
		}
		return "[" + strings.Join(ss, ", ") + "]"
	}
	if len(got) != len(want) {
		return fmt.Sprintf("FND-1:%s/FND-2: funding at rate' %s (mark %s) posts %s, want %s", capKind, rate.FloatString(12), mark, str(got), str(want))
	}
	for i := range got {
		if got[i].from != want[i].from || got[i].to != want[i].to || !got[i].amt.Equal(want[i].amt) {
			return fmt.Sprintf("FND-1:%s/FND-2: funding at rate' %s (mark %s; positive: longs pay) posts %s, want %s", capKind, rate.FloatString(12), mark, str(got), str(want))
		}
	}
	return ""
}

func propFundingSplit(e *env) func(*rapid.T) {
	return func(t *rapid.T) {
		r := e.prefixRun(t, e.gen, 4)
		var open []string
		for _, name := range slices.Sorted(maps.Keys(r.st.Markets)) {
			for _, a := range stateAccounts(r.st) {
				if !specutil.SignedSize(a, name).IsZero() {
					open = append(open, name)
					break
				}
			}
		}
		if len(open) == 0 {
			t.Skip("no open position")
		}
		market := rapid.SampledFrom(open).Draw(t, "market")
		k := int64(rapid.IntRange(2, 4).Draw(t, "pieces"))
		piece := dec(rapid.SampledFrom([]int64{1, 3, 7, 10, 33, 100, 125, 1000}).Draw(t, "pieceMillionths"), -6)
		// Pieces below the market's cap (FND-1 under either variant: a
		// margin-linked cap is off-grid, so floor cap/k to the grid) are
		// never clamped, so the k pieces pay the whole rate once paid.
		if capR := fundingCap(r.st.Markets[market]); capR != nil {
			perPiece := new(big.Rat).Quo(capR, big.NewRat(k, 1))
			piece = decimal.Min(piece, ratUnits(perPiece, false))
		}
		if piece.Sign() <= 0 {
			t.Skip("cap too small")
		}
		if rapid.Bool().Draw(t, "negative") {
			piece = piece.Neg()
		}
		once := spec.Event{Type: spec.EventFunding, Market: market, Rate: nd(piece.Mul(decimal.NewFromInt(k)))}
		var pieces []spec.Event
		for i := int64(0); i < k; i++ {
			pieces = append(pieces, spec.Event{Type: spec.EventFunding, Market: market, Rate: nd(piece)})
		}
		whole, split := r.reload(t, r.st), r.reload(t, r.st)
		weff, werrs := applyAll(whole, []spec.Event{once})
		seff, serrs := applyAll(split, pieces)
		ctx := func(format string, args ...any) {
			r.e.failRuns(t, []labeledRun{{"once", r.st, []spec.Event{once}}, {"pieces", r.st, pieces}}, format, args...)
		}
		// NUM-2 (range) depends on the path: the pieces may liquidate at
		// a different point and pass through other values, so only a
		// non-range error must agree.
		if ruleOf(werrs[0]) == "NUM-2" || ruleOf(firstErr(serrs)) == "NUM-2" {
			t.Skip("a value out of range (NUM-2)")
		}
		if (werrs[0] == nil) != (firstErr(serrs) == nil) {
			ctx("FND-2: funding at %s once gives error %v, in %d pieces %v", once.Rate.Decimal, werrs[0], k, firstErr(serrs))
		}
		if werrs[0] != nil || hasLiquidation(weff) || hasLiquidation(seff) {
			t.Skip("an error or a liquidation")
		}
		a, b := bookOf(whole.State()), bookOf(split.State())
		bound := units(k - 1)
		for _, name := range slices.Sorted(maps.Keys(a.bal)) {
			x, y := a.get(name), b.get(name)
			switch name {
			case "dust":
				if y.LessThan(x) {
					ctx("FND-3: dust is %s after %d pieces, less than %s after one payment", y, k, x)
				}
			default:
				if y.GreaterThan(x) || x.Sub(y).GreaterThan(bound) {
					ctx("FND-2/FND-3: %s is %s after funding %s once and %s after %d pieces of %s; want the pieces lower or equal by at most %s",
						name, x, once.Rate.Decimal, y, k, piece, bound)
				}
			}
		}
		for key, p := range a.pos {
			if q := b.pos[key]; !q.x.Equal(p.x) || !q.v.Equal(p.v) {
				ctx("FND-2: funding changed position %s differently (once %s/%s, pieces %s/%s)", key, p.x, p.v, q.x, q.v)
			}
		}
	}
}

// fundingCap is FND-1's cap of market m under its fundingCap variant:
// fundingRateCap under fixed, k x (IMR_1 - MMR_1) under margin-linked, nil
// when there is no cap.
func fundingCap(m spec.Market) *big.Rat {
	switch variantOf(m, "fundingCap") {
	case spec.FundingCapMarginLinked:
		if m.Variants.FundingCapFactor.Valid {
			return marginLinkedCap(m)
		}
	case spec.FundingCapFixed:
		if m.FundingRateCap.Valid {
			return m.FundingRateCap.Decimal.Rat()
		}
	}
	return nil
}

// marginLinkedCap is FND-1:margin-linked's cap k x (IMR_1 - MMR_1), IMR_1
// = 1/maxLeverage_1 (tier 1's initialMarginRate when the table gives
// explicit rates, TIER-5), MMR_1 the tier-1 rate (1/(2 maxLeverage_1) under
// TIER-3:half-initial), exact.
func marginLinkedCap(m spec.Market) *big.Rat {
	l1 := m.Tiers[0].MaxLeverage.Rat()
	imr := new(big.Rat).Inv(l1)
	mmr := m.Tiers[0].MaintenanceMarginRate.Rat()
	if variantOf(m, "maintenanceRate") == spec.MaintenanceRateHalfInitial {
		mmr = new(big.Rat).Quo(imr, big.NewRat(2, 1))
	}
	if r := m.Tiers[0].InitialMarginRate; r != nil {
		imr = r.Rat()
	}
	c := new(big.Rat).Sub(imr, mmr)
	return c.Mul(c, m.Variants.FundingCapFactor.Decimal.Rat())
}

// ratUnits rounds a non-negative exact amount to the 1e-8 grid, up or down
// (SPEC NUM-4).
func ratUnits(a *big.Rat, upward bool) decimal.Decimal {
	x := new(big.Rat).Mul(a, big.NewRat(100_000_000, 1))
	q, r := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	if upward && r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return decimal.NewFromBigInt(q, -8)
}
