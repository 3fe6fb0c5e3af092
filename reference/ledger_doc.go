package reference

// Ledger readings. SPEC LED, TRD, FND, LQ and ADL leave some choices open;
// this package reads them as literally as it can, and lists every choice here
// (each is also commented where it is made). model.Ledger must make the same
// ones for the differential test.
//
// Validation and errors
//
//   - NewLedger's order: markets, prices (EVAL-2 steps 1, 2); trader accounts
//     in id order (id: LED-1 at accounts.<id>; EVAL-2 step 3 at
//     accounts.<id>.…; settings in market order at accounts.<id>.settings.<m>
//     (POS-1, leverage NUM/POS-4, marginMode POS-3); then per position LED-1
//     tickSize*lotSize at .market, LED-1 size*entryPrice off the grid at
//     .entryPrice, LED-2 marginMode, LED-2 leverage); the insurance fund the
//     same at insuranceFund.… (walletBalance NUM only; isolated → LED-2);
//     feePool, dust (NUM, LED-1 >= 0); settlement (NUM, LED-4); open interest
//     per market in name order (LED-4 at markets.<m>).
//   - LED-2 is read literally: absent settings mean cross and POS-4's default
//     leverage, so a state position whose mode or leverage differs from its
//     market's settings is an error; settings are never inferred from
//     positions.
//   - Every event: unknown type → LED-5 at .type; a field that does not belong
//     to the type → LED-5 at that field, checked in the Event struct's field
//     order before the type's own fields. The type's fields are checked in
//     LED-5's order, NUM first. An unknown account → LED-5 (TRD-1 for buyer
//     and seller); an unknown market → POS-1 (account, margin, settings and
//     funding events), TRD-1 (trade), PRICE-1 (price). A missing rate or
//     amount → LED-5; a missing leverage → POS-4; a missing marginMode → POS-3.
//   - NUM-2 on reported values: after an event, each effect's amount, size,
//     price, then the state's values (as State writes them) must lie in
//     [-MAX, MAX]; otherwise the event fails with NUM-2 at events[<k>].<f>
//     (LED-7), f the amount, the trade's size, the price event's market, the
//     funding rate, the leverage or the margin mode, the value's own path
//     (events[<k>].effects[<i>].amount, accounts.<id>.walletBalance, …) in
//     the message. NewLedger checks the state's values (e.g. a derived
//     entryValue) last, at their state paths.
//
// State
//
//   - State(): positions in ascending market order; Leverage always given
//     (the setting, or POS-4's default); IsolatedMargin for isolated
//     positions only; EntryValue always; EntryPrice = V / size when that is
//     a multiple of 1e-8, else zero; Positions never nil; Settings as given
//     or set by events (an event creates an entry holding only the field it
//     sets; nil when there are none); prices as last given (a price event
//     replaces the entry); Settlement always Valid; decimals with exponent -8.
//   - Apply returns a non-nil (possibly empty) effect list on success, nil
//     with an error.
//
// Account events
//
//   - deposit and withdraw accept the insurance fund's id; the fund's
//     withdrawal bound is its wallet (it is never checked for margin, LED-2).
//   - withdraw (implicit in SPEC): amount <= min(WB, WB + Σ_cross min(U_i, 0)
//     − IM_cross), exact; otherwise POOL-6 at .amount.
//   - addMargin: no isolated position in the market → POS-5 at .market;
//     amount > wallet → ACC-1; cross pool E < IM afterwards → POOL-6.
//     removeMargin: amount > POOL-6's maxRemovableMargin → POOL-6.
//   - setLeverage makes no margin check. setMarginMode may not change the
//     mode of a market with an open position (LED-2); the fund may not choose
//     isolated (LED-2).
//
// Trades
//
//   - TRD-3's rejection applies to every isolated side of a trade whose
//     margin would end negative: a reduce (M' < 0) and also an open or
//     increase of a margin that funding had made negative.
//   - Checks: market (TRD-1 exists, TRD-1 has a price, LED-1 grid), buyer,
//     seller (TRD-1 exists, differs), size (NUM, LED-5 > 0, TRD-1 lot), price
//     (NUM, LED-5 > 0, TRD-1 tick), maker (LED-5). TRD-3 and TRD-5 errors are
//     at .buyer or .seller, the side that breaks them (buyer checked first).
//   - Effects: fill(buyer), fill(seller), the buyer's postings (realized-pnl,
//     then margin), the seller's, fee(buyer), fee(seller). A flip posts the
//     close's PnL and margin return, then the open's margin.
//   - The fee of a reducing side may leave the wallet negative (TRD-5 never
//     rejects a reduce); the next sweep covers a position-less cross pool
//     with a negative wallet (POOL-5 with MM = 0) by LQ-5 or LQ-7. Until then
//     (and when cross funding drains a wallet whose pool stays healthy on
//     unrealized profit) State() is not a valid NewLedger input: ACC-1 wants
//     walletBalance >= 0 of every trader (SPEC gap).
//
// Prices and funding
//
//   - A price event's fields replace the market's price entry as a whole.
//   - Funding: postings in account id order as each position is visited
//     (funding:<m> may be negative in between), the insurance fund's
//     positions included; a market without positions needs no price.
//   - SPEC gap: FND-2's payment is not capped by the isolated margin, and the
//     sweep liquidates only on E < MM, so a profitable isolated position can
//     keep a negative margin (TestFundingBeyondIsolatedMargin); Check reports
//     it.
//
// Liquidation
//
//   - A liquidation effect is recorded per position closed (with its market),
//     before that position's fills; a position-less pool gets none.
//   - LQ-3's solvency and LQ-5's "the fund can pay" are decided once, before
//     any close. The largest-loss order is computed once (marks do not move
//     during a sweep).
//   - LQ-4: the fund's side of a takeover is an ordinary cross position
//     update (it may reduce or flip the fund's position and realize PnL to
//     wallet:@insurance); fills are buyer first.
//   - LQ-5 and LQ-6 charge no liquidation fee. After an isolated ADL the
//     margin left (−r >= 0) moves to the wallet (reason margin).
//   - LQ-7 applies to any pool with r > 0 left, isolated ones included (an
//     isolated short whose bankruptcy price is below one tick).
//   - LQ-2 for a long whose mark is below one tick gives p = 0 (SPEC has no
//     floor there, unlike LQ-6's max(tickSize, …) for shorts).
//   - ADL: candidates are ranked once per liquidated position, before its
//     fills; E of ADL-2 is the candidate's pool equity (cross or isolated;
//     the fund's cross pool). A candidate's isolated reduce follows TRD-3
//     without the rejection: a negative M' share moves from the wallet.
//
// Portfolio margin (SPEC PM-14..18; ledger_pm.go)
//
//   - portfolio is a settings mode when the market offers it (POS-3) and
//     carries portfolioMargin (PM-2 at .marginMode), never the fund's
//     (LED-2). A trade side that opens from flat (not a flip) checks PM-2
//     first: no cross position beside a portfolio one, equal parameters per
//     underlying (PM-2 at .buyer/.seller).
//   - The wallet's pool is the portfolio pool when the account holds a
//     portfolio position: TRD-5 (the portfolio side's pool, and an isolated
//     side's "cross pool"), withdraw, addMargin. setLeverage makes no check
//     for a portfolio position. Funding is paid from and to the wallet.
//   - The sweep visits the portfolio pool in the cross pool's place (strict
//     E < MM of PM-10); the close order (units by descending MR1, ties by
//     underlying; largest loss first within a unit) is fixed when the
//     liquidation starts; LQ-4's cross loop re-checks PM-10 on the remaining
//     positions before each close. LQ-5/6/7 as for a cross pool. ADL-2's E of
//     a portfolio candidate is its portfolio pool's.
