package properties

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file replays an event's effects onto the book of the state before
// it (SPEC LED-6): the postings and fills must give the state after, in the
// shapes LED-3 and LED-6 allow, with the liquidation rules checked on the
// way (lq.go, adl.go).

// replay applies an event's effects to the book of the state before it,
// checking LED-6's shapes and the liquidation rules on the way.
type replay struct {
	e             *env
	k             int
	ev            spec.Event
	before, after *spec.State
	b             *book // the book of before, with the effects replayed so far
	afterBook     *book // the book of after

	start, deposits, withdrawals decimal.Decimal

	liq     *liqBlock       // the liquidation being replayed, if any
	ep      *liqEpisode     // the pool whose liquidation is being replayed, if any
	touched map[string]bool // positions filled so far in the event (their V is not known)
}

// crossEquity is the exact equity of id's cross pool in the replay: the
// wallet plus the unrealized PnL of its cross positions at the mark. ok is
// false when a remaining position was filled earlier in the event (its cost
// basis is then unknown here).
func (rp *replay) crossEquity(id string) (e decimal.Decimal, ok bool) {
	e = rp.b.get("wallet:" + id)
	for key, p := range rp.b.pos {
		if !strings.HasPrefix(key, id+"|") || p.x.IsZero() || p.mode != spec.Cross {
			continue
		}
		if rp.touched[key] {
			return e, false
		}
		m := strings.TrimPrefix(key, id+"|")
		mark := rp.after.Prices[m].Mark
		if !mark.Valid {
			return e, false
		}
		sv := p.v
		if p.x.Sign() < 0 {
			sv = sv.Neg()
		}
		e = e.Add(p.x.Mul(mark.Decimal).Sub(sv))
	}
	return e, true
}

// liqBlock is one liquidation effect and what follows it up to the next.
type liqBlock struct {
	id, market string
	pool       spec.MarginMode
	traderSize decimal.Decimal // the liquidated account's filled size
	adlSize    decimal.Decimal // the ADL counterparties' filled size
	lastFill   *spec.Effect    // the liquidated account's last fill
	sawFill    bool
	// ADL-2: the ranking when the first ADL fill came (nil before; ok false
	// when not computable here) and the counterparties filled, in order.
	ranking   []adlCandidate
	rankingOK bool
	ranked    bool
	adlFills  []adlFill
}

func (rp *replay) run(effects []spec.Effect) string {
	rp.start = rp.b.total()
	rp.deposits, rp.withdrawals = decimal.Zero, decimal.Zero
	for i, f := range effects {
		if f.Event != rp.k { // LED-6: Effect.Event is the event's index in the run
			return fmt.Sprintf("LED-6: effect %d has event %d, want %d", i, f.Event, rp.k)
		}
		var msg string
		switch f.Type {
		case spec.EffectPosting:
			msg = rp.posting(i, f)
		case spec.EffectFill:
			msg = rp.fill(i, f)
		case spec.EffectLiquidation:
			msg = rp.liquidation(i, f)
		default:
			msg = fmt.Sprintf("LED-6: effect %d has unknown type %q", i, f.Type)
		}
		if msg != "" {
			return msg
		}
	}
	if msg := rp.endLiquidation(); msg != "" {
		return msg
	}
	return rp.endEpisode()
}

func (rp *replay) posting(i int, f spec.Effect) string {
	if !f.Amount.Valid || f.Amount.Decimal.Sign() <= 0 {
		return fmt.Sprintf("LED-6: posting %d has amount %s, want > 0", i, nullStr(f.Amount))
	}
	if f.From == f.To || !validAccountName(rp.before, f.From) || !validAccountName(rp.before, f.To) {
		return fmt.Sprintf("LED-3: posting %d from %q to %q: not two different ledger accounts", i, f.From, f.To)
	}
	if !postingReasons[f.Reason] {
		return fmt.Sprintf("LED-6: posting %d has reason %q", i, f.Reason)
	}
	amt := f.Amount.Decimal
	switch {
	case f.From == "external":
		if f.Reason != "deposit" {
			return fmt.Sprintf("LED-3: posting %d from external with reason %q", i, f.Reason)
		}
		rp.deposits = rp.deposits.Add(amt)
	case f.To == "external":
		if f.Reason != "withdraw" {
			return fmt.Sprintf("LED-3: posting %d to external with reason %q", i, f.Reason)
		}
		rp.withdrawals = rp.withdrawals.Add(amt)
	}
	if f.From != "external" {
		rp.b.add(f.From, amt.Neg())
	}
	if f.To != "external" {
		rp.b.add(f.To, amt)
	}
	if msg := rp.episodePosting(f); msg != "" {
		return msg
	}
	if l := rp.liq; l != nil {
		if l.pool == spec.Isolated && f.From == "wallet:"+l.id {
			return fmt.Sprintf("LQ-8: during the isolated liquidation of %s in %s, posting %d takes %s from its wallet (%s): the loss of an isolated position is capped at its margin",
				l.id, l.market, i, amt, f.Reason)
		}
		if f.Reason == "liquidation-fee" {
			if l.lastFill == nil {
				return fmt.Sprintf("LQ-4: liquidation fee (posting %d) before any liquidation fill of %s", i, l.id)
			}
			feeCap := upUnits(rateOf(rp.before.Markets[l.market].LiquidationFeeRate).Mul(l.lastFill.Size.Decimal).Mul(l.lastFill.Price.Decimal))
			if amt.GreaterThan(feeCap) {
				return fmt.Sprintf("LQ-4: liquidation fee %s of %s in %s exceeds up(rate * size * p) = %s", amt, l.id, l.market, feeCap)
			}
			if l.pool == spec.Isolated && rp.b.get(f.From).Sign() < 0 {
				return fmt.Sprintf("LQ-8: the liquidation fee %s of %s in %s exceeds its remaining isolated margin (%s after it)", amt, l.id, l.market, rp.b.get(f.From))
			}
			if e, ok := rp.crossEquity(l.id); l.pool == spec.Cross && ok && e.Sign() < 0 {
				return fmt.Sprintf("LQ-8: the liquidation fee %s of %s in %s exceeds the cross pool's remaining equity (%s after it)", amt, l.id, l.market, e)
			}
		}
	}
	return ""
}

func (rp *replay) fill(i int, f spec.Effect) string {
	accts := stateAccounts(rp.before)
	if _, ok := accts[f.Account]; !ok {
		return fmt.Sprintf("LED-6: fill %d names unknown account %q", i, f.Account)
	}
	if _, ok := accts[f.Counterparty]; !ok || f.Counterparty == f.Account {
		return fmt.Sprintf("LED-6: fill %d of %s has counterparty %q", i, f.Account, f.Counterparty)
	}
	if _, ok := rp.before.Markets[f.Market]; !ok {
		return fmt.Sprintf("LED-6: fill %d names unknown market %q", i, f.Market)
	}
	if !fillKinds[f.Kind] || (f.Side != spec.Long && f.Side != spec.Short) || !f.Size.Valid || f.Size.Decimal.Sign() <= 0 || !f.Price.Valid || f.Price.Decimal.Sign() < 0 || (f.Price.Decimal.IsZero() && f.Kind == "trade") {
		// (LQ-2: a long liquidated at a mark below tickSize executes at 0.)
		return fmt.Sprintf("LED-6: fill %d is malformed: %s", i, mustMarshal(f))
	}
	if l := rp.liq; l != nil && f.Kind == "adl" && !l.ranked {
		l.ranked = true
		if p := rp.b.pos[posKey(l.id, l.market)]; !p.x.IsZero() {
			l.ranking, l.rankingOK = rp.adlRanking(l.id, l.market, p.x.Sign())
		}
	}
	key := posKey(f.Account, f.Market)
	if rp.touched == nil {
		rp.touched = map[string]bool{}
	}
	rp.touched[key] = true
	p := rp.b.pos[key]
	d := f.Size.Decimal
	if f.Side == spec.Short {
		d = d.Neg()
	}
	reducing := !p.x.IsZero() && p.x.Sign() != d.Sign() && d.Abs().LessThanOrEqual(p.x.Abs())
	p.x = p.x.Add(d)
	rp.b.pos[key] = p
	if f.Kind == "trade" {
		if rp.ev.Type != spec.EventTrade {
			return fmt.Sprintf("LED-6: fill %d of kind trade in a %s event", i, rp.ev.Type)
		}
		return ""
	}
	l := rp.liq
	if l == nil {
		return fmt.Sprintf("LED-6: fill %d of kind %s is not preceded by a liquidation effect", i, f.Kind)
	}
	l.sawFill = true
	if rp.ep != nil && f.Account == rp.ep.id {
		rp.ep.kinds[f.Kind] = true
	}
	if f.Account == l.id {
		if f.Market != l.market {
			return fmt.Sprintf("LED-6: the liquidation of %s in %s has a fill of %s in %s", l.id, l.market, l.id, f.Market)
		}
		if !reducing {
			return fmt.Sprintf("LQ-4: the liquidation of %s in %s increases or flips its position (fill %d: %s %s)", l.id, l.market, i, f.Side, f.Size.Decimal)
		}
		l.traderSize = l.traderSize.Add(f.Size.Decimal)
		ff := f
		l.lastFill = &ff
		if f.Kind == "liquidation" {
			if f.Counterparty != spec.InsuranceAccount {
				return fmt.Sprintf("LQ-4: a liquidation fill of %s has counterparty %q, want %s", l.id, f.Counterparty, spec.InsuranceAccount)
			}
			if msg := rp.checkExecPrice(f); msg != "" {
				return msg
			}
		}
		return ""
	}
	if f.Account == spec.InsuranceAccount && f.Kind == "liquidation" {
		return ""
	}
	if f.Kind == "adl" {
		if f.Counterparty != l.id {
			return fmt.Sprintf("ADL-3: ADL fill %d of %s has counterparty %q, want the liquidated %s", i, f.Account, f.Counterparty, l.id)
		}
		if !reducing {
			return fmt.Sprintf("ADL-1: ADL fill %d increases or flips %s's %s position: counterparties must hold the opposite side (fill %s %s)",
				i, f.Account, f.Market, f.Side, f.Size.Decimal)
		}
		l.adlSize = l.adlSize.Add(f.Size.Decimal)
		l.adlFills = append(l.adlFills, adlFill{f.Account, f.Size.Decimal})
		return ""
	}
	return fmt.Sprintf("LED-6: fill %d of %s (kind %s) during the liquidation of %s", i, f.Account, f.Kind, l.id)
}

// checkExecPrice is LQ-2: a long liquidated at mark MP sells at
// tickDown(MP), a short buys at tickUp(MP).
func (rp *replay) checkExecPrice(f spec.Effect) string {
	mp := rp.after.Prices[f.Market].Mark
	if !mp.Valid {
		return "" // a computed mark; not generated by this suite
	}
	tick := rp.before.Markets[f.Market].TickSize
	want := specutil.FloorGrid(mp.Decimal, tick)
	if f.Side == spec.Long { // the trader buys back a short
		want = specutil.CeilGrid(mp.Decimal, tick)
	}
	if !f.Price.Decimal.Equal(want) {
		return fmt.Sprintf("LQ-2: %s's position in %s is liquidated at %s, want %s (mark %s, tick %s, against the trader)",
			f.Account, f.Market, f.Price.Decimal, want, mp.Decimal, tick)
	}
	return ""
}

func (rp *replay) liquidation(i int, f spec.Effect) string {
	if msg := rp.endLiquidation(); msg != "" {
		return msg
	}
	if rp.ev.Type != spec.EventPrice && rp.ev.Type != spec.EventFunding {
		return fmt.Sprintf("TRD-6/LQ-1: a %s event liquidated %s (only price and funding events run the sweep)", rp.ev.Type, f.Account)
	}
	if _, ok := rp.before.Accounts[f.Account]; !ok {
		return fmt.Sprintf("LED-2: liquidation effect %d names %q, not a trader account (the insurance fund is never liquidated)", i, f.Account)
	}
	p, ok := rp.b.pos[posKey(f.Account, f.Market)]
	if !ok || p.x.IsZero() {
		return fmt.Sprintf("LED-6: liquidation effect %d of %s in %s, which holds no position there", i, f.Account, f.Market)
	}
	if f.Pool != p.mode {
		return fmt.Sprintf("LED-6: liquidation effect %d of %s in %s says pool %q, the position is %s", i, f.Account, f.Market, f.Pool, p.mode)
	}
	first := rp.ep == nil || rp.ep.pool != spec.Cross || f.Pool != spec.Cross || rp.ep.id != f.Account
	if msg := rp.startEpisode(f); msg != "" {
		return msg
	}
	if msg := rp.checkTriggered(f, first); msg != "" {
		return msg
	}
	rp.liq = &liqBlock{id: f.Account, market: f.Market, pool: f.Pool}
	return ""
}

// endLiquidation closes the current liquidation block: the liquidated
// account has a fill, its position is closed whole (LQ-4), the ADL
// counterparties filled exactly its size (ADL-3), in the order of ADL-2.
func (rp *replay) endLiquidation() string {
	l := rp.liq
	if l == nil {
		return ""
	}
	rp.liq = nil
	if !l.sawFill || l.traderSize.IsZero() {
		return fmt.Sprintf("LED-6: the liquidation of %s in %s has no fill of the liquidated account", l.id, l.market)
	}
	if !l.adlSize.IsZero() && !l.adlSize.Equal(l.traderSize) {
		return fmt.Sprintf("ADL-3: the ADL counterparties of %s in %s filled %s, the liquidated position %s", l.id, l.market, l.adlSize, l.traderSize)
	}
	if l.rankingOK {
		for i := 0; i+1 < len(l.adlFills) && i+1 < len(l.ranking); i++ {
			if l.ranking[i].score.Cmp(l.ranking[i+1].score) == 0 {
				rp.e.hit("ADL-2 equal scores")
			}
		}
		if msg := checkADLOrder(l.id, l.market, l.ranking, l.adlFills); msg != "" {
			return msg
		}
	}
	if p := rp.b.pos[posKey(l.id, l.market)]; !p.x.IsZero() {
		return fmt.Sprintf("LQ-4: the liquidation of %s in %s leaves %s open (a liquidated position is closed whole)", l.id, l.market, p.x)
	}
	return ""
}

// compareWithAfter checks that the replayed book equals the state after
// the event (LED-6: the effects say everything the event did).
func (rp *replay) compareWithAfter() string {
	a := rp.afterBook
	names := map[string]bool{}
	for n := range a.bal {
		names[n] = true
	}
	for n := range rp.b.bal {
		names[n] = true
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if got, want := a.get(n), rp.b.get(n); !got.Equal(want) {
			return fmt.Sprintf("LED-6: %s is %s after the event, but the state before plus the postings gives %s", n, got, want)
		}
	}
	keys := map[string]bool{}
	for key := range a.pos {
		keys[key] = true
	}
	for key, p := range rp.b.pos {
		if !p.x.IsZero() {
			keys[key] = true
		}
	}
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		if got, want := a.pos[key].x, rp.b.pos[key].x; !got.Equal(want) {
			return fmt.Sprintf("LED-6: position %s is %s after the event, but the state before plus the fills gives %s", strings.Replace(key, "|", " in ", 1), got, want)
		}
	}
	return ""
}
