package strictjson

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// fastTree parses data into a node tree in one pass over the bytes, without
// encoding/json's tokenizer (which allocates per token and was most of the
// decoding time). It returns ok=false on anything it does not accept (a
// syntax error, a duplicate key, too deep a nesting, trailing data); the
// caller then parses again with readValue, whose errors (messages and paths)
// are the package's contract. For valid documents the two give the same tree.
func fastTree(data []byte) (*node, bool) {
	s := scanner{data: data}
	n, ok := s.value(0)
	if !ok {
		return nil, false
	}
	s.space()
	return n, s.i == len(s.data)
}

type scanner struct {
	data []byte
	i    int
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) (*node, bool) {
	if depth > MaxDepth {
		return nil, false
	}
	s.space()
	if s.i >= len(s.data) {
		return nil, false
	}
	switch c := s.data[s.i]; {
	case c == '{':
		s.i++
		n := &node{kind: 'o'}
		s.space()
		if s.i < len(s.data) && s.data[s.i] == '}' {
			s.i++
			return n, true
		}
		for {
			s.space()
			k, ok := s.str()
			if !ok {
				return nil, false
			}
			for _, seen := range n.keys {
				if seen == k {
					return nil, false
				}
			}
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != ':' {
				return nil, false
			}
			s.i++
			v, ok := s.value(depth + 1)
			if !ok {
				return nil, false
			}
			n.keys = append(n.keys, k)
			n.items = append(n.items, v)
			s.space()
			if s.i >= len(s.data) {
				return nil, false
			}
			switch s.data[s.i] {
			case ',':
				s.i++
			case '}':
				s.i++
				return n, true
			default:
				return nil, false
			}
		}
	case c == '[':
		s.i++
		n := &node{kind: 'a'}
		s.space()
		if s.i < len(s.data) && s.data[s.i] == ']' {
			s.i++
			return n, true
		}
		for {
			v, ok := s.value(depth + 1)
			if !ok {
				return nil, false
			}
			n.items = append(n.items, v)
			s.space()
			if s.i >= len(s.data) {
				return nil, false
			}
			switch s.data[s.i] {
			case ',':
				s.i++
			case ']':
				s.i++
				return n, true
			default:
				return nil, false
			}
		}
	case c == '"':
		str, ok := s.str()
		if !ok {
			return nil, false
		}
		return &node{kind: 's', str: str}, true
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		if !s.number() {
			return nil, false
		}
		return &node{kind: 'n', str: string(s.data[start:s.i])}, true
	case s.literal("true"):
		return &node{kind: 'b', b: true}, true
	case s.literal("false"):
		return &node{kind: 'b'}, true
	case s.literal("null"):
		return &node{kind: 'z'}, true
	}
	return nil, false
}

func (s *scanner) literal(word string) bool {
	if len(s.data)-s.i >= len(word) && string(s.data[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// str reads a string literal. Plain ASCII without escapes is taken as it
// is; anything else is decoded by encoding/json so that escapes, surrogate
// pairs and invalid UTF-8 are treated exactly as readValue treats them.
func (s *scanner) str() (string, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return "", false
	}
	start := s.i
	s.i++
	plain := true
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			if plain {
				return string(s.data[start+1 : s.i-1]), true
			}
			var out string
			if json.Unmarshal(s.data[start:s.i], &out) != nil {
				return "", false
			}
			return out, true
		case c == '\\':
			plain = false
			s.i += 2
			continue
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			plain = false
		}
		s.i++
	}
	return "", false
}

// number reads a JSON number (RFC 8259 grammar).
func (s *scanner) number() bool {
	d := s.data
	if s.i < len(d) && d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(d) && d[s.i] == '0':
		s.i++
	case s.i < len(d) && d[s.i] >= '1' && d[s.i] <= '9':
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	default:
		return false
	}
	if s.i < len(d) && d[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(d) && (d[s.i] == 'e' || d[s.i] == 'E') {
		s.i++
		if s.i < len(d) && (d[s.i] == '+' || d[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// path is a JSON path built lazily: a segment and its parent. Decoding
// passes paths down without formatting them; only an error formats one.
type path struct {
	parent *path
	key    string
	index  int // -1 for a key
}

func (p *path) child(key string) path { return path{parent: p, key: key, index: -1} }
func (p *path) item(i int) path       { return path{parent: p, index: i} }

// String formats p as "a.b[2].c"; the root is "".
func (p *path) String() string {
	if p == nil {
		return ""
	}
	if p.index >= 0 {
		return p.parent.String() + "[" + strconv.Itoa(p.index) + "]"
	}
	return join(p.parent.String(), p.key)
}
