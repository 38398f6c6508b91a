package graphsim

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// defaultPageSize is Graph's page size for directory lists without $top.
const defaultPageSize = 100

// listOpts are the parsed OData options of a collection request.
type listOpts struct {
	top      int
	sel      []int
	selNames []string // as given, for @odata.context; nil without $select
	filter   *odata.Filter
	count    bool
	orderBy  *odata.OrderBy
	advanced bool // ConsistencyLevel: eventual
}

// fromOData converts an odata parse error into Graph's error answer.
func fromOData(err error) *gerror {
	var oe *odata.Error
	if errors.As(err, &oe) {
		return &gerror{status: http.StatusBadRequest, code: oe.Code, message: oe.Message}
	}
	return errBadRequestPlain(err.Error())
}

// errNeedsAdvanced is Graph's answer to an advanced query sent without
// the advanced query parameters.
func errNeedsAdvanced(what string) *gerror {
	return &gerror{status: http.StatusBadRequest, code: codeUnsupportedQuery,
		message: what + " is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information"}
}

// parseSelect resolves $select against sch; nil means the default set.
func parseSelect[T any](raw string, sch *schema[T]) ([]int, []string, *gerror) {
	if strings.TrimSpace(raw) == "" {
		return sch.defaults, nil, nil
	}
	names, err := odata.ParseSelect(raw)
	if err != nil {
		return nil, nil, fromOData(err)
	}
	var sel []int
	var canon []string
	for _, n := range names {
		if n == "*" {
			return sch.all, nil, nil
		}
		i, ok := sch.lookup(n)
		if !ok {
			return nil, nil, errBadRequestPlain("Could not find a property named '" + n + "' on type '" + sch.typeName + "'.")
		}
		sel = append(sel, i)
		canon = append(canon, sch.props[i].name)
	}
	// Graph always returns id with a $select.
	if idx, _ := sch.lookup("id"); !containsInt(sel, idx) {
		sel = append(sel, idx)
	}
	return sel, canon, nil
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// parseListOpts reads $top, $select, $filter, $count and $orderby.
// sortable names the properties Graph sorts without advanced queries.
func parseListOpts[T any](rc *reqCtx, sch *schema[T], sortable ...string) (*listOpts, *gerror) {
	o := &listOpts{top: defaultPageSize}
	o.advanced = strings.EqualFold(strings.TrimSpace(rc.header.Get("ConsistencyLevel")), "eventual")
	q := rc.query
	if v := q.Get("$top"); v != "" {
		n, err := odata.ParseTop(v)
		if err != nil {
			return nil, fromOData(err)
		}
		o.top = n
	}
	var e *gerror
	if o.sel, o.selNames, e = parseSelect(q.Get("$select"), sch); e != nil {
		return nil, e
	}
	if v := q.Get("$count"); v != "" {
		c, err := odata.ParseCount(v)
		if err != nil {
			return nil, fromOData(err)
		}
		if c && !o.advanced {
			return nil, errBadRequest("$count is not currently supported.")
		}
		o.count = c
	}
	if v := q.Get("$filter"); v != "" {
		f, err := odata.ParseFilter(v)
		if err != nil {
			return nil, fromOData(err)
		}
		if err := f.Resolve(sch.canon, sch.typeName); err != nil {
			return nil, fromOData(err)
		}
		if f.NeedsAdvanced() && !(o.advanced && o.count) {
			return nil, errNeedsAdvanced("This $filter")
		}
		o.filter = f
	}
	if v := q.Get("$orderby"); v != "" {
		obs, err := odata.ParseOrderBy(v)
		if err != nil {
			return nil, fromOData(err)
		}
		if len(obs) != 1 {
			return nil, &gerror{status: 400, code: codeUnsupportedQuery, message: "Sorting not supported for current query."}
		}
		ob := obs[0]
		name, ok := sch.canon(ob.Property)
		if !ok {
			return nil, errBadRequestPlain("Could not find a property named '" + ob.Property + "' on type '" + sch.typeName + "'.")
		}
		ob.Property = name
		basic := false
		for _, s := range sortable {
			basic = basic || s == name
		}
		if !o.advanced && (!basic || o.filter != nil) {
			return nil, &gerror{status: 400, code: codeUnsupportedQuery, message: "Sorting not supported for current query."}
		}
		o.orderBy = &ob
	}
	if q.Has("$search") && !o.advanced {
		return nil, errNeedsAdvanced("Request with $search query parameter")
	}
	return o, nil
}

// sortObjects orders objs by one property, like Graph: nulls first
// ascending, case-insensitive for strings, id as the tie-breaker.
func sortObjects[T any](objs []*T, sch *schema[T], ob *odata.OrderBy, id func(*T) string) {
	less := func(a, b *T) int {
		va, _ := sch.get(a, ob.Property)
		vb, _ := sch.get(b, ob.Property)
		c := compareValues(va, vb)
		if c == 0 {
			c = strings.Compare(id(a), id(b))
			return c
		}
		if ob.Desc {
			return -c
		}
		return c
	}
	sort.SliceStable(objs, func(i, j int) bool { return less(objs[i], objs[j]) < 0 })
}

func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return strings.Compare(toString(a), toString(b))
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case interface{ String() string }:
		return x.String()
	}
	return ""
}
