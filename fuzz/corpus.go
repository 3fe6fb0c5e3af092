package fuzz

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// corpusHeader is the first line of a Go fuzz corpus file.
const corpusHeader = "go test fuzz v1\n"

// seedPrefix starts the file names of generated seeds in testdata/fuzz; other
// files there are regressions (crashers written by go test -fuzz) and are
// never touched by the generator.
const seedPrefix = "seed-"

// CorpusFile renders data, the single []byte argument of a target, as a Go
// fuzz corpus file ("go test fuzz v1" and one []byte literal).
func CorpusFile(data []byte) []byte {
	return []byte(corpusHeader + "[]byte(" + strconv.Quote(string(data)) + ")\n")
}

// ParseCorpusFile returns the []byte argument of a Go fuzz corpus file of a
// single-[]byte target (as written by CorpusFile or by go test -fuzz).
func ParseCorpusFile(b []byte) ([]byte, error) {
	s, ok := strings.CutPrefix(string(b), corpusHeader)
	if !ok {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	s = strings.TrimSpace(s)
	lit, ok := strings.CutPrefix(s, "[]byte(")
	if !ok || !strings.HasSuffix(lit, ")") || strings.Contains(lit, "\n") {
		return nil, errors.New("want exactly one []byte(...) value")
	}
	v, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
	if err != nil {
		return nil, fmt.Errorf("bad []byte literal: %v", err)
	}
	return []byte(v), nil
}

// writeCorpus writes seeds into dir (testdata/fuzz/<Target>), one file
// seedPrefix+name per seed, after removing the seedPrefix files already
// there. Regression files are kept.
func writeCorpus(dir string, seeds []corpusSeed) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, seedPrefix+"*"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for _, s := range seeds {
		if err := os.WriteFile(filepath.Join(dir, seedPrefix+s.Name), CorpusFile(s.Data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ossFuzzPrefix is the byte put before every input in a seed zip of format
// FormatV2.
const ossFuzzPrefix = 0x00

// The libFuzzer input formats of a single-[]byte native Go target, by the
// tool that builds it.
const (
	// FormatV2 is compile_native_go_fuzzer_v2 (go-118-fuzz-build_v2, its
	// input.Source): one weight byte per variable-length argument comes
	// first, even when there is only one, and the last (here the only)
	// argument gets all remaining bytes. So an input is ossFuzzPrefix (any
	// byte would do) followed by the raw argument.
	FormatV2 = "v2"
	// FormatLegacy is compile_native_go_fuzzer (go-118-fuzz-build's testing
	// shim on go-fuzz-headers): a []byte argument is a big-endian uint32
	// length followed by that many bytes. Checked here with go-118-fuzz-build
	// v0.0.0-20250520111509-a70c2aa677fa and a stand-in libFuzzer driver.
	FormatLegacy = "legacy"
)

// libFuzzerInput returns the libFuzzer input that makes a native Go target
// built in the given format receive data as its single []byte argument.
func libFuzzerInput(data []byte, format string) ([]byte, error) {
	switch format {
	case FormatV2:
		return append([]byte{ossFuzzPrefix}, data...), nil
	case FormatLegacy:
		if len(data) == 0 {
			// go-fuzz-headers reads a zero length as 30 and then fails on
			// the empty rest: an empty argument cannot be encoded.
			return nil, errors.New("an empty input has no legacy encoding")
		}
		n := uint32(len(data))
		return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, data...), nil
	}
	return nil, fmt.Errorf("unknown libFuzzer input format %q", format)
}

// writeSeedZip writes a <fuzzer>_seed_corpus.zip for OSS-Fuzz /
// ClusterFuzzLite from a Go corpus directory: every file of dir (seeds and
// regressions) is converted to a libFuzzer input of the given format
// (libFuzzerInput) and stored under its own name; inputs the format cannot
// encode are left out. It returns the number of entries.
func writeSeedZip(w io.Writer, dir, format string) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	zw := zip.NewWriter(w)
	count := 0
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return 0, err
		}
		data, err := ParseCorpusFile(b)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", filepath.Join(dir, n), err)
		}
		in, err := libFuzzerInput(data, format)
		if err != nil {
			if format == FormatLegacy && len(data) == 0 {
				continue
			}
			return 0, err
		}
		// A fixed time keeps the zip byte-for-byte reproducible.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return 0, err
		}
		if _, err := fw.Write(in); err != nil {
			return 0, err
		}
		count++
	}
	return count, zw.Close()
}

// WriteRawInputs writes the libFuzzer inputs of every target of
// libFuzzerKeys, in the given format, as files outDir/<Target>/<name> (for
// running a libFuzzer binary on them directly).
func WriteRawInputs(corpusDir, outDir, format string) error {
	for _, k := range libFuzzerKeys {
		dir := filepath.Join(corpusDir, targetName(k))
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		od := filepath.Join(outDir, targetName(k))
		if err := os.MkdirAll(od, 0o755); err != nil {
			return err
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			data, err := ParseCorpusFile(b)
			if err != nil {
				return fmt.Errorf("%s: %v", filepath.Join(dir, e.Name()), err)
			}
			in, err := libFuzzerInput(data, format)
			if err != nil {
				continue // not encodable in this format (an empty legacy input)
			}
			if err := os.WriteFile(filepath.Join(od, e.Name()), in, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// zipTime is the fixed modification time of seed zip entries.
var zipTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// targetName is the fuzz function of a target key.
func targetName(key string) string { return "Fuzz" + key }

// Generate writes the seed corpora of every target under corpusDir (usually
// fuzz/testdata/fuzz) from the repository at root.
func Generate(root, corpusDir string) error {
	seeds, err := seedCorpora(root)
	if err != nil {
		return err
	}
	for _, k := range Keys {
		if err := writeCorpus(filepath.Join(corpusDir, targetName(k)), seeds[k]); err != nil {
			return err
		}
	}
	return nil
}

// BuildSeedZips writes <Target>_seed_corpus.zip into outDir for every
// target of libFuzzerKeys, from the Go corpora under corpusDir, in the given
// libFuzzer input format (FormatV2 or FormatLegacy). It returns the zip
// paths.
func BuildSeedZips(corpusDir, outDir, format string) ([]string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, k := range libFuzzerKeys {
		var buf bytes.Buffer
		n, err := writeSeedZip(&buf, filepath.Join(corpusDir, targetName(k)), format)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: empty corpus", targetName(k))
		}
		p := filepath.Join(outDir, targetName(k)+"_seed_corpus.zip")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
