package properties_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestREADMESnippetsCompile type-checks every Go snippet of the repository's
// README.md against the packages as they are, so that the documented API
// cannot rot. Each snippet is a complete file; snippets with the same
// package clause are checked together as one package (a later one may use
// what an earlier one declares).
func TestREADMESnippetsCompile(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d Go snippets in README.md, want the usage examples", len(blocks))
	}
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{}
	var order []string
	for i, m := range blocks {
		f, err := parser.ParseFile(fset, "README.md#snippet"+strconv.Itoa(i+1), m[1], parser.ParseComments)
		if err != nil {
			t.Errorf("snippet %d does not parse (every snippet is a complete file): %v\n%s", i+1, err, m[1])
			continue
		}
		name := f.Name.Name
		if _, ok := pkgs[name]; !ok {
			order = append(order, name)
		}
		pkgs[name] = append(pkgs[name], f)
	}
	imp := importer.ForCompiler(fset, "source", nil)
	for _, name := range order {
		conf := types.Config{Importer: imp, Error: func(err error) {
			t.Errorf("README.md, package %s: %v", name, err)
		}}
		_, _ = conf.Check(name, fset, pkgs[name], nil)
	}
	if t.Failed() {
		t.Log("snippets: " + strings.Join(order, ", "))
	}
}
