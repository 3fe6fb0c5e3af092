package spec

import "github.com/shopspring/decimal"

// This file holds the data types of the ledger (SPEC LED, TRD, FND, LQ, ADL):
// a multi-account state, the events applied to it, and the effects they produce.
// Like the scenario types they are the conformance boundary: the Go interface
// another engine implements, the JSON of test vectors and the CLI's input/output.

// InsuranceAccount is the account id of the insurance fund. Its wallet is the
// fund's balance; it holds the positions it takes over from liquidations
// (SPEC LQ-4). Trader account ids must not start with '@'.
const InsuranceAccount = "@insurance"

// State is everything the ledger moves: markets, prices, accounts and the
// system accounts. Scenario files for `perpcheck run` are a State plus Events.
type State struct {
	Markets  map[string]Market  `json:"markets"`
	Prices   map[string]Price   `json:"prices"`
	Accounts map[string]Account `json:"accounts"`
	// InsuranceFund is the fund's account (SPEC LED-2). Absent means empty.
	InsuranceFund Account `json:"insuranceFund"`
	// FeePool collects trading fees.
	FeePool decimal.Decimal `json:"feePool"`
	// Dust collects rounding remainders (funding, SPEC FND-3).
	Dust decimal.Decimal `json:"dust"`
	// Settlement is the counterpart of all realized PnL: it always equals minus
	// the signed sum of the open positions' entry values (SPEC LED-4). Absent
	// means derived.
	Settlement decimal.NullDecimal `json:"settlement"`
}

// Run is the input of `perpcheck run`: a state and the events to apply in order.
type Run struct {
	State
	Events []Event `json:"events"`
}

// EventType names an event (SPEC LED-5).
type EventType string

// The event types.
const (
	EventDeposit       EventType = "deposit"
	EventWithdraw      EventType = "withdraw"
	EventTrade         EventType = "trade"
	EventPrice         EventType = "price"
	EventFunding       EventType = "funding"
	EventAddMargin     EventType = "addMargin"
	EventRemoveMargin  EventType = "removeMargin"
	EventSetLeverage   EventType = "setLeverage"
	EventSetMarginMode EventType = "setMarginMode"
)

// Event is one ledger event. Which fields apply depends on Type (SPEC LED-5);
// a field that does not apply to the type must be absent.
type Event struct {
	Type    EventType `json:"type" strict:"required"`
	Account string    `json:"account,omitempty"`
	Market  string    `json:"market,omitempty"`
	// Amount: deposit, withdraw, addMargin, removeMargin.
	Amount decimal.NullDecimal `json:"amount"`
	// Trade: Buyer and Seller are account ids (one may be InsuranceAccount);
	// Maker is "buyer" or "seller" (absent: seller).
	Buyer  string              `json:"buyer,omitempty"`
	Seller string              `json:"seller,omitempty"`
	Size   decimal.NullDecimal `json:"size"`
	Price  decimal.NullDecimal `json:"price"`
	Maker  string              `json:"maker,omitempty"`
	// Price event: the new prices of Market (as in Price; absent mark is computed).
	Mark             decimal.NullDecimal `json:"mark"`
	Index            decimal.NullDecimal `json:"index"`
	Last             decimal.NullDecimal `json:"last"`
	FundingRate      decimal.NullDecimal `json:"fundingRate"`
	SecondsToFunding decimal.NullDecimal `json:"secondsToFunding"`
	BasisAverage     decimal.NullDecimal `json:"basisAverage"`
	// Funding: Rate per interval, positive means longs pay shorts.
	Rate decimal.NullDecimal `json:"rate"`
	// SetLeverage / SetMarginMode.
	Leverage   decimal.NullDecimal `json:"leverage"`
	MarginMode MarginMode          `json:"marginMode,omitempty"`
}

// EffectType names an effect (SPEC LED-6).
type EffectType string

// The effect types.
const (
	// EffectPosting moves Amount (> 0) from ledger account From to To.
	EffectPosting EffectType = "posting"
	// EffectFill changes a position: Account trades Size of Market at Price on Side.
	EffectFill EffectType = "fill"
	// EffectLiquidation records that a pool was liquidated (then fills and postings follow).
	EffectLiquidation EffectType = "liquidation"
)

// Effect is one consequence of an event, in the order it happened.
type Effect struct {
	// Event is the index of the event in the run that produced this effect.
	Event int        `json:"event"`
	Type  EffectType `json:"type"`
	// Posting: From and To are ledger account names (SPEC LED-3), Amount > 0,
	// Reason one of the LED-6 reasons.
	From   string              `json:"from,omitempty"`
	To     string              `json:"to,omitempty"`
	Amount decimal.NullDecimal `json:"amount"`
	Reason string              `json:"reason,omitempty"`
	// Fill and liquidation.
	Account string              `json:"account,omitempty"`
	Market  string              `json:"market,omitempty"`
	Side    Side                `json:"side,omitempty"`
	Size    decimal.NullDecimal `json:"size"`
	Price   decimal.NullDecimal `json:"price"`
	// Counterparty of a fill; Kind is "trade", "liquidation" or "adl".
	Counterparty string `json:"counterparty,omitempty"`
	Kind         string `json:"kind,omitempty"`
	// Liquidation: Pool is "cross" or "isolated".
	Pool MarginMode `json:"pool,omitempty"`
}

// AccountSettings are an account's per-market choices, kept when flat (SPEC LED-2).
type AccountSettings struct {
	Leverage   decimal.NullDecimal `json:"leverage"`
	MarginMode MarginMode          `json:"marginMode,omitempty"`
}
