package properties

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestSpecRuleIDs keeps the rule ids a *model.Error may name (bad-input
// property) in sync with SPEC.md.
func TestSpecRuleIDs(t *testing.T) {
	b, err := os.ReadFile("../SPEC.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^- \*\*([A-Z]+-[0-9]+)\b`).FindAllStringSubmatch(string(b), -1) {
		if !specRuleIDs[m[1]] && !strings.HasPrefix(m[1], "OPEN-") {
			t.Errorf("SPEC.md defines %s, which specRuleIDs (compare.go) lacks", m[1])
		}
	}
}
