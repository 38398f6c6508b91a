package transformer

import (
	"strings"
	"sync"

	"github.com/xtsync/xtsync/pkg/rules/decide"
)

// propMode is how one top-level property of attributes_json is decoded.
type propMode uint8

const (
	skipProp  propMode = iota // checked, not decoded: no rule reads it
	wholeProp                 // decoded as json.Unmarshal + plain would
	// extensionProps and orgDataProps are the objects sourceAttrs flattens
	// (onPremisesExtensionAttributes to extensionAttributeN,
	// employeeOrgData to employeeOrgData.<field>): only their fields the
	// rules read are decoded.
	extensionProps
	orgDataProps
)

const orgPrefix = "employeeorgdata."

// need is what a configuration's rules read of a source object:
// decide.Config.SourceAttributes (mappings, scoping filters, the scope
// stage) plus what the transformer itself reads (the manager), mapped back
// to the Graph properties sourceAttrs derives them from.
type need struct {
	keys  map[string]propMode // folded top-level property → mode; absent = skipProp
	names map[string]bool     // folded attribute names the rules read
}

// transformerAttributes are read by the transformer itself: the manager
// (references to resolve, pendingRef) and netId (sourceAttrs keeps the
// reader's unless empty).
var transformerAttributes = []string{"manager", "netid"}

func newNeed(attrs []string) *need {
	n := &need{keys: map[string]propMode{}, names: map[string]bool{}}
	for _, names := range [][]string{attrs, transformerAttributes} {
		for _, a := range names {
			a = strings.ToLower(a)
			n.names[a] = true
			n.keys[a] = wholeProp
		}
	}
	for graph, entra := range graphAliases {
		if n.names[entra] {
			n.keys[graph] = wholeProp
		}
	}
	if n.names["telephonenumber"] {
		n.keys["businessphones"] = wholeProp
	}
	// Any field of onPremisesExtensionAttributes becomes a top-level name
	// (when the object lacks it), so the object is always looked into.
	if n.keys["onpremisesextensionattributes"] != wholeProp {
		n.keys["onpremisesextensionattributes"] = extensionProps
	}
	if n.keys["employeeorgdata"] != wholeProp {
		for a := range n.names {
			if strings.HasPrefix(a, orgPrefix) {
				n.keys["employeeorgdata"] = orgDataProps
				break
			}
		}
	}
	return n
}

// mode says how to decode the property named key (as written).
func (n *need) mode(key string) propMode {
	if f, ok := folded[key]; ok {
		return n.keys[f]
	}
	var buf [64]byte
	if l, ok := lowerASCII(buf[:], "", key); ok {
		return n.keys[string(buf[:l])]
	}
	return n.keys[strings.ToLower(key)]
}

// wantsField reports whether the rules read the flattened name of field
// of an extensionProps or orgDataProps object.
func (n *need) wantsField(mode propMode, field string) bool {
	prefix := ""
	if mode == orgDataProps {
		prefix = orgPrefix
	}
	var buf [96]byte
	if l, ok := lowerASCII(buf[:], prefix, field); ok {
		return n.names[string(buf[:l])]
	}
	return n.names[prefix+strings.ToLower(field)]
}

// lowerASCII writes prefix+strings.ToLower(s) into b without allocating
// when s is ASCII and fits; ok is false otherwise.
func lowerASCII(b []byte, prefix, s string) (int, bool) {
	if len(prefix)+len(s) > len(b) {
		return 0, false
	}
	n := copy(b, prefix)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return 0, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[n] = c
		n++
	}
	return n, true
}

// needs caches the need of each compiled configuration (a configuration
// is recompiled rarely; the cache is cleared when it grows past a bound so
// replaced configurations do not pile up).
type needs struct {
	mu sync.Mutex
	m  map[*decide.Config]*need
}

const maxNeeds = 256

func (c *needs) of(cfg *decide.Config) *need {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.m[cfg]; ok {
		return n
	}
	if c.m == nil || len(c.m) >= maxNeeds {
		c.m = map[*decide.Config]*need{}
	}
	n := newNeed(cfg.SourceAttributes())
	c.m[cfg] = n
	return n
}
