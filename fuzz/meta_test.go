// The meta tests check files of the repository; they are not part of
// OSS-Fuzz builds (tag gofuzz), whose harness rewriting only needs the
// targets.

//go:build !gofuzz

package fuzz

import (
	"archive/zip"
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/model"
)

// targetDecl matches the declaration of a fuzz target. The target names are
// never written out in this file: compile_native_go_fuzzer_v2 locates a
// target by grepping the package's .go files for its name.
var targetDecl = regexp.MustCompile(`(?m)^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\) \{$`)

// goTestOnly marks test files excluded from OSS-Fuzz builds (tag gofuzz).
const goTestOnly = "//go:build !gofuzz"

// fuzzTargets returns the fuzz targets declared in this package's test files,
// and the file of each.
func fuzzTargets(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range targetDecl.FindAllSubmatch(b, -1) {
			if prev, ok := out[string(m[1])]; ok {
				t.Errorf("%s declared in %s and %s", m[1], prev, f)
			}
			out[string(m[1])] = f
		}
	}
	if len(out) == 0 {
		t.Fatal("no fuzz targets found")
	}
	return out
}

// TestTargetsMatchKeys checks that every fuzz target has seeds (a key of
// Keys) and every key a target.
func TestTargetsMatchKeys(t *testing.T) {
	targets := fuzzTargets(t)
	var want []string
	for _, k := range Keys {
		want = append(want, targetName(k))
	}
	var got []string
	for n := range targets {
		got = append(got, n)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fuzz targets %v, seed keys give %v", got, want)
	}
}

// TestBuildScriptCoversTargets checks .clusterfuzzlite/build.sh: it builds
// every target with compile_native_go_fuzzer_v2 under its own name and builds
// the seed zips; and each target name occurs in exactly one .go file under
// fuzz/ and is no prefix of another (how compile_native_go_fuzzer_v2 finds
// the file of a target).
func TestBuildScriptCoversTargets(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", ".clusterfuzzlite", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	targets := fuzzTargets(t)
	listed := regexp.MustCompile(`(?m)^\s+(Fuzz[A-Za-z0-9_]+)$`).FindAllStringSubmatch(script, -1)
	inScript := map[string]bool{}
	for _, m := range listed {
		inScript[m[1]] = true
	}
	for _, want := range []string{
		`"$COMPILE" "$PKG" "$t" "$t"`,
		"PKG=github.com/perpcheck/perpcheck/fuzz",
		"COMPILE=compile_native_go_fuzzer_v2\n  FORMAT=" + FormatV2,
		"COMPILE=compile_native_go_fuzzer\n  FORMAT=" + FormatLegacy,
		`gencorpus -corpus fuzz/testdata/fuzz -zip "$OUT" -format "$FORMAT"`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("build.sh does not contain %q", want)
		}
	}
	for n, file := range targets {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		libFuzzer := !bytes.Contains(b, []byte(goTestOnly))
		if libFuzzer && !inScript[n] {
			t.Errorf("build.sh does not list %s", n)
		}
		if !libFuzzer && inScript[n] {
			t.Errorf("build.sh lists %s, which is excluded from gofuzz builds", n)
		}
	}
	for n := range inScript {
		if _, ok := targets[n]; !ok {
			t.Errorf("build.sh lists %s, which is no fuzz target", n)
		}
	}
	var goFiles []string
	err = filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			goFiles = append(goFiles, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for n, file := range targets {
		var in []string
		for _, f := range goFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(n)) {
				in = append(in, f)
			}
		}
		if len(in) != 1 || in[0] != file {
			t.Errorf("%s occurs in %v, want only %s", n, in, file)
		}
		for m := range targets {
			if m != n && strings.HasPrefix(m, n) {
				t.Errorf("target %s is a prefix of %s", n, m)
			}
		}
	}
}

// TestClusterFuzzLiteFiles checks the remaining ClusterFuzzLite files.
func TestClusterFuzzLiteFiles(t *testing.T) {
	for path, want := range map[string][]string{
		"../.clusterfuzzlite/project.yaml":      {"language: go"},
		"../.clusterfuzzlite/Dockerfile":        {"FROM gcr.io/oss-fuzz-base/base-builder-go", "COPY . $SRC/perpcheck", "build.sh"},
		"../.github/workflows/cflite_pr.yml":    {"build_fuzzers@v1", "run_fuzzers@v1", "language: go", "fuzz-seconds: 600", "mode: 'code-change'"},
		"../.github/workflows/cflite_batch.yml": {"cron:", "language: go", "fuzz-seconds: 3600", "mode: 'batch'", "mode: 'prune'"},
	} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s does not contain %q", path, w)
			}
		}
	}
}

// TestSeedZips builds the seed zips as ci/fuzz-seeds.sh and build.sh do and
// checks that there is one per target, holding every corpus file of the
// target converted to the raw format.
func TestSeedZips(t *testing.T) {
	out := t.TempDir()
	paths, err := BuildSeedZips(filepath.Join("testdata", "fuzz"), out, FormatV2)
	if err != nil {
		t.Fatal(err)
	}
	var libFuzzer []string
	for n, file := range fuzzTargets(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(goTestOnly)) {
			libFuzzer = append(libFuzzer, n)
		}
	}
	var want []string
	for _, k := range libFuzzerKeys {
		want = append(want, targetName(k))
	}
	sort.Strings(libFuzzer)
	sort.Strings(want)
	if !reflect.DeepEqual(libFuzzer, want) || len(paths) != len(want) {
		t.Fatalf("libFuzzer targets %v, libFuzzerKeys %v, %d zips", libFuzzer, want, len(paths))
	}
	for _, k := range libFuzzerKeys {
		p := filepath.Join(out, targetName(k)+"_seed_corpus.zip")
		zr, err := zip.OpenReader(p)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join("testdata", "fuzz", targetName(k))
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != len(ents) || len(ents) == 0 {
			t.Errorf("%s: %d entries for %d corpus files", p, len(zr.File), len(ents))
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			b, err := os.ReadFile(filepath.Join(dir, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := ParseCorpusFile(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[0] != ossFuzzPrefix || !bytes.Equal(got[1:], want) {
				t.Errorf("%s/%s: zip entry is not the prefix byte and the raw input", p, f.Name)
			}
		}
		zr.Close()
	}
}

// TestLibFuzzerInput checks both input formats on a few arguments.
func TestLibFuzzerInput(t *testing.T) {
	for _, tc := range []struct {
		data, format, want string
	}{
		{"hello", FormatV2, "\x00hello"},
		{"", FormatV2, "\x00"},
		{"hello", FormatLegacy, "\x00\x00\x00\x05hello"},
	} {
		got, err := libFuzzerInput([]byte(tc.data), tc.format)
		if err != nil || string(got) != tc.want {
			t.Errorf("libFuzzerInput(%q, %s) = %q, %v; want %q", tc.data, tc.format, got, err, tc.want)
		}
	}
	if _, err := libFuzzerInput(nil, FormatLegacy); err == nil {
		t.Error("an empty legacy input was encoded")
	}
	if _, err := libFuzzerInput(nil, "v3"); err == nil {
		t.Error("an unknown format was accepted")
	}
}

// TestCorpusUpToDate checks that the committed seed files are exactly what
// seedCorpora generates (run `go generate ./fuzz/` after changing seeds or the
// decoder).
func TestCorpusUpToDate(t *testing.T) {
	seeds, err := seedCorpora("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys {
		dir := filepath.Join("testdata", "fuzz", targetName(k))
		files, _ := filepath.Glob(filepath.Join(dir, seedPrefix+"*"))
		want := map[string][]byte{}
		for _, s := range seeds[k] {
			want[seedPrefix+s.Name] = CorpusFile(s.Data)
		}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			w, ok := want[filepath.Base(f)]
			if !ok {
				t.Errorf("%s is no generated seed (run go generate ./fuzz/)", f)
			} else if !bytes.Equal(b, w) {
				t.Errorf("%s is out of date (run go generate ./fuzz/)", f)
			}
			delete(want, filepath.Base(f))
		}
		for n := range want {
			t.Errorf("%s/%s is missing (run go generate ./fuzz/)", dir, n)
		}
	}
}

// TestCorpusFileRoundTrip checks CorpusFile and ParseCorpusFile on random
// inputs, and that Go's own reader accepts the format (the seed replay of
// plain go test uses it, so a bad file fails there too).
func TestCorpusFileRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, r.IntN(64))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		got, err := ParseCorpusFile(CorpusFile(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%q: got %q, %v", b, got, err)
		}
	}
}

// TestQueriesEncoding checks that DecodeQueries inverts encodeQueries.
func TestQueriesEncoding(t *testing.T) {
	seeds, err := seedCorpora("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds[KeyQueries] {
		sc, ups := DecodeQueries(s.Data)
		b, err := encodeQueries(sc, ups)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if !bytes.Equal(b, s.Data) {
			t.Errorf("%s: re-encoding differs", s.Name)
		}
	}
}

// TestDecoderValidity keeps the decoder useful: most random inputs must
// decode to scenarios that evaluate without error, so that fuzzing reaches
// the margin formulas and not only validation.
func TestDecoderValidity(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ok := 0
	const n = 1000
	for range n {
		b := make([]byte, r.IntN(400))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		if _, err := model.Evaluate(DecodeScenario(b)); err == nil {
			ok++
		}
	}
	if ok < n/10 {
		t.Errorf("only %d of %d random inputs decode to valid scenarios", ok, n)
	}
	if _, err := model.Evaluate(DecodeScenario(nil)); err != nil {
		t.Errorf("the empty input does not decode to a valid scenario: %v", err)
	}
}
