package graph

import (
	"context"
	"fmt"
	"strconv"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// DeltaRequest starts a delta query (Link empty) or continues one from a
// saved @odata.nextLink or @odata.deltaLink.
type DeltaRequest struct {
	// Select applies only when starting; Graph keeps it in the links.
	Select []string
	Link   string
	// PageSize asks for at most this many objects per page (Prefer:
	// odata.maxpagesize); 0 is Graph's default.
	PageSize int
}

// DeltaPage is one page of a delta query. Exactly one of NextLink and
// DeltaLink is set: NextLink means more pages follow in this round;
// DeltaLink is the watermark for the next round.
type DeltaPage[T any] struct {
	Objects   []T
	Removed   []Removed
	NextLink  string
	DeltaLink string
}

func (r DeltaRequest) headers() *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	if r.PageSize > 0 {
		h.Add("Prefer", "odata.maxpagesize="+strconv.Itoa(r.PageSize))
	}
	return h
}

// UsersDeltaPage reads one page of /users/delta. An expired link fails with
// an error matching ErrDeltaExpired.
func (c *Client) UsersDeltaPage(ctx context.Context, r DeltaRequest) (DeltaPage[User], error) {
	b := c.sdk.Users().Delta()
	cfg := &users.DeltaRequestBuilderGetRequestConfiguration{Headers: r.headers()}
	if r.Link != "" {
		b = b.WithUrl(r.Link)
	} else {
		cfg.QueryParameters = &users.DeltaRequestBuilderGetQueryParameters{Select: r.Select}
	}
	resp, err := b.GetAsDeltaGetResponse(ctx, cfg)
	if err != nil {
		return DeltaPage[User]{}, wrap("users delta", err)
	}
	page := DeltaPage[User]{NextLink: deref(resp.GetOdataNextLink()), DeltaLink: deref(resp.GetOdataDeltaLink())}
	for _, m := range resp.GetValue() {
		if rm, ok := removedOf(m.GetAdditionalData()); ok {
			page.Removed = append(page.Removed, Removed{ID: deref(m.GetId()), Reason: rm})
			continue
		}
		u, err := userFromModel(m)
		if err != nil {
			return DeltaPage[User]{}, fmt.Errorf("users delta: %w", err)
		}
		page.Objects = append(page.Objects, u)
	}
	return page, nil
}

// GroupsDeltaPage reads one page of /groups/delta. Membership changes are
// in each Group's Members (members@delta); select "members" to get them.
func (c *Client) GroupsDeltaPage(ctx context.Context, r DeltaRequest) (DeltaPage[Group], error) {
	b := c.sdk.Groups().Delta()
	cfg := &groups.DeltaRequestBuilderGetRequestConfiguration{Headers: r.headers()}
	if r.Link != "" {
		b = b.WithUrl(r.Link)
	} else {
		cfg.QueryParameters = &groups.DeltaRequestBuilderGetQueryParameters{Select: r.Select}
	}
	resp, err := b.GetAsDeltaGetResponse(ctx, cfg)
	if err != nil {
		return DeltaPage[Group]{}, wrap("groups delta", err)
	}
	page := DeltaPage[Group]{NextLink: deref(resp.GetOdataNextLink()), DeltaLink: deref(resp.GetOdataDeltaLink())}
	for _, m := range resp.GetValue() {
		if rm, ok := removedOf(m.GetAdditionalData()); ok {
			page.Removed = append(page.Removed, Removed{ID: deref(m.GetId()), Reason: rm})
			continue
		}
		g, err := groupFromModel(m)
		if err != nil {
			return DeltaPage[Group]{}, fmt.Errorf("groups delta: %w", err)
		}
		g.Members = memberChanges(m)
		delete(g.Attributes, "members@delta")
		page.Objects = append(page.Objects, g)
	}
	return page, nil
}

// UsersDelta runs one delta round to its end, calling fn per page, and
// returns the new deltaLink. fn sees the page before the next is fetched,
// so a reader can queue it durably first.
func (c *Client) UsersDelta(ctx context.Context, r DeltaRequest, fn func(DeltaPage[User]) error) (string, error) {
	return deltaRound(ctx, r, c.UsersDeltaPage, fn)
}

// GroupsDelta is UsersDelta for groups.
func (c *Client) GroupsDelta(ctx context.Context, r DeltaRequest, fn func(DeltaPage[Group]) error) (string, error) {
	return deltaRound(ctx, r, c.GroupsDeltaPage, fn)
}

func deltaRound[T any](ctx context.Context, r DeltaRequest,
	get func(context.Context, DeltaRequest) (DeltaPage[T], error), fn func(DeltaPage[T]) error) (string, error) {
	seen := map[string]bool{}
	for {
		page, err := get(ctx, r)
		if err != nil {
			return "", err
		}
		if err := fn(page); err != nil {
			return "", err
		}
		if page.DeltaLink != "" {
			return page.DeltaLink, nil
		}
		if page.NextLink == "" {
			return "", fmt.Errorf("delta page has neither nextLink nor deltaLink")
		}
		if seen[page.NextLink] || page.NextLink == r.Link {
			return "", fmt.Errorf("delta: %w", ErrLinkLoop)
		}
		seen[page.NextLink] = true
		r = DeltaRequest{Link: page.NextLink, PageSize: r.PageSize}
	}
}

// removedOf reads the "@removed": {"reason": ...} marker of a delta entry.
func removedOf(extra map[string]any) (string, bool) {
	raw, ok := extra["@removed"]
	if !ok {
		return "", false
	}
	reason := "deleted"
	if m, ok := plain(raw).(map[string]any); ok {
		if r, ok := m["reason"].(string); ok && r != "" {
			reason = r
		}
	}
	return reason, true
}

// memberChanges reads members@delta, which the SDK leaves in
// AdditionalData because it is not a property of the group model.
func memberChanges(m models.Groupable) []MemberChange {
	raw, ok := m.GetAdditionalData()["members@delta"]
	if !ok {
		return nil
	}
	list, _ := plain(raw).([]any)
	out := make([]MemberChange, 0, len(list))
	for _, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			continue
		}
		id, _ := em["id"].(string)
		typ, _ := em["@odata.type"].(string)
		_, removed := em["@removed"]
		out = append(out, MemberChange{ID: id, Type: typ, Removed: removed})
	}
	return out
}
