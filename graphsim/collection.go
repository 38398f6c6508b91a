package graphsim

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// pageSpec says how to list one collection.
type pageSpec[T any] struct {
	kind     string // token kind
	context  string // @odata.context fragment base, e.g. "users"
	sch      *schema[T]
	list     *olist[T]
	id       func(*T) string
	typeName string // when set, items carry "@odata.type"
	// extra appends more members (such as an expanded manager) to an
	// object; it must write a leading comma itself.
	extra func(b []byte, v *T) []byte
	// candidates, when set, narrows a filter to the objects that can
	// match it, in listing order (an index lookup); ok false: scan all.
	candidates func(f *odata.Filter) (_ []*T, ok bool)
}

// listPage renders one page of a collection: filtered, optionally sorted,
// with @odata.count and an @odata.nextLink carrying the position. The
// caller holds the tenant's read lock.
func listPage[T any](rc *reqCtx, ps pageSpec[T], o *listOpts) *response {
	var tok pageToken
	if raw := rc.query.Get("$skiptoken"); raw != "" {
		var ok bool
		if tok, ok = rc.s.tokens.decode(raw, ps.kind, rc.t.info.ID); !ok {
			return errResponse(errBadPageToken())
		}
	}
	g := &getter[T]{s: ps.sch}
	match := func(v *T) bool {
		if o.filter == nil {
			return true
		}
		g.v = v
		return o.filter.Match(g)
	}

	scan := ps.list.scan
	if ps.candidates != nil && o.filter != nil {
		if cs, ok := ps.candidates(o.filter); ok {
			scan = func(after uint64, fn func(ord uint64, v *T) bool) {
				for _, v := range cs {
					if ord := ps.list.ordOf(v); ord > after && !fn(ord, v) {
						return
					}
				}
			}
		}
	}

	var page []*T
	var next *pageToken
	if o.orderBy == nil {
		var last uint64
		more := false
		scan(tok.After, func(ord uint64, v *T) bool {
			if !match(v) {
				return true
			}
			if len(page) == o.top {
				more = true
				return false
			}
			page = append(page, v)
			last = ord
			return true
		})
		if more {
			next = &pageToken{Kind: ps.kind, Tenant: rc.t.info.ID, After: last}
		}
	} else {
		var all []*T
		scan(0, func(_ uint64, v *T) bool {
			if match(v) {
				all = append(all, v)
			}
			return true
		})
		sortObjects(all, ps.sch, o.orderBy, ps.id)
		start := min(tok.Offset, len(all))
		end := min(start+o.top, len(all))
		page = all[start:end]
		if end < len(all) {
			next = &pageToken{Kind: ps.kind, Tenant: rc.t.info.ID, Offset: end}
		}
	}

	b := make([]byte, 0, 256+len(page)*400)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, rc.context(ps.context+selectSuffix(o.selNames)))
	if o.count {
		n := 0
		if o.filter == nil {
			n = ps.list.live()
		} else {
			scan(0, func(_ uint64, v *T) bool {
				if match(v) {
					n++
				}
				return true
			})
		}
		b = append(b, `,"@odata.count":`...)
		b = strconv.AppendInt(b, int64(n), 10)
	}
	if next != nil {
		b = append(b, `,"@odata.nextLink":`...)
		b = appendString(b, rc.nextLink("$skiptoken", rc.s.tokens.encode(*next)))
	}
	b = append(b, `,"value":[`...)
	for i, v := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = ps.sch.appendObject(b, v, o.sel, typeAnnotation(ps.typeName))
		if ps.extra != nil {
			b = ps.extra(b[:len(b)-1], v)
			b = append(b, '}')
		}
	}
	b = append(b, "]}"...)
	return jsonResponse(200, b)
}

// typeAnnotation returns an extra-field writer for "@odata.type".
func typeAnnotation(typeName string) func([]byte) []byte {
	if typeName == "" {
		return nil
	}
	return func(b []byte) []byte {
		b = append(b, `"@odata.type":"#`...)
		b = append(b, typeName...)
		return append(b, '"')
	}
}

// selectSuffix renders "(a,b)" for @odata.context.
func selectSuffix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "(" + strings.Join(names, ",") + ")"
}

// nextLink rebuilds the request URL with one token parameter replaced;
// other tokens are dropped so links never carry stale state.
func (rc *reqCtx) nextLink(param, value string) string {
	keys := make([]string, 0, len(rc.query))
	for k := range rc.query {
		if k == "$skiptoken" || k == "$deltatoken" || k == "$skipToken" || k == "$deltaToken" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.WriteString(rc.graphBase())
	sb.WriteString(rc.path)
	sep := byte('?')
	for _, k := range keys {
		for _, v := range rc.query[k] {
			sb.WriteByte(sep)
			sep = '&'
			sb.WriteString(queryEscape(k))
			sb.WriteByte('=')
			sb.WriteString(queryEscape(v))
		}
	}
	sb.WriteByte(sep)
	sb.WriteString(param)
	sb.WriteByte('=')
	sb.WriteString(queryEscape(value))
	return sb.String()
}

// queryEscape escapes like url.QueryEscape but keeps '$' and ',' readable,
// as Graph's own links do.
func queryEscape(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "%24", "$")
	return strings.ReplaceAll(e, "%2C", ",")
}
