package vectors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/internal/strictjson"
)

// Set is a loaded vector directory.
type Set struct {
	// Dir is the directory it was loaded from.
	Dir string
	// Manifest is its MANIFEST.json.
	Manifest *Manifest
	// Query and Ledger are its test files by path, in the manifest's order.
	Query  []LoadedQuery
	Ledger []LoadedLedger
}

// LoadedQuery is a query file and its path in the directory.
type LoadedQuery struct {
	Path string
	File *QueryFile
}

// LoadedLedger is a ledger file and its path in the directory.
type LoadedLedger struct {
	Path string
	File *LedgerFile
}

// Load reads a vector directory: MANIFEST.json, then every file it lists,
// checking each file's SHA-256 and number of tests against the manifest, the
// tests' count and unique tcIds against the file's header, and that the
// directory holds no .json file the manifest does not list. Files are
// decoded strictly (unknown fields and duplicate keys are errors).
func Load(dir string) (*Set, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := strictjson.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("%s: version %q, this reader knows %q", ManifestName, m.Version, Version)
	}
	set := &Set{Dir: dir, Manifest: &m}
	listed := map[string]bool{ManifestName: true}
	total := 0
	for _, mf := range m.Files {
		if listed[mf.Path] {
			return nil, fmt.Errorf("%s: %s is listed twice", ManifestName, mf.Path)
		}
		listed[mf.Path] = true
		if mf.Path != filepath.ToSlash(filepath.Clean(mf.Path)) || strings.HasPrefix(mf.Path, "../") || filepath.IsAbs(mf.Path) {
			return nil, fmt.Errorf("%s: %q is not a clean relative path", ManifestName, mf.Path)
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(mf.Path)))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != mf.SHA256 {
			return nil, fmt.Errorf("%s: sha256 %s, the manifest says %s", mf.Path, got, mf.SHA256)
		}
		if kindOf(mf.Path) != mf.Kind {
			return nil, fmt.Errorf("%s: kind %q, the manifest says %q", mf.Path, kindOf(mf.Path), mf.Kind)
		}
		n := 0
		switch mf.Kind {
		case KindQuery:
			var f QueryFile
			if err := strictjson.Unmarshal(data, &f); err != nil {
				return nil, fmt.Errorf("%s: %w", mf.Path, err)
			}
			var ids []int
			for _, g := range f.TestGroups {
				for _, t := range g.Tests {
					ids = append(ids, t.TcID)
					if (t.Scenario == nil) == (t.ScenarioText == "") {
						return nil, fmt.Errorf("%s: tcId %d: exactly one of scenario and scenarioText must be given", mf.Path, t.TcID)
					}
					if (t.Result == ResultValid) != (t.Expected.Report != nil) || (t.Result == ResultInvalid) != (t.Expected.Error != nil) {
						return nil, fmt.Errorf("%s: tcId %d: result %q does not match expected", mf.Path, t.TcID, t.Result)
					}
				}
			}
			if n, err = checkIDs(mf.Path, f.NumberOfTests, ids); err != nil {
				return nil, err
			}
			set.Query = append(set.Query, LoadedQuery{Path: mf.Path, File: &f})
		case KindLedger:
			var f LedgerFile
			if err := strictjson.Unmarshal(data, &f); err != nil {
				return nil, fmt.Errorf("%s: %w", mf.Path, err)
			}
			var ids []int
			for _, g := range f.TestGroups {
				for _, t := range g.Tests {
					ids = append(ids, t.TcID)
					switch {
					case t.Pre == nil:
						return nil, fmt.Errorf("%s: tcId %d: no pre state", mf.Path, t.TcID)
					case t.Result == ResultValid && (t.Post == nil || len(t.Expected) != len(t.Events)):
						return nil, fmt.Errorf("%s: tcId %d: a valid test needs post and one expected outcome per event", mf.Path, t.TcID)
					case t.Result == ResultInvalid && t.Error == nil:
						return nil, fmt.Errorf("%s: tcId %d: an invalid test needs error", mf.Path, t.TcID)
					case t.Result != ResultValid && t.Result != ResultInvalid:
						return nil, fmt.Errorf("%s: tcId %d: result %q", mf.Path, t.TcID, t.Result)
					}
					for k, o := range t.Expected {
						if (o.Effects == nil) == (o.Error == nil) {
							return nil, fmt.Errorf("%s: tcId %d: expected[%d] needs exactly one of effects and error", mf.Path, t.TcID, k)
						}
					}
				}
			}
			if n, err = checkIDs(mf.Path, f.NumberOfTests, ids); err != nil {
				return nil, err
			}
			set.Ledger = append(set.Ledger, LoadedLedger{Path: mf.Path, File: &f})
		case KindSchema:
			var schema map[string]any
			if err := json.Unmarshal(data, &schema); err != nil {
				return nil, fmt.Errorf("%s: %w", mf.Path, err)
			}
		default:
			return nil, fmt.Errorf("%s: unknown kind %q", mf.Path, mf.Kind)
		}
		if n != mf.NumberOfTests {
			return nil, fmt.Errorf("%s: %d tests, the manifest says %d", mf.Path, n, mf.NumberOfTests)
		}
		total += n
	}
	if total != m.NumberOfTests {
		return nil, fmt.Errorf("%s: numberOfTests %d, the files hold %d", ManifestName, m.NumberOfTests, total)
	}
	var extra []string
	err = filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !de.IsDir() && strings.HasSuffix(p, ".json") && !listed[filepath.ToSlash(rel)] {
			extra = append(extra, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		return nil, fmt.Errorf("%s does not list %s", ManifestName, strings.Join(extra, ", "))
	}
	return set, nil
}

// checkIDs checks a file's tcIds (unique, 1..n in order) against its
// numberOfTests and returns the count.
func checkIDs(path string, declared int, ids []int) (int, error) {
	if len(ids) != declared {
		return 0, fmt.Errorf("%s: numberOfTests %d, the groups hold %d", path, declared, len(ids))
	}
	sorted := slices.Sorted(slices.Values(ids))
	for i, id := range sorted {
		if id != i+1 {
			return 0, fmt.Errorf("%s: tcIds are not 1..%d (found %d at position %d)", path, len(ids), id, i+1)
		}
	}
	return len(ids), nil
}
