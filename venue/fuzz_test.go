package venue

import (
	"bytes"
	"math/rand"
	"testing"
)

// fuzzSeeds are starting points for the fuzzer and the random test.
var fuzzSeeds = []string{
	`{"S": [{"tier": 1, "minNotional": 0, "maxNotional": 50000, "maintenanceMarginRate": 0.004, "maxLeverage": 125, "info": {"cum": "0"}}]}`,
	`{"S": [{"tier": 1, "minNotional": "0", "maxNotional": "1e400", "maintenanceMarginRate": "0.5", "maxLeverage": "1"}]}`,
	`{"S": [null, [], {}, 1, "x"]}`,
	`{}`,
	`[]`,
}

// checkLoad runs LoadCCXT on data: it must not panic, must return either an
// error or tables, and every table it returns must pass the independent
// TIER-1..6 check.
func checkLoad(t *testing.T, data []byte) {
	tables, err := LoadCCXT(bytes.NewReader(data))
	if err != nil {
		if tables != nil {
			t.Fatalf("tables returned with error %v", err)
		}
		return
	}
	for sym, ts := range tables {
		checkTable(t, sym, ts)
	}
	_, _ = LoadCCXTList(bytes.NewReader(data))
}

// FuzzLoadCCXT: run with `go test -fuzz FuzzLoadCCXT ./venue/`.
func FuzzLoadCCXT(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add(binanceTiersJSON[:4096])
	f.Fuzz(func(t *testing.T, data []byte) { checkLoad(t, data) })
}

// TestLoadCCXTRandomInput is the fast, deterministic part of the fuzzing:
// random bytes and random mutations of valid documents (including the real
// Binance file) never panic, and whatever loads is valid.
func TestLoadCCXTRandomInput(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	bases := [][]byte{binanceTiersJSON[:20000], []byte(ccxtDoc("BTC/USDT:USDT", binance2021))}
	for _, s := range fuzzSeeds {
		bases = append(bases, []byte(s))
	}
	alphabet := []byte(`{}[],:"0123456789.-eE+ nultrfaNI\`)
	for i := 0; i < 3000; i++ {
		var data []byte
		if i%4 == 0 {
			data = make([]byte, rng.Intn(200))
			for j := range data {
				if rng.Intn(2) == 0 {
					data[j] = byte(rng.Intn(256))
				} else {
					data[j] = alphabet[rng.Intn(len(alphabet))]
				}
			}
		} else {
			base := bases[rng.Intn(len(bases))]
			data = append([]byte(nil), base...)
			for k := rng.Intn(4) + 1; k > 0 && len(data) > 0; k-- {
				p := rng.Intn(len(data))
				switch rng.Intn(3) {
				case 0:
					data[p] = alphabet[rng.Intn(len(alphabet))]
				case 1:
					data = append(data[:p], data[p+1:]...)
				default:
					data = append(data[:p], append([]byte{alphabet[rng.Intn(len(alphabet))]}, data[p:]...)...)
				}
			}
		}
		checkLoad(t, data)
	}
}
