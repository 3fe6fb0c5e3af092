package vectors

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// This file validates the committed files against the JSON Schemas with a
// small validator of the keywords the schemas use (type, properties,
// required, additionalProperties, items, $ref, anyOf, oneOf, if/then/else,
// enum, const, pattern, minimum). It is not a full JSON Schema
// implementation; it is enough to show that the schemas describe the files.

// schemas are the schema files by name, decoded.
type schemas map[string]map[string]any

func loadSchemas(t *testing.T) schemas {
	t.Helper()
	out := schemas{}
	for _, name := range []string{"query.schema.json", "ledger.schema.json", "manifest.schema.json"} {
		data, err := os.ReadFile(filepath.Join(dir, "schema", name))
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema is %v", name, s["$schema"])
		}
		out[name] = s
	}
	return out
}

// resolve follows a $ref ("#/$defs/x" or "file.json#/$defs/x") from file.
func (ss schemas) resolve(file, ref string) (string, map[string]any, error) {
	doc, frag, _ := strings.Cut(ref, "#")
	if doc != "" {
		file = doc
	}
	node, ok := any(ss[file]).(map[string]any)
	if !ok || node == nil {
		return "", nil, fmt.Errorf("no schema %s", file)
	}
	for _, seg := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if seg == "" {
			continue
		}
		next, ok := node[seg].(map[string]any)
		if !ok {
			return "", nil, fmt.Errorf("%s: no %s", file, ref)
		}
		node = next
	}
	return file, node, nil
}

// validate checks v against schema s of file; errors are appended with
// their JSON path. keys records every object key v's objects use that the
// schema names.
func (ss schemas) validate(file string, s map[string]any, v any, path string, errs *[]string) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, path+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := s["$ref"].(string); ok {
		f, r, err := ss.resolve(file, ref)
		if err != nil {
			fail("%v", err)
			return
		}
		ss.validate(f, r, v, path, errs)
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("%v is not the constant %v", v, c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || fmt.Sprint(x) == fmt.Sprint(v)
		}
		if !found {
			fail("%v is not one of %v", v, e)
		}
	}
	if ts, ok := s["type"]; ok {
		var types []any
		switch ts := ts.(type) {
		case string:
			types = []any{ts}
		case []any:
			types = ts
		}
		found := false
		for _, tp := range types {
			found = found || typeOf(v) == tp || (tp == "number" && typeOf(v) == "integer")
		}
		if !found {
			fail("a %s, want %v", typeOf(v), ts)
			return
		}
	}
	if p, ok := s["pattern"].(string); ok {
		if str, ok := v.(string); ok && !regexp.MustCompile(p).MatchString(str) {
			fail("%q does not match %s", str, p)
		}
	}
	if m, ok := s["minimum"].(float64); ok {
		if n, ok := v.(float64); ok && n < m {
			fail("%v < %v", n, m)
		}
	}
	for _, kw := range []string{"anyOf", "oneOf"} {
		subs, ok := s[kw].([]any)
		if !ok {
			continue
		}
		n := 0
		for _, sub := range subs {
			var e []string
			ss.validate(file, sub.(map[string]any), v, path, &e)
			if len(e) == 0 {
				n++
			}
		}
		if n == 0 || (kw == "oneOf" && n != 1) {
			fail("%d of the %s alternatives match", n, kw)
		}
	}
	if cond, ok := s["if"].(map[string]any); ok {
		var e []string
		ss.validate(file, cond, v, path, &e)
		branch, _ := s["then"].(map[string]any)
		if len(e) > 0 {
			branch, _ = s["else"].(map[string]any)
		}
		if branch != nil {
			ss.validate(file, branch, v, path, errs)
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := v[r]; !ok {
				fail("required key %q is missing", r)
			}
		}
		for k, x := range v {
			if sub, ok := props[k].(map[string]any); ok {
				ss.validate(file, sub, x, path+"."+k, errs)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("key %q is not in the schema", k)
				}
			case map[string]any:
				ss.validate(file, ap, x, path+"."+k, errs)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range v {
				ss.validate(file, items, x, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	}
}

func asStrings(v any) []string {
	var out []string
	if xs, ok := v.([]any); ok {
		for _, x := range xs {
			out = append(out, x.(string))
		}
	}
	return out
}

func typeOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}

// TestSchemas validates every committed file against its schema.
func TestSchemas(t *testing.T) {
	ss := loadSchemas(t)
	set := loaded(t)
	files := []string{ManifestName}
	for _, mf := range set.Manifest.Files {
		if mf.Kind != KindSchema {
			files = append(files, mf.Path)
		}
	}
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		schema, _ := v["schema"].(string)
		root, ok := ss[schema]
		if !ok {
			t.Errorf("%s: unknown schema %q", name, schema)
			continue
		}
		var errs []string
		ss.validate(schema, root, v, "$", &errs)
		if len(errs) > 0 {
			if len(errs) > 10 {
				errs = append(errs[:10], fmt.Sprintf("... %d more", len(errs)-10))
			}
			t.Errorf("%s does not match %s:\n  %s", name, schema, strings.Join(errs, "\n  "))
		}
	}
}

// TestSchemaValidatorRejects: the validator is not vacuous.
func TestSchemaValidatorRejects(t *testing.T) {
	ss := loadSchemas(t)
	data, err := os.ReadFile(filepath.Join(dir, "query", "RPT", "seed-examples.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(v map[string]any)
	}{
		{"an unknown key", func(v map[string]any) { v["extra"] = 1 }},
		{"a missing key", func(v map[string]any) { delete(v, "numberOfTests") }},
		{"a bad result", func(v map[string]any) { firstTest(v)["result"] = "acceptable" }},
		{"a bad decimal", func(v map[string]any) {
			firstTest(v)["expected"].(map[string]any)["report"].(map[string]any)["positions"].([]any)[0].(map[string]any)["notional"] = "NaN"
		}},
		{"an unknown key in a position", func(v map[string]any) {
			firstTest(v)["scenario"].(map[string]any)["account"].(map[string]any)["positions"].([]any)[0].(map[string]any)["foo"] = "1"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			tc.edit(v)
			var errs []string
			ss.validate("query.schema.json", ss["query.schema.json"], v, "$", &errs)
			if len(errs) == 0 {
				t.Error("the edited file still validates")
			}
		})
	}
}

func firstTest(v map[string]any) map[string]any {
	return v["testGroups"].([]any)[0].(map[string]any)["tests"].([]any)[0].(map[string]any)
}
