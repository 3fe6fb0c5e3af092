// Command gencorpus generates the seed corpora of perpcheck's fuzz targets
// and the OSS-Fuzz / ClusterFuzzLite seed zips built from them.
//
// Usage (paths relative to the working directory):
//
//	go run ./fuzz/internal/gencorpus -root . -corpus fuzz/testdata/fuzz
//	go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -zip OUTDIR [-format v2|legacy]
//	go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -raw OUTDIR [-format v2|legacy]
//	go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -import CRASH -target FuzzXxx [-format v2|legacy]
//
// The first form (also run by `go generate ./fuzz/`) rewrites the generated
// "seed-*" files of testdata/fuzz/<Target>/ from fuzz.Seeds: the example
// scenarios, real CCXT tier tables cut from venue/data and boundary values.
// Regression files in those directories are kept.
//
// The second form writes OUTDIR/<Target>_seed_corpus.zip for every
// libFuzzer target from the committed Go corpora (seeds and regressions),
// converted to libFuzzer inputs: -format v2 (default) for targets built with
// compile_native_go_fuzzer_v2, -format legacy for compile_native_go_fuzzer
// (see fuzz.FormatV2, fuzz.FormatLegacy). The third form writes the same
// inputs as plain files, one directory per target. The fourth brings a
// ClusterFuzzLite crash home: it strips the libFuzzer encoding of the input
// file CRASH and writes it as a regression file of the target (named, as go
// test -fuzz names its crashers, by the first 16 hex digits of its SHA-256)
// and prints its path.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/perpcheck/perpcheck/fuzz"
)

func main() {
	root := flag.String("root", ".", "repository root (for examples/ and venue/data/)")
	corpus := flag.String("corpus", "fuzz/testdata/fuzz", "Go corpus directory (testdata/fuzz)")
	zipDir := flag.String("zip", "", "write <Target>_seed_corpus.zip files into this directory instead of generating the corpus")
	rawDir := flag.String("raw", "", "write the libFuzzer inputs as files <dir>/<Target>/<name> instead of generating the corpus")
	format := flag.String("format", fuzz.FormatV2, "libFuzzer input format of the zips: v2 (compile_native_go_fuzzer_v2) or legacy (compile_native_go_fuzzer)")
	importFile := flag.String("import", "", "write this libFuzzer input (in -format) as a regression file of -target into the corpus")
	target := flag.String("target", "", "the fuzz target of -import (its Fuzz function name)")
	flag.Parse()
	if *importFile != "" {
		path, err := importCrash(*corpus, *target, *importFile, *format)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		fmt.Println(path)
		return
	}
	if *rawDir != "" {
		if err := fuzz.WriteRawInputs(*corpus, *rawDir, *format); err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		return
	}
	if *zipDir != "" {
		paths, err := fuzz.BuildSeedZips(*corpus, *zipDir, *format)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		for _, p := range paths {
			fmt.Println(p)
		}
		return
	}
	if err := fuzz.Generate(*root, *corpus); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

// importCrash writes the libFuzzer input in file (encoded for format) as a
// Go corpus file of target under corpus and returns its path.
func importCrash(corpus, target, file, format string) (string, error) {
	if !strings.HasPrefix(target, "Fuzz") {
		return "", fmt.Errorf("-target %q: want the name of a fuzz target (FuzzXxx)", target)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var data []byte
	switch format {
	case fuzz.FormatV2:
		// One weight byte, then the argument.
		if len(b) < 1 {
			return "", errors.New("an empty v2 input has no argument")
		}
		data = b[1:]
	case fuzz.FormatLegacy:
		// A big-endian uint32 length, then that many bytes.
		if len(b) < 4 {
			return "", errors.New("a legacy input shorter than its 4-byte length")
		}
		n := int(binary.BigEndian.Uint32(b))
		if n > len(b)-4 {
			n = len(b) - 4
		}
		data = b[4 : 4+n]
	default:
		return "", fmt.Errorf("unknown -format %q", format)
	}
	out := fuzz.CorpusFile(data)
	sum := sha256.Sum256(out)
	dir := filepath.Join(corpus, target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, hex.EncodeToString(sum[:])[:16])
	return path, os.WriteFile(path, out, 0o644)
}
