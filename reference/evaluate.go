package reference

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Evaluate returns the report of SPEC RPT for s, or a *spec.Error per SPEC
// EVAL: the first violation in the order of EVAL-2, with the paths of EVAL-3.
//
// Evaluate never modifies s, never panics and never returns a partial report
// (EVAL-1). A nil s is an error. An internal inconsistency of this package
// (a bug, never a property of the input) is returned as a plain error that is
// not a *spec.Error.
func Evaluate(s *spec.Scenario) (rep *spec.Report, err error) {
	return evaluate(s, noMutation)
}

// evaluate is Evaluate with a mutation (mutant.go); noMutation is Evaluate.
func evaluate(s *spec.Scenario, mut mutant) (rep *spec.Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			rep = nil
			if b, ok := r.(bug); ok {
				err = errors.New(b.String())
			} else {
				err = fmt.Errorf("reference: internal error: %v", r)
			}
		}
	}()
	if s == nil {
		return nil, &spec.Error{Path: "", Rule: "EVAL-1", Msg: "nil scenario"}
	}
	// EVAL-2 steps 1..3: the input.
	in, verr := validateMut(s, mut)
	if verr != nil {
		return nil, verr
	}
	r := compute(in)
	// EVAL-2 steps 4..5: NUM-2 on the reported values.
	if mut == mutWrapOverflow {
		r.wrap()
	} else if verr := checkReported(r); verr != nil {
		return nil, verr
	}
	return r.report(in), nil
}

// positionResult is one position's reported values (RPT-1), as exact apd
// decimals already rounded as SPEC reports them.
type positionResult struct {
	notional, unrealizedPnl, leverage, initialMargin, maintenanceMargin *apd.Decimal
	tier                                                                int // 0-based
	liq, bkr                                                            reportedPrice
	isolatedMargin, maxRemovableMargin                                  *apd.Decimal // nil for cross
}

// poolResult is one pool's reported values (RPT-2), rounded.
type poolResult struct {
	mode                                            spec.MarginMode
	position                                        int
	equity, initialMargin, maintenanceMargin, avail *apd.Decimal
	marginRatio                                     *apd.Decimal // nil when null
	liquidatable                                    bool
}

// result is the whole report before conversion to shopspring decimals.
type result struct {
	positions []positionResult
	pools     []poolResult
	pm        *pmReported // PM-13, nil without a portfolio position (pm.go)
}

// compute evaluates QTY, POOL, LIQ and BKR for a validated input; it rounds
// each quantity once, where it is reported (NUM-3).
func compute(in *input) *result {
	// QTY: exact per-position quantities at the mark.
	qs := make([]quantities, len(in.positions))
	for i, p := range in.positions {
		qs[i] = positionQuantities(p)
	}
	// POOL (RPT-2): the cross pool first, then each isolated position in order.
	pools := []pool{crossPool(in.wallet, in.positions, qs)}
	pools[0].atEq = in.atEq
	poolOf := make([]int, len(in.positions)) // index into pools of each position
	for i, p := range in.positions {
		if p.mode == spec.Isolated {
			poolOf[i] = len(pools)
			ip := isolatedPool(i, p, qs[i])
			ip.atEq = in.atEq
			pools = append(pools, in.mut.isolatedPool(ip, in.wallet))
		}
	}

	r := &result{}
	for i, p := range in.positions {
		q := qs[i]
		pl := pools[poolOf[i]]
		pr := positionResult{
			notional:          down(exact(q.n)),
			unrealizedPnl:     in.mut.roundPnl(q.u),
			leverage:          q.lEff,
			initialMargin:     in.mut.roundIM(q.im),
			maintenanceMargin: in.mut.roundMM(q.mm),
			tier:              q.tier,
			liq:               liquidationPrice(p.mkt, in.atEq, p.s, p.q, p.qep, in.mut.liquidationK(pl, i, qs), bankruptcyK0(pl, i, qs)),
			bkr:               bankruptcyPrice(p.mkt, p.s, p.q, p.qep, bankruptcyK0(pl, i, qs)),
		}
		if p.mode == spec.Portfolio { // PM-12
			pr.liq, pr.bkr = reportedPrice{reason: spec.ReasonPortfolio}, reportedPrice{reason: spec.ReasonPortfolio}
		}
		if p.mode == spec.Isolated {
			pr.isolatedMargin = p.margin
			pr.maxRemovableMargin = in.mut.maxRemovableMargin(p.margin, q.u, q.im)
		}
		r.positions = append(r.positions, pr)
	}
	for _, pl := range pools {
		ratio := in.mut.marginRatio(pl)
		r.pools = append(r.pools, poolResult{
			mode:              pl.mode,
			position:          pl.position,
			equity:            down(exact(pl.e)),
			initialMargin:     in.mut.roundIM(pl.im),
			maintenanceMargin: in.mut.roundMM(pl.mm),
			avail:             available(pl),
			marginRatio:       ratio,
			liquidatable:      in.mut.liquidatable(pl),
		})
	}
	r.pm = roundPortfolio(computePortfolio(in, qs))
	return r
}

// checkReported is EVAL-2 steps 4 and 5: NUM-2 on the reported values, each
// position in order (notional, unrealizedPnl, initialMargin,
// maintenanceMargin, isolatedMargin, maxRemovableMargin), then each pool in
// order (equity, initialMargin, maintenanceMargin, available), at the report
// paths of EVAL-3. Prices that LIQ-7 / BKR-3 / POOL-4 null out are not errors.
func checkReported(r *result) *spec.Error {
	type field struct {
		name string
		v    *apd.Decimal
	}
	check := func(prefix string, fields []field) *spec.Error {
		for _, f := range fields {
			if f.v != nil && !inRange(f.v) {
				return fail(prefix+"."+f.name, "NUM-2", "reported value %s is outside [-MAX, MAX], MAX = 92233720368.54775807", str(f.v))
			}
		}
		return nil
	}
	for i, p := range r.positions {
		if err := check(fmt.Sprintf("positions[%d]", i), []field{
			{"notional", p.notional},
			{"unrealizedPnl", p.unrealizedPnl},
			{"initialMargin", p.initialMargin},
			{"maintenanceMargin", p.maintenanceMargin},
			{"isolatedMargin", p.isolatedMargin},
			{"maxRemovableMargin", p.maxRemovableMargin},
		}); err != nil {
			return err
		}
	}
	for k, pl := range r.pools {
		if err := check(fmt.Sprintf("pools[%d]", k), []field{
			{"equity", pl.equity},
			{"initialMargin", pl.initialMargin},
			{"maintenanceMargin", pl.maintenanceMargin},
			{"available", pl.avail},
		}); err != nil {
			return err
		}
	}
	return checkPortfolio(r.pm) // step 6 (PM-13)
}

// nullable converts an optional reported value.
func nullable(x *apd.Decimal) decimal.NullDecimal {
	if x == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: toDecimal(x), Valid: true}
}

// report builds the spec.Report of RPT-1..3.
func (r *result) report(in *input) *spec.Report {
	rep := &spec.Report{
		Prices:    map[string]spec.PriceReport{},
		Positions: []spec.PositionReport{},
		Pools:     []spec.PoolReport{},
	}
	// RPT-3: the mark of every market in the scenario's prices.
	for name, pr := range in.prices {
		rep.Prices[name] = spec.PriceReport{Mark: toDecimal(pr.mark), Computed: pr.computed}
	}
	// RPT-1: one entry per position, same order.
	for i, p := range r.positions {
		src := in.positions[i]
		rep.Positions = append(rep.Positions, spec.PositionReport{
			Market:                 src.mkt.name,
			Side:                   src.side,
			MarginMode:             src.mode,
			Notional:               toDecimal(p.notional),
			UnrealizedPnl:          toDecimal(p.unrealizedPnl),
			Leverage:               toDecimal(p.leverage),
			InitialMargin:          toDecimal(p.initialMargin),
			MaintenanceMargin:      toDecimal(p.maintenanceMargin),
			Tier:                   p.tier + 1, // TIER-7: reported 1-based
			LiquidationPrice:       nullable(p.liq.tick),
			LiquidationPriceExact:  nullable(p.liq.exact),
			LiquidationPriceReason: p.liq.reason,
			BankruptcyPrice:        nullable(p.bkr.tick),
			BankruptcyPriceReason:  p.bkr.reason,
			IsolatedMargin:         nullable(p.isolatedMargin),
			MaxRemovableMargin:     nullable(p.maxRemovableMargin),
		})
	}
	// RPT-2: the cross pool (position -1), then one pool per isolated position.
	for _, pl := range r.pools {
		rep.Pools = append(rep.Pools, spec.PoolReport{
			Pool:              pl.mode,
			Position:          pl.position,
			Equity:            toDecimal(pl.equity),
			InitialMargin:     toDecimal(pl.initialMargin),
			MaintenanceMargin: toDecimal(pl.maintenanceMargin),
			Available:         toDecimal(pl.avail),
			MarginRatio:       nullable(pl.marginRatio),
			Liquidatable:      pl.liquidatable,
		})
	}
	rep.Portfolio = portfolioReport(r.pm)
	return rep
}
