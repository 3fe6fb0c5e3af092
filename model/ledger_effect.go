package model

import "github.com/perpcheck/perpcheck/spec"

// LedgerEffect is one effect of a ledger event (SPEC LED-6) in fixed-point
// form: the same fields as spec.Effect, with the amount, size and price as
// Fixed values instead of heap-allocated decimals. Ledger.ApplyAppend
// produces it without allocating; Spec converts it to the JSON contract
// (spec.Effect) at the edge. Which of Amount, Size and Price are meaningful
// depends on Type, as in spec.Effect: Amount for a posting, Size and Price
// for a fill, none for a liquidation.
type LedgerEffect struct {
	// Event is the index of the event that produced this effect (the
	// number of events previously passed to the ledger, failed ones
	// included).
	Event int
	// Type is the kind of effect.
	Type spec.EffectType
	// From and To are the ledger accounts of a posting (SPEC LED-3), Amount
	// (> 0) the amount moved and Reason one of the LED-6 reasons.
	From, To string
	Amount   Fixed
	Reason   string
	// Account and Market of a fill or a liquidation; Side, Size and Price
	// of a fill.
	Account, Market string
	Side            spec.Side
	Size, Price     Fixed
	// Counterparty and Kind ("trade", "liquidation" or "adl") of a fill.
	Counterparty, Kind string
	// Pool of a liquidation: "cross" or "isolated".
	Pool spec.MarginMode
}

// Spec returns e as the JSON contract's spec.Effect (the decimals it
// allocates are the only cost of the conversion). Ledger.Apply returns
// exactly the Spec of each effect ApplyAppend produces.
func (e *LedgerEffect) Spec() spec.Effect {
	out := spec.Effect{Event: e.Event, Type: e.Type, From: e.From, To: e.To, Reason: e.Reason,
		Account: e.Account, Market: e.Market, Side: e.Side, Counterparty: e.Counterparty, Kind: e.Kind, Pool: e.Pool}
	switch e.Type {
	case spec.EffectPosting:
		out.Amount = nullDec(e.Amount)
	case spec.EffectFill:
		out.Size, out.Price = nullDec(e.Size), nullDec(e.Price)
	}
	return out
}
