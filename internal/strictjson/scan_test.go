package strictjson

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// slowTree is the reference parser: readValue over encoding/json's tokens.
func slowTree(data []byte) (*node, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readValue(dec, "", 0)
	if err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return n, true
}

// FuzzFastTree: the one-pass scanner accepts exactly what the tokenizer
// path accepts, with the same tree.
func FuzzFastTree(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1,"b":[1,2,{"c":null}],"d":"x\u00e9\"y","e":true,"f":false}`,
		`{"a":1,"a":2}`, `{"a":-0.5e+10}`, `[01]`, `{"a":1,}`, `[1 2]`, " \t\n{\"k\" : \"v\" }\r\n",
		"\"\xff\"", "\"a\x01\"", `{"x":"\ud800"}`, "\xef\xbb\xbf{}", `1e`, `-`, `{"a":tru}`, `{} {}`,
	} {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob("../../examples/*/*.json"); len(files) > 0 {
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, fok, ferr := fastTree(data)
		if ferr != nil {
			// Invalid UTF-8 or an unpaired surrogate: encoding/json would
			// replace it; strictjson rejects it (SPEC EVAL-4).
			return
		}
		slow, sok := slowTree(data)
		if fok != sok {
			t.Fatalf("fast accepts: %v, slow accepts: %v, for %q", fok, sok, data)
		}
		if fok && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("trees differ for %q", data)
		}
	})
}
