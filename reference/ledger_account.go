package reference

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the events of LED-5 that move money between one account's
// ledger accounts and the outside, and that change its settings: deposit,
// withdraw, addMargin, removeMargin, setLeverage, setMarginMode.
//
// Fields are checked in the order LED-5 lists them; within a field the NUM
// checks come first (as in EVAL-2). An account named by an event must exist
// (rule LED-5); the insurance fund's id InsuranceAccount names its account
// like any other (a deposit to it funds the fund).

// deposit is LED-5 deposit {account, amount}: external -> wallet:<id>
// (reason deposit).
func (l *Ledger) deposit(k int, ev spec.Event) *spec.Error {
	a, verr := l.eventAccount(k, "account", ev.Account, "LED-5")
	if verr != nil {
		return verr
	}
	amount, verr := positiveAmount(k, "amount", ev.Amount)
	if verr != nil {
		return verr
	}
	l.post(externalAcct, walletAcct(a.id), amount, reasonDeposit)
	return nil
}

// withdrawable is the withdrawal bound of the cross wallet, which SPEC leaves
// implicit. Reading: POOL-6's logic applied to the cross pool (what remains
// must cover the cross pool's initial margin at the mark, unrealized profit is
// not withdrawable, unrealized loss counts):
//
//	min(WB, WB + sum over cross positions of min(U_i, 0) - IM_cross)
//
// exact (not rounded: the amount is compared with it exactly). For the
// insurance fund, which is never checked for margin (LED-2), it is WB.
func (l *Ledger) withdrawable(a *ledgerAccount) ratio {
	if a.id == spec.InsuranceAccount {
		return exact(a.wallet)
	}
	pl, qs := l.walletPoolOf(a) // PM-16: the portfolio pool when there is one
	losses := dec(0)
	for _, q := range qs {
		if l.mut == mutWithdrawProfit {
			losses = add(losses, q.u) // the bug: unrealized profit counts
			continue
		}
		losses = add(losses, minDec(q.u, dec(0)))
	}
	return minRatio(exact(a.wallet), exact(add(a.wallet, losses)).minus(pl.im))
}

// withdraw is LED-5 withdraw {account, amount}: wallet:<id> -> external
// (reason withdraw), allowed iff amount <= withdrawable (rule POOL-6 at
// .amount otherwise).
func (l *Ledger) withdraw(k int, ev spec.Event) *spec.Error {
	a, verr := l.eventAccount(k, "account", ev.Account, "LED-5")
	if verr != nil {
		return verr
	}
	amount, verr := positiveAmount(k, "amount", ev.Amount)
	if verr != nil {
		return verr
	}
	lim := amount
	if l.mut == mutWithdrawPlusUnit {
		lim = sub(amount, unit) // the bug: a limit one unit too high
	}
	if max := l.withdrawable(a); cmpRatio(exact(lim), max) > 0 {
		return fail(evPath(k, "amount"), "POOL-6", "withdrawal of %s exceeds the withdrawable %s (min(WB, WB + sum min(U, 0) - IM) of the cross pool)",
			str(amount), str(down(maxRatio(max, exact(dec(0))))))
	}
	l.post(walletAcct(a.id), externalAcct, amount, reasonWithdraw)
	return nil
}

// marginEvent reads the fields {account, market, amount} of addMargin and
// removeMargin: the account exists (LED-5), the market exists (POS-1), the
// account has an isolated position in it (POS-5), amount > 0 (LED-5).
func (l *Ledger) marginEvent(k int, ev spec.Event) (*ledgerAccount, string, *apd.Decimal, *spec.Error) {
	a, verr := l.eventAccount(k, "account", ev.Account, "LED-5")
	if verr != nil {
		return nil, "", nil, verr
	}
	if _, ok := l.markets[ev.Market]; !ok {
		return nil, "", nil, fail(evPath(k, "market"), "POS-1", "market %q is not in markets", ev.Market)
	}
	if _, open := a.positions[ev.Market]; !open || l.modeOf(a, ev.Market) != spec.Isolated {
		return nil, "", nil, fail(evPath(k, "market"), "POS-5", "account %q has no isolated position in %q", a.id, ev.Market)
	}
	amount, verr := positiveAmount(k, "amount", ev.Amount)
	if verr != nil {
		return nil, "", nil, verr
	}
	return a, ev.Market, amount, nil
}

// addMargin is LED-5 addMargin {account, market, amount}: wallet:<id> ->
// isolated:<id>:<market> (reason margin). The amount must be <= the wallet
// (ACC-1: the wallet stays >= 0), and the cross pool must satisfy E >= IM
// afterwards (exact, at the mark; rule POOL-6, the cross pool's analogue of
// "what remains must cover the initial margin").
func (l *Ledger) addMargin(k int, ev spec.Event) *spec.Error {
	a, m, amount, verr := l.marginEvent(k, ev)
	if verr != nil {
		return verr
	}
	if amount.Cmp(l.plusUnit(mutAddMarginPlusUnit, a.wallet)) > 0 {
		return fail(evPath(k, "amount"), "ACC-1", "amount %s exceeds the wallet %s", str(amount), str(a.wallet))
	}
	l.post(walletAcct(a.id), isolatedAcct(a.id, m), amount, reasonMargin)
	if pl, _ := l.walletPoolOf(a); cmpRatio(exact(pl.e), pl.im) < 0 {
		return fail(evPath(k, "amount"), "POOL-6", "the cross pool's equity %s would fall below its initial margin %s",
			str(pl.e), str(up(pl.im)))
	}
	return nil
}

// removeMargin is LED-5 removeMargin {account, market, amount}:
// isolated:<id>:<market> -> wallet:<id> (reason margin), allowed iff
// amount <= maxRemovableMargin of POOL-6 (rule POOL-6 otherwise).
func (l *Ledger) removeMargin(k int, ev spec.Event) *spec.Error {
	a, m, amount, verr := l.marginEvent(k, ev)
	if verr != nil {
		return verr
	}
	pl, q := l.isolatedPoolOf(a, m)
	if max := l.plusUnit(mutRemoveMarginPlusUnit, maxRemovableMargin(pl.base, q.u, q.im)); amount.Cmp(max) > 0 {
		return fail(evPath(k, "amount"), "POOL-6", "amount %s exceeds maxRemovableMargin %s", str(amount), str(max))
	}
	l.post(isolatedAcct(a.id, m), walletAcct(a.id), amount, reasonMargin)
	return nil
}

// settingsEvent reads {account, market} of setLeverage and setMarginMode:
// the account exists (LED-5), the market exists (POS-1).
func (l *Ledger) settingsEvent(k int, ev spec.Event) (*ledgerAccount, *market, *spec.Error) {
	a, verr := l.eventAccount(k, "account", ev.Account, "LED-5")
	if verr != nil {
		return nil, nil, verr
	}
	mkt, ok := l.markets[ev.Market]
	if !ok {
		return nil, nil, fail(evPath(k, "market"), "POS-1", "market %q is not in markets", ev.Market)
	}
	return a, mkt, nil
}

// setLeverage is LED-5 setLeverage {account, market, leverage}: the leverage
// must satisfy POS-4 (1 <= leverage <= maxLeverage_1; absent breaks POS-4).
// It becomes the account's setting for the market (LED-2), and so the
// leverage of an open position there; no money moves (an isolated position
// keeps its margin). LED-9:checked (default): when a trader with an open
// position in the market lowers its leverage, the pool holding the
// position must satisfy E >= IM afterwards (exact, at the mark), else rule
// LED-9 at .leverage. LED-9:unchecked: no check.
func (l *Ledger) setLeverage(k int, ev spec.Event) *spec.Error {
	a, mkt, verr := l.settingsEvent(k, ev)
	if verr != nil {
		return verr
	}
	lev, verr := numNull(ev.Leverage, evPath(k, "leverage"))
	if verr != nil {
		return verr
	}
	if lev == nil || lev.Cmp(dec(1)) < 0 || lev.Cmp(mkt.maxLeverage1()) > 0 {
		return fail(evPath(k, "leverage"), "POS-4", "leverage must be given and in [1, %s]", str(mkt.maxLeverage1()))
	}
	old := l.leverageOf(a, mkt.name)
	s := a.settings[mkt.name]
	s.leverage = lev
	a.settings[mkt.name] = s
	// PM-16: a portfolio position's IM does not depend on leverage: no check.
	if _, open := a.positions[mkt.name]; !open || a.id == spec.InsuranceAccount || l.modeOf(a, mkt.name) == spec.Portfolio ||
		l.variantsOf(mkt.name).setLeverage == spec.SetLeverageUnchecked || lev.Cmp(old) >= 0 {
		return nil
	}
	if pl := l.poolOf(a, mkt.name); cmpRatio(exact(pl.e), pl.im) < 0 {
		return fail(evPath(k, "leverage"), "LED-9", "at leverage %s the %s pool of %q has equity %s below its initial margin %s (shortfall %s)",
			str(lev), string(l.modeOf(a, mkt.name)), a.id, str(pl.e), str(up(pl.im)), str(up(pl.im.minus(exact(pl.e)))))
	}
	return nil
}

// setMarginMode is LED-5 setMarginMode {account, market, marginMode}: the
// mode must be cross or isolated and offered by the market (POS-3; absent
// breaks POS-3), cross for the insurance fund (LED-2). Because a position's
// mode equals its market's setting (LED-2), changing the mode of a market in
// which the account has an open position is an error (LED-2); setting the
// mode it already has is allowed and changes nothing but the setting.
func (l *Ledger) setMarginMode(k int, ev spec.Event) *spec.Error {
	a, mkt, verr := l.settingsEvent(k, ev)
	if verr != nil {
		return verr
	}
	fund := a.id == spec.InsuranceAccount
	if verr := checkMode(evPath(k, "marginMode"), ev.MarginMode, mkt, fund, false); verr != nil {
		return verr
	}
	if _, open := a.positions[mkt.name]; open && l.modeOf(a, mkt.name) != ev.MarginMode {
		return fail(evPath(k, "marginMode"), "LED-2", "account %q has an open %s position in %q; its margin mode cannot change",
			a.id, string(l.modeOf(a, mkt.name)), mkt.name)
	}
	s := a.settings[mkt.name]
	s.mode = ev.MarginMode
	a.settings[mkt.name] = s
	return nil
}
