package vectors

import (
	"github.com/perpcheck/perpcheck/spec"
)

// Version is the version of the vector format and of the directory that
// holds it (vectors/v1). A change that a runner written for v1 could not
// read is v2.
const Version = "v1"

// GeneratorVersion names what wrote the vectors: the reference (package
// reference, the apd transcription of SPEC.md) driven by this package's
// fixed seeds. It changes when the generation changes in a way that is not
// a new vector (a different seed, a different derivation of rules).
const GeneratorVersion = "perpcheck-vectors/1 (reference, fixed seeds)"

// The values of a test's result (Wycheproof's "valid" and "invalid"; v1 has
// no "acceptable": SPEC.md leaves no choice where a vector is written).
const (
	ResultValid   = "valid"
	ResultInvalid = "invalid"
)

// The file kinds, as in MANIFEST.json.
const (
	KindQuery  = "query"
	KindLedger = "ledger"
	KindSchema = "schema"
)

// FileHeader is what every vector file starts with (Wycheproof's header).
type FileHeader struct {
	// Schema names the JSON Schema of the file (query.schema.json,
	// ledger.schema.json).
	Schema string `json:"schema"`
	// GeneratorVersion is GeneratorVersion at the time of writing.
	GeneratorVersion string `json:"generatorVersion"`
	// Area is the SPEC area the file is grouped under (e.g. "LIQ").
	Area string `json:"area"`
	// Suite names the file within its area (e.g. "near-liquidation").
	Suite string `json:"suite"`
	// NumberOfTests is the number of tests in all groups.
	NumberOfTests int `json:"numberOfTests"`
	// Header says in words what the file holds.
	Header []string `json:"header"`
	// Notes explains every flag used in the file.
	Notes map[string]string `json:"notes"`
}

// QueryFile is a file of query vectors: query/<AREA>/<suite>.json.
type QueryFile struct {
	FileHeader
	// TestGroups hold the tests, grouped by the capabilities they require.
	TestGroups []QueryGroup `json:"testGroups"`
}

// QueryGroup is a group of query tests that require the same capabilities.
type QueryGroup struct {
	// Type is always "QueryTest".
	Type string `json:"type"`
	// Requires lists the capabilities (PROTOCOL.md PR-5's names, plus
	// "raw-json") an engine needs to run the group; a runner that lacks one
	// reports the group's tests as skipped.
	Requires []string `json:"requires"`
	// Tests are the group's tests, in tcId order.
	Tests []QueryTest `json:"tests"`
}

// QueryTest is one query vector: a scenario and its expected report or
// error.
type QueryTest struct {
	// TcID is the test's number, unique within the file, from 1.
	TcID int `json:"tcId"`
	// Rules are the SPEC rule ids the test exercises.
	Rules []string `json:"rules"`
	// Comment says what the test is, in words.
	Comment string `json:"comment"`
	// Flags mark properties of the test; the file's notes explain them.
	Flags []string `json:"flags"`
	// Scenario is the input: a scenario of SPEC with every market in full
	// (PROTOCOL.md PR-6). Exactly one of Scenario and ScenarioText is set.
	Scenario *spec.Scenario `json:"scenario,omitempty"`
	// ScenarioText is the input as JSON text, in groups that require
	// "raw-json": the engine must read it itself (SPEC NUM-5, EVAL-4), and
	// it may break EVAL-4 on purpose (unknown fields, duplicate keys,
	// decimals outside the grammar).
	ScenarioText string `json:"scenarioText,omitempty"`
	// Result is "valid" (Expected.Report) or "invalid" (Expected.Error).
	Result string `json:"result"`
	// Expected is the report or the error.
	Expected QueryExpected `json:"expected"`
}

// QueryExpected is a query test's expected outcome: exactly one of Report
// and Error is set.
type QueryExpected struct {
	Report *spec.Report   `json:"report,omitempty"`
	Error  *ExpectedError `json:"error,omitempty"`
}

// ExpectedError is the error an input must be rejected with: the JSON path
// and the SPEC rule of the first violation (SPEC EVAL-2, EVAL-3). The
// message is free text and is not compared.
type ExpectedError struct {
	Path string `json:"path"`
	Rule string `json:"rule"`
}

// LedgerFile is a file of ledger vectors: ledger/<AREA>/<suite>.json.
type LedgerFile struct {
	FileHeader
	// TestGroups hold the tests, grouped by the capabilities they require.
	TestGroups []LedgerGroup `json:"testGroups"`
}

// LedgerGroup is a group of ledger tests that require the same
// capabilities (always "ledger").
type LedgerGroup struct {
	// Type is always "LedgerTest".
	Type     string       `json:"type"`
	Requires []string     `json:"requires"`
	Tests    []LedgerTest `json:"tests"`
}

// LedgerTest is one ledger vector, laid out like Ethereum's
// consensus-spec-tests: the pre state, the events, the outcome of each event
// and the post state. Result "invalid" means the pre state itself must be
// rejected (Error); then Expected and Post are absent.
type LedgerTest struct {
	TcID    int          `json:"tcId"`
	Rules   []string     `json:"rules"`
	Comment string       `json:"comment"`
	Flags   []string     `json:"flags"`
	Pre     *spec.State  `json:"pre"`
	Events  []spec.Event `json:"events"`
	Result  string       `json:"result"`
	// Expected has one outcome per event, in order.
	Expected []EventOutcome `json:"expected,omitempty"`
	// Post is the state after every event.
	Post *spec.State `json:"post,omitempty"`
	// Error is the rejection of an invalid pre state.
	Error *ExpectedError `json:"error,omitempty"`
}

// EventOutcome is what one event does: its effects (possibly none), or the
// error it is rejected with, in which case it changes nothing (SPEC LED-7).
type EventOutcome struct {
	Effects *[]spec.Effect `json:"effects,omitempty"`
	Error   *ExpectedError `json:"error,omitempty"`
}

// Manifest is MANIFEST.json: every file of the directory but itself.
type Manifest struct {
	Schema           string `json:"schema"`
	Version          string `json:"version"`
	GeneratorVersion string `json:"generatorVersion"`
	// NumberOfTests is the sum over the files.
	NumberOfTests int            `json:"numberOfTests"`
	Files         []ManifestFile `json:"files"`
}

// ManifestFile is one file of the manifest.
type ManifestFile struct {
	// Path is relative to the directory, with forward slashes.
	Path string `json:"path"`
	// Kind is "query", "ledger" or "schema".
	Kind string `json:"kind"`
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// NumberOfTests is the file's numberOfTests (0 for a schema).
	NumberOfTests int `json:"numberOfTests"`
}
