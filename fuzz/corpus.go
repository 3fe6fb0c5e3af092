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

// SeedPrefix starts the file names of generated seeds in testdata/fuzz; other
// files there are regressions (crashers written by go test -fuzz) and are
// never touched by the generator.
const SeedPrefix = "seed-"

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

// WriteCorpus writes seeds into dir (testdata/fuzz/<Target>), one file
// SeedPrefix+name per seed, after removing the SeedPrefix files already
// there. Regression files are kept.
func WriteCorpus(dir string, seeds []Seed) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, SeedPrefix+"*"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for _, s := range seeds {
		if err := os.WriteFile(filepath.Join(dir, SeedPrefix+s.Name), CorpusFile(s.Data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// OSSFuzzPrefix is prepended to every input in a seed zip. An OSS-Fuzz build
// of a native Go target (compile_native_go_fuzzer_v2, go-118-fuzz-build's
// input.Source) reads one weight byte per variable-length argument before
// the arguments themselves, even when there is only one; the last (here the
// only) argument then gets all remaining bytes. So the libFuzzer input of a
// single-[]byte target is one arbitrary byte followed by the raw argument.
const OSSFuzzPrefix = 0x00

// WriteSeedZip writes a <fuzzer>_seed_corpus.zip for OSS-Fuzz /
// ClusterFuzzLite from a Go corpus directory: every file of dir (seeds and
// regressions) is converted to libFuzzer's raw format (OSSFuzzPrefix and the
// raw argument bytes) and stored under its own name. It returns the number
// of entries.
func WriteSeedZip(w io.Writer, dir string) (int, error) {
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
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return 0, err
		}
		data, err := ParseCorpusFile(b)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", filepath.Join(dir, n), err)
		}
		// A fixed time keeps the zip byte-for-byte reproducible.
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return 0, err
		}
		if _, err := fw.Write(append([]byte{OSSFuzzPrefix}, data...)); err != nil {
			return 0, err
		}
	}
	return len(names), zw.Close()
}

// zipTime is the fixed modification time of seed zip entries.
var zipTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// TargetName is the fuzz function of a target key.
func TargetName(key string) string { return "Fuzz" + key }

// Generate writes the seed corpora of every target under corpusDir (usually
// fuzz/testdata/fuzz) from the repository at root.
func Generate(root, corpusDir string) error {
	seeds, err := Seeds(root)
	if err != nil {
		return err
	}
	for _, k := range Keys {
		if err := WriteCorpus(filepath.Join(corpusDir, TargetName(k)), seeds[k]); err != nil {
			return err
		}
	}
	return nil
}

// BuildSeedZips writes <Target>_seed_corpus.zip into outDir for every
// target of LibFuzzerKeys, from the Go corpora under corpusDir. It returns
// the zip paths.
func BuildSeedZips(corpusDir, outDir string) ([]string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, k := range LibFuzzerKeys {
		var buf bytes.Buffer
		n, err := WriteSeedZip(&buf, filepath.Join(corpusDir, TargetName(k)))
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: empty corpus", TargetName(k))
		}
		p := filepath.Join(outDir, TargetName(k)+"_seed_corpus.zip")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
