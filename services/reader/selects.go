package reader

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/services/transformer"
)

// RulesResolver returns a configuration's compiled rules; the reader reads
// its user mappings to choose the users $select. app.Configs and
// transformer.StaticRules implement it.
type RulesResolver interface {
	Rules(ctx context.Context, configurationID string) (*transformer.Compiled, error)
}

// mappedOnly are user_select properties selected for a configuration only
// when its user mappings write the target attribute of the same name: a
// navigation property costs Graph an expansion per user, and reading one
// nobody maps would only make changes (and writes) nobody asked for.
var mappedOnly = []string{"manager"}

// UserSelectFor is the users $select of a configuration: base (user_select)
// without the mappedOnly properties its user mappings do not write. nil
// rules keep base as it is.
func UserSelectFor(base []string, dc *decide.Config) []string {
	if dc == nil {
		return base
	}
	out := make([]string, 0, len(base))
	for _, p := range base {
		if slices.Contains(mappedOnly, p) && !mapsUserTarget(dc, p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func mapsUserTarget(dc *decide.Config, target string) bool {
	if !dc.Users.Enabled || dc.Users.Mappings == nil {
		return false
	}
	_, ok := dc.Users.Mappings.Lookup(target)
	return ok
}

// userSelect resolves the cycle's users $select (Deps.Rules; without it,
// or without a mappedOnly property in user_select, user_select as
// configured: the rules are not even read).
func (c *cycle) userSelect(ctx context.Context) ([]string, error) {
	base := c.r.cfg.UserSelect
	if !c.r.cfg.Manager {
		base = slices.DeleteFunc(slices.Clone(base), func(p string) bool { return p == "manager" })
	}
	if c.r.deps.Rules == nil || !slices.ContainsFunc(base, func(p string) bool {
		return slices.Contains(mappedOnly, p)
	}) {
		return base, nil
	}
	cfgID := c.start.GetConfigurationId()
	comp, err := c.r.deps.Rules.Rules(ctx, cfgID)
	if err != nil {
		return nil, fmt.Errorf("rules of %s: %w", cfgID, err)
	}
	return UserSelectFor(base, comp.Config), nil
}

// selectKey is what a watermark records of a $select (Watermark.Select):
// the properties sorted, so that only a different set counts as changed.
func selectKey(sel []string) string {
	s := slices.Clone(sel)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ",")
}
