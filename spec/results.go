package spec

// EventResult is the outcome of one event of a run: Error is nil when the
// event applied, else the rejection. Its JSON is {"event": k} or
// {"event": k, "error": {"path", "rule", "msg"}} (Error's JSON tags).
type EventResult struct {
	Event int    `json:"event"`
	Error *Error `json:"error,omitempty"`
}

// The reasons a price is absent (SPEC LIQ-3, LIQ-6, LIQ-7, BKR-2, BKR-3).
const (
	ReasonNeverLiquidatable  = "never-liquidatable"
	ReasonAlwaysLiquidatable = "always-liquidatable"
	ReasonNeverBankrupt      = "never-bankrupt"
	ReasonAlwaysBankrupt     = "always-bankrupt"
	ReasonOutOfRange         = "out-of-range"
)
