package properties

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the checks of SPEC ADL: counterparties on the opposite
// side, in descending ADL-2 score, matching the liquidated size.

// adlCandidate is one ADL-1 candidate with its ADL-2 score.
type adlCandidate struct {
	id    string
	size  decimal.Decimal
	score *big.Rat
}

// adlFill is one counterparty fill of an ADL, in effect order.
type adlFill struct {
	id   string
	size decimal.Decimal
}

// adlRanking is ADL-1 and ADL-2 for id's position in market (of sign s) in
// the replayed book: the candidates in the order SPEC takes them. ok is
// false when a score cannot be computed here (a position of a candidate's
// pool was filled earlier in the event, or a mark is not given).
func (rp *replay) adlRanking(id, market string, s int) (cs []adlCandidate, ok bool) {
	mark := rp.after.Prices[market].Mark
	if !mark.Valid {
		return nil, false
	}
	for key, p := range rp.b.pos {
		cid, m, _ := strings.Cut(key, "|")
		if m != market || cid == id || p.x.IsZero() || p.x.Sign() != -s {
			continue
		}
		if variantOf(rp.before.Markets[market], "adlRanking") == spec.ADLRankingAccount {
			score, ok := rp.accountScore(cid)
			if !ok {
				return nil, false
			}
			cs = append(cs, adlCandidate{id: cid, size: p.x.Abs(), score: score})
			continue
		}
		if p.v.IsZero() {
			rp.e.hit("ADL-2 V = 0 candidate") // the fund, after LQ-2 at price 0 (gen.boundaryADLZeroBasis)
		}
		e, ok := rp.poolEquity(cid, m, p.mode)
		if ok && p.v.IsZero() && e.Sign() > 0 {
			// Ranked MAX by the V = 0 clause alone (E > 0: not by U > 0, E <= 0).
			rp.e.hit("ADL-2 V = 0 candidate, E > 0")
		}
		if ok && e.IsZero() && p.x.Mul(mark.Decimal).Sub(p.v).Mul(decimal.NewFromInt(int64(p.x.Sign()))).Sign() > 0 {
			rp.e.hit("ADL-2 U > 0, E = 0 candidate")
		}
		if !ok || rp.touched[key] {
			return nil, false
		}
		u := unrealized(p, mark.Decimal)
		cs = append(cs, adlCandidate{id: cid, size: p.x.Abs(), score: adlScore(u, p.v, p.x.Abs().Mul(mark.Decimal), e)})
	}
	sort.Slice(cs, func(i, j int) bool {
		if c := cs[i].score.Cmp(cs[j].score); c != 0 {
			return c > 0
		}
		return cs[i].id < cs[j].id
	})
	return cs, true
}

// accountScore is ADL-2:account for account id in the replayed book:
// max(0, UP)/max(1, WB) x MMa/(WB + UP), 0 when WB + UP <= 0, with WB its
// wallet plus its isolated margins, UP and MMa the sums of the exact U and
// MM (QTY-5) of all its positions. ok is false when a position of the
// account was filled earlier in the event or has no mark.
func (rp *replay) accountScore(id string) (*big.Rat, bool) {
	wb := rp.b.get("wallet:" + id)
	up, mm := decimal.Zero, new(big.Rat)
	for key, p := range rp.b.pos {
		cid, m, _ := strings.Cut(key, "|")
		if cid != id || p.x.IsZero() {
			continue
		}
		mark := rp.after.Prices[m].Mark
		if rp.touched[key] || !mark.Valid {
			return nil, false
		}
		if p.mode == spec.Isolated {
			wb = wb.Add(rp.b.get(poolName(id, m, spec.Isolated)))
		}
		up = up.Add(unrealized(p, mark.Decimal))
		mk := rp.before.Markets[m]
		basis := p.x.Abs().Mul(mark.Decimal)
		if mk.MMBasis == spec.BasisEntry {
			basis = p.v
		}
		mm.Add(mm, specutil.MM(mk, basis))
	}
	e := wb.Add(up)
	if up.Sign() <= 0 || e.Sign() <= 0 {
		return new(big.Rat), true
	}
	s := new(big.Rat).Quo(up.Rat(), decimal.Max(decimal.NewFromInt(1), wb).Rat())
	return s.Mul(s, new(big.Rat).Quo(mm, e.Rat())), true
}

// unrealized is a position's exact U at mark: s * (Q * mark - V).
func unrealized(p ledgerPos, mark decimal.Decimal) decimal.Decimal {
	sv := p.v
	if p.x.Sign() < 0 {
		sv = sv.Neg()
	}
	return p.x.Mul(mark).Sub(sv)
}

// poolEquity is the exact equity of the pool holding id's position in
// market: the isolated margin plus its U, or the wallet plus the U of every
// cross position (each at its market's mark); for a portfolio position the
// wallet plus the U of every portfolio position (PM-18).
func (rp *replay) poolEquity(id, market string, mode spec.MarginMode) (decimal.Decimal, bool) {
	if mode == spec.Isolated {
		key := posKey(id, market)
		return rp.b.get(poolName(id, market, mode)).Add(unrealized(rp.b.pos[key], rp.after.Prices[market].Mark.Decimal)), !rp.touched[key]
	}
	e := rp.b.get("wallet:" + id)
	if mode != spec.Portfolio {
		mode = spec.Cross // (a position opened in this event has no mode in the book)
	}
	for key, p := range rp.b.pos {
		cid, m, _ := strings.Cut(key, "|")
		if cid != id || p.x.IsZero() || p.mode != mode { // the cross pool, or the portfolio pool (PM-18)
			continue
		}
		mark := rp.after.Prices[m].Mark
		if rp.touched[key] || !mark.Valid {
			return e, false
		}
		e = e.Add(unrealized(p, mark.Decimal))
	}
	return e, true
}

// adlMax stands for ADL-2's MAX score (a profitable position in a pool
// with no equity): above every finite score.
var adlMax = new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 200))

// adlScore is ADL-2: V = 0: MAX; else pnl = down(U / V); U > 0 and E > 0:
// down(pnl * down(N / E)); U > 0 and E <= 0: MAX; U <= 0: pnl.
func adlScore(u, v, n, e decimal.Decimal) *big.Rat {
	if v.IsZero() {
		return adlMax // ADL-2: V = 0 (only the fund's, after LQ-2 at price 0) scores MAX
	}
	pnl := roundQuo(u, v, false)
	switch {
	case u.Sign() > 0 && e.Sign() > 0:
		lev := roundQuo(n, e, false)
		return downUnits(pnl.Mul(lev)).Rat()
	case u.Sign() > 0:
		return adlMax
	default:
		return pnl.Rat()
	}
}

// checkADLOrder compares the counterparties an ADL filled, in order, with
// the ranking: a prefix of it, each closing its whole position but the last.
func checkADLOrder(ranking string, id, market string, cands []adlCandidate, fills []adlFill) string {
	var want, got []string
	for i, f := range fills {
		got = append(got, f.id+" "+f.size.String())
		if i >= len(cands) || cands[i].id != f.id {
			for _, c := range cands {
				want = append(want, fmt.Sprintf("%s (score %s, size %s)", c.id, c.score.FloatString(8), c.size))
			}
			return fmt.Sprintf("ADL-2:%s: the ADL of %s in %s takes %s; the ranking is %s", ranking, id, market, strings.Join(got, ", "), strings.Join(want, ", "))
		}
		if i < len(fills)-1 && !f.size.Equal(cands[i].size) {
			return fmt.Sprintf("ADL-3: ADL counterparty %s of %s in %s closes %s of its %s and the next one is taken", f.id, id, market, f.size, cands[i].size)
		}
	}
	return ""
}
