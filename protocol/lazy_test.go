package protocol_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/protocol"
)

// TestNotRunStartsNoProcess: Suite starts an engine process only for the
// properties that run (properties.Starter): an engine that declares few
// outputs (mode "declared": maintenanceMargin and effects) gets a process
// for the first property and for each property run, none for those not run
// for lack of an output or capability. The processes are counted by a
// shell wrapper that appends a line to a file before it execs the engine.
func TestNotRunStartsNoProcess(t *testing.T) {
	starts := filepath.Join(t.TempDir(), "starts")
	cmd := []string{"sh", "-c", `echo start >> "$1" && exec "$0"`, os.Args[0], starts}
	f, stop, err := protocol.Suite(cmd, protocol.Options{Env: []string{"PERPCHECK_TEST_ENGINE=declared"}})
	if err != nil {
		t.Fatal(err)
	}
	query := func(p properties.Property) bool { return !p.Ledger }
	res, _ := properties.Check(f, &properties.Config{Cases: 2, Seed: 1, Select: query})
	stop()
	ran, notRun := 0, 0
	for _, r := range res.Properties {
		if r.Status == properties.Skip && strings.HasPrefix(r.SkipReason, "needs ") {
			notRun++
		} else {
			ran++
		}
	}
	b, err := os.ReadFile(starts)
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(b), "start")
	t.Logf("%d properties run, %d not run, %d processes", ran, notRun, n)
	if notRun == 0 {
		t.Fatal("every property ran: the test needs some not run")
	}
	if res.Properties[0].Status == properties.Skip && strings.HasPrefix(res.Properties[0].SkipReason, "needs ") {
		ran++ // the first process is started by Suite whatever the first property
	}
	if n != ran {
		t.Errorf("%d processes for %d properties run; want one each", n, ran)
	}
}
