package properties

// outputNeeds are the outputs (OutputCapability) each property reads: the
// report fields whose values its verdict depends on and, for a ledger
// property, "effects" and "states". A property whose needs an engine does
// not declare is not run; one that needs none runs on any engine (it judges
// input validation, determinism or consistency between two evaluations,
// which holds for the fields an engine takes from elsewhere as for its own).
// TestOutputNeedsComplete runs each listed query property against the model
// with every other report field made wrong, and each listed ledger property
// against a ledger without effects when it does not list them: each still
// passes, so it reads nothing it does not list. A property not listed here
// gets outputsNeeded's coarse default; the differential properties
// (comparesDeclared) compare the declared outputs only and are not listed.
//
// The ledger properties other than LED-4/stateful-invariants and
// FND-3/funding-split judge states only: their step checks (effects
// replayed, the engine's own queries; checkStep) run when the engine also
// declares stepOutputs, and are left out otherwise.
var outputNeeds = map[string][]string{
	"NUM-4/position-rounding":                {"notional", "unrealizedPnl", "leverage", "initialMargin", "maintenanceMargin", "tier", "isolatedMargin", "maxRemovableMargin"},
	"NUM-4/pool-rounding":                    {"initialMargin", "maintenanceMargin", "equity", "available", "marginRatio", "liquidatable"},
	"NUM-2/reported-range":                   {"notional", "unrealizedPnl", "leverage", "initialMargin", "maintenanceMargin", "tier", "isolatedMargin", "maxRemovableMargin", "equity", "available", "marginRatio", "liquidatable"},
	"LIQ-5/root-bracketing":                  {"liquidationPrice", "liquidationPriceExact", "liquidationPriceReason", "bankruptcyPrice", "bankruptcyPriceReason"},
	"LIQ-6/tick-agreement":                   {"liquidationPrice", "liquidationPriceExact", "liquidatable"},
	"LIQ-2/trigger-side":                     {"liquidationPriceExact", "liquidationPriceReason", "liquidatable"},
	"BKR-3/tick-agreement":                   {"bankruptcyPrice", "equity"},
	"TIER-8/mm-continuous-monotone":          {"maintenanceMargin"},
	"TIER-7/boundary-lookup":                 {"leverage", "initialMargin", "tier"},
	"TIER-5/im-covers-mm":                    {"initialMargin", "maintenanceMargin"},
	"QTY-3/leverage-cap":                     {"leverage", "initialMargin"},
	"LIQ-8/cross-leverage":                   {"maintenanceMargin", "liquidationPrice", "liquidationPriceExact", "liquidationPriceReason", "bankruptcyPrice", "bankruptcyPriceReason", "equity", "liquidatable"},
	"LIQ-1/isolated-leverage":                {"liquidationPrice", "liquidationPriceExact", "liquidationPriceReason"},
	"LIQ-1/isolated-margin":                  {"liquidationPrice", "liquidationPriceExact", "liquidationPriceReason", "isolatedMargin", "maxRemovableMargin"},
	"POOL-2/isolated-independence":           reportOutputs,
	"LIQ-4/mirror":                           reportOutputs,
	"LIQ-1/scale-invariance":                 {"notional", "leverage", "tier", "liquidationPrice", "liquidationPriceExact", "liquidationPriceReason", "bankruptcyPrice", "bankruptcyPriceReason", "isolatedMargin", "marginRatio", "liquidatable"},
	"POOL-5/strict-trigger":                  {"liquidatable"},
	"POOL-5:at-equality/trigger":             {"liquidatable"},
	"TIER-7:upper-inclusive/boundary-lookup": {"leverage", "initialMargin", "tier"},
	"TIER-8:flat/mm":                         {"maintenanceMargin"},
	"TIER-8:flat/short-jump":                 {"liquidationPrice", "liquidationPriceExact"},
	"QTY-5:taker/mm":                         {"maintenanceMargin", "liquidationPriceExact", "liquidationPriceReason"},
	"VAR-1/validation":                       {},
	"PM-1/validation":                        {},
	"MARK-3/computed-mark":                   {},
	"EVAL-1/no-mutation":                     {},
	"EVAL-1/bad-input":                       {},
	"EVAL-2/error-paths":                     {},
	"RPT-1/report-shape":                     reportOutputs,
	"NUM-6/representation":                   {},
	"NUM-5/json-transport":                   {},

	"LED-4/stateful-invariants":    append([]string{"states"}, stepOutputs...),
	"LED-6/differential-ledger":    {"states"},
	"TRD-2/split-vs-whole":         {"states"},
	"FND-3/funding-split":          {"states", "effects"},
	"LED-8/determinism-and-reload": {"states"},
	"LED-9/path-independence":      {"states"},
}

// reportOutputs are the report fields (every output but effects and states).
var reportOutputs = outputNames[:len(outputNames)-2]

// stepOutputs are the outputs the step checks of a ledger run read
// (checkStep): the effects, and the engine's own query of an account after
// a withdrawal, a trade, a leverage change or a sweep (LED-9, TRD-5, LQ-1).
var stepOutputs = []string{"effects", "unrealizedPnl", "initialMargin", "equity", "liquidatable"}
