package protocol_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/protocol"
)

// TestInitDeclarationsParse: init_ok's variants take a name or a list per
// rule, and outputs a list (exactly those) or an object (false: lacking).
func TestInitDeclarationsParse(t *testing.T) {
	var info protocol.Info
	raw := `{"engine":"e","version":"1","capabilities":[],"variants":{"LQ-4":"insurance","TRD-4":["wallet","position"]},"outputs":{"liquidationPrice":false,"effects":false}}`
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		t.Fatal(err)
	}
	if got := info.Variants["LQ-4"]; !slices.Equal(got, []string{"insurance"}) {
		t.Errorf("variants LQ-4: %v", got)
	}
	if got := info.Variants["TRD-4"]; !slices.Equal(got, []string{"wallet", "position"}) {
		t.Errorf("variants TRD-4: %v", got)
	}
	if info.Outputs["liquidationPrice"] || info.Outputs["effects"] || !info.Outputs["maintenanceMargin"] || !info.Outputs["bankruptcyPrice"] {
		t.Errorf("outputs object: %v; want every output but liquidationPrice and effects", info.Outputs)
	}
	if err := json.Unmarshal([]byte(`{"outputs":["maintenanceMargin"]}`), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Outputs) != 1 || !info.Outputs["maintenanceMargin"] {
		t.Errorf("outputs list: %v; want maintenanceMargin only", info.Outputs)
	}
	if err := json.Unmarshal([]byte(`{"variants":{"LQ-4":3}}`), &info); err == nil {
		t.Error("a variant that is a number was accepted")
	}
}

// TestInitDeclarationsReachTheSuite: the variants and outputs an engine
// declares in init_ok become the suite's capabilities (so the generators
// draw the declared variants and the properties needing undeclared
// outputs are not run).
func TestInitDeclarationsReachTheSuite(t *testing.T) {
	e := startEngine(t, "declared", 10*time.Second)
	_, caps := protocol.Adapt(e)
	for _, want := range []properties.Capability{
		properties.VariantCapability("LQ-4", "trader"), properties.VariantCapability("LQ-4", "insurance"),
		properties.OutputCapability("maintenanceMargin"), properties.OutputCapability("effects"), "isolated",
		properties.GridCapability("size", "0.001"),
	} {
		if !slices.Contains(caps, want) {
			t.Errorf("Adapt's capabilities %v lack %s", caps, want)
		}
	}
	if slices.Contains(caps, properties.OutputCapability("liquidationPrice")) {
		t.Errorf("Adapt declares liquidationPrice, which the engine does not compute")
	}
}

// TestNotSupportedAnswerIsNotRun: an engine answering code 10 on a valid
// scenario gets the property reported as not run with its reason, never
// as passed or failed.
func TestNotSupportedAnswerIsNotRun(t *testing.T) {
	f, stop, err := protocol.Suite([]string{os.Args[0]}, protocol.Options{Env: []string{"PERPCHECK_TEST_ENGINE=entry-unsupported"}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := properties.Check(f, &properties.Config{Cases: 20, Seed: 3, Select: func(p properties.Property) bool {
		return p.ID == "EVAL-2/differential" || p.ID == "TIER-5/im-covers-mm"
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Properties {
		switch r.ID {
		case "EVAL-2/differential":
			if r.Status != properties.Skip || !strings.Contains(r.SkipReason, "not supported") || !strings.Contains(r.SkipReason, "mmBasis entry") {
				t.Errorf("%s: %s %q; want not run with the engine's reason", r.ID, r.Status, r.SkipReason)
			}
		default:
			if r.Status != properties.Pass {
				t.Errorf("%s: %s %q", r.ID, r.Status, r.SkipReason)
			}
		}
	}
}

// TestInitTimeout: init has its own timeout (PR-9), longer than the
// per-request one by default, so a slow-starting engine is not a failure.
func TestInitTimeout(t *testing.T) {
	env := []string{"PERPCHECK_TEST_ENGINE=slow-init"}
	e, err := protocol.Start([]string{os.Args[0]}, protocol.Options{Timeout: 100 * time.Millisecond, Env: env})
	if err != nil {
		t.Fatalf("a 400 ms start with a 100 ms request timeout and the default init timeout: %v", err)
	}
	e.Close()
	_, err = protocol.Start([]string{os.Args[0]}, protocol.Options{Timeout: 10 * time.Second, InitTimeout: 100 * time.Millisecond, Env: env})
	if err == nil || !strings.Contains(err.Error(), "no answer to init within 100ms") {
		t.Fatalf("InitTimeout 100ms on a 400 ms start: %v; want the init timeout", err)
	}
}
