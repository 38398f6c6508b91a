package odata

// EqualityKey reports whether the filter is one string equality on a
// top-level property (`mail eq 'a@b'`) or one any() equality over a
// collection of strings (`otherMails/any(x:x eq 'a@b')`), and if so the
// property and the value. An object can match such a filter only if that
// property holds the value (compared case-insensitively, as Match does),
// so a server may look the candidates up in an index and run Match on
// them alone instead of scanning the collection. Any other shape returns
// ok false.
func (f *Filter) EqualityKey() (prop, value string, ok bool) {
	if f == nil {
		return "", "", false
	}
	switch n := f.root.(type) {
	case *cmpNode:
		if n.op == opEq && n.lit.kind == litString && !n.path.variable && !n.path.count && len(n.path.segs) == 1 && n.lit.str != "" {
			return n.path.segs[0], n.lit.str, true
		}
	case *lambdaNode:
		body, isCmp := n.body.(*cmpNode)
		if n.all || !isCmp || n.coll.variable || n.coll.count || len(n.coll.segs) != 1 {
			return "", "", false
		}
		// The body compares the range variable itself: x eq 'value'.
		if body.op == opEq && body.lit.kind == litString && body.path.variable && len(body.path.segs) == 1 &&
			body.path.segs[0] == n.v && !body.path.count && body.lit.str != "" {
			return n.coll.segs[0], body.lit.str, true
		}
	}
	return "", "", false
}
