package fuzz

import (
	"encoding/json"
	"fmt"

	"github.com/perpcheck/perpcheck/properties/gen"
)

// pmJSONSeeds are the seeds of the PMJSON target: the published portfolio
// examples (gen.PMGolden) and random portfolio accounts (gen.PMScenario,
// fixed seeds), as scenario JSON.
func pmJSONSeeds() []corpusSeed {
	var out []corpusSeed
	for _, name := range []string{"okx-mr7", "deribit-calendar", "span-long"} {
		b, err := json.Marshal(gen.PMGolden(name))
		if err != nil {
			panic(err)
		}
		out = append(out, corpusSeed{"pm-golden-" + name, b})
	}
	g := gen.PMScenario(gen.PMConfig{Underlyings: 3, Isolated: true})
	for seed := range 8 {
		b, err := json.Marshal(g.Example(seed))
		if err != nil {
			panic(err)
		}
		out = append(out, corpusSeed{fmt.Sprintf("pm-random-%d", seed), b})
	}
	return out
}
