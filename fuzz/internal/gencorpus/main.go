// Command gencorpus generates the seed corpora of perpcheck's fuzz targets
// and the OSS-Fuzz / ClusterFuzzLite seed zips built from them.
//
// Usage (paths relative to the working directory):
//
//	go run ./fuzz/internal/gencorpus -root . -corpus fuzz/testdata/fuzz
//	go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -zip OUTDIR [-format v2|legacy]
//	go run ./fuzz/internal/gencorpus -corpus fuzz/testdata/fuzz -raw OUTDIR [-format v2|legacy]
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
// inputs as plain files, one directory per target.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/perpcheck/perpcheck/fuzz"
)

func main() {
	root := flag.String("root", ".", "repository root (for examples/ and venue/data/)")
	corpus := flag.String("corpus", "fuzz/testdata/fuzz", "Go corpus directory (testdata/fuzz)")
	zipDir := flag.String("zip", "", "write <Target>_seed_corpus.zip files into this directory instead of generating the corpus")
	rawDir := flag.String("raw", "", "write the libFuzzer inputs as files <dir>/<Target>/<name> instead of generating the corpus")
	format := flag.String("format", fuzz.FormatV2, "libFuzzer input format of the zips: v2 (compile_native_go_fuzzer_v2) or legacy (compile_native_go_fuzzer)")
	flag.Parse()
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
