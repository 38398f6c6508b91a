package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// ListGroups calls fn for every group matching q, page by page.
func (c *Client) ListGroups(ctx context.Context, q Query, fn func(Group) error) error {
	resp, err := c.sdk.Groups().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		Headers: q.headers(),
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{
			Select: q.Select, Filter: q.filter(), Top: q.top(), Count: countIf(q.Advanced),
		},
	})
	if err != nil {
		return wrap("list groups", err)
	}
	err = eachGroup(ctx, c, resp, q, fn)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	return nil
}

// GetGroup reads one group.
func (c *Client) GetGroup(ctx context.Context, id string, selectProps ...string) (Group, error) {
	m, err := c.sdk.Groups().ByGroupId(id).Get(ctx, &groups.GroupItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupItemRequestBuilderGetQueryParameters{Select: selectProps},
	})
	if err != nil {
		return Group{}, wrap("get group "+id, err)
	}
	return groupFromModel(m, selectProps...)
}

// CreateGroup creates a group from Graph-named attributes; a static
// security group needs displayName, mailNickname, securityEnabled true and
// mailEnabled false.
func (c *Client) CreateGroup(ctx context.Context, attrs Attributes) (Group, error) {
	m, err := c.sdk.Groups().Post(ctx, groupModel(attrs), nil)
	if err != nil {
		return Group{}, wrap("create group", err)
	}
	return groupFromModel(m)
}

// UpdateGroup PATCHes exactly the given attributes.
func (c *Client) UpdateGroup(ctx context.Context, id string, attrs Attributes) error {
	if _, err := c.sdk.Groups().ByGroupId(id).Patch(ctx, groupModel(attrs), nil); err != nil {
		return wrap("update group "+id, err)
	}
	return nil
}

// DeleteGroup soft-deletes a group.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	if err := c.sdk.Groups().ByGroupId(id).Delete(ctx, nil); err != nil {
		return wrap("delete group "+id, err)
	}
	return nil
}

// AddMember adds a directory object to a group (POST members/$ref).
// Graph answers 400 "One or more added object references already exist"
// for an existing member; callers treat that as success via IsConflict or
// the message, as real Graph does not use 409 here.
func (c *Client) AddMember(ctx context.Context, groupID, memberID string) error {
	ref := models.NewReferenceCreate()
	id := c.directoryObjectURL(memberID)
	ref.SetOdataId(&id)
	if err := c.sdk.Groups().ByGroupId(groupID).Members().Ref().Post(ctx, ref, nil); err != nil {
		return wrap(fmt.Sprintf("add member %s to group %s", memberID, groupID), err)
	}
	return nil
}

// RemoveMember removes a member (DELETE members/{id}/$ref).
func (c *Client) RemoveMember(ctx context.Context, groupID, memberID string) error {
	if err := c.sdk.Groups().ByGroupId(groupID).Members().ByDirectoryObjectId(memberID).Ref().Delete(ctx, nil); err != nil {
		return wrap(fmt.Sprintf("remove member %s from group %s", memberID, groupID), err)
	}
	return nil
}

// ListMemberIDs returns the ids of a group's direct members.
func (c *Client) ListMemberIDs(ctx context.Context, groupID string) ([]string, error) {
	resp, err := c.sdk.Groups().ByGroupId(groupID).Members().Get(ctx, &groups.ItemMembersRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.ItemMembersRequestBuilderGetQueryParameters{Select: []string{"id"}},
	})
	if err != nil {
		return nil, wrap("list members of group "+groupID, err)
	}
	var ids []string
	err = iterate(ctx, c, resp, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue, nil,
		func(m models.DirectoryObjectable) error {
			ids = append(ids, deref(m.GetId()))
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	return ids, nil
}

// ListUserMemberIDs returns the ids of a group's direct user members
// (/members/graph.user): nested groups, devices and contacts are left out,
// which is what a synchronized group's member set needs.
func (c *Client) ListUserMemberIDs(ctx context.Context, groupID string) ([]string, error) {
	// Raw pages, like delta: the SDK's page iterator built a full user model
	// per member id, which made a delta cycle touching a big group cost
	// O(members) SDK parsing (BENCHMARKS.md, issue 5).
	b := c.sdk.Groups().ByGroupId(groupID).Members().GraphUser()
	info, err := b.ToGetRequestInformation(ctx, &groups.ItemMembersGraphUserRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.ItemMembersGraphUserRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: new(int32(999))},
	})
	if err != nil {
		return nil, fmt.Errorf("list user members of group %s: %w", groupID, err)
	}
	ids := []string{}
	seen := map[string]bool{}
	for {
		body, err := c.sendRaw(ctx, info, nil)
		if err != nil {
			return nil, wrap("list user members of group "+groupID, err)
		}
		next, err := decodeIDPage(body, func(id string) { ids = append(ids, id) })
		if err != nil {
			return nil, wrap("list user members of group "+groupID, err)
		}
		if next == "" {
			return ids, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("list user members of group %s: %w", groupID, ErrLinkLoop)
		}
		seen[next] = true
		if info, err = b.WithUrl(next).ToGetRequestInformation(ctx, nil); err != nil {
			return nil, fmt.Errorf("list user members of group %s: %w", groupID, err)
		}
	}
}

// decodeIDPage reads one collection page of {"id": ...} entries and
// returns its @odata.nextLink.
func decodeIDPage(body []byte, emit func(id string)) (string, error) {
	page, err := decodeDelta(body, func(_ []byte, props []prop) (string, error) { return entryID(props) })
	if err != nil {
		return "", err
	}
	for _, id := range page.Objects {
		emit(id)
	}
	return page.NextLink, nil
}

// directoryObjectURL is the @odata.id Graph expects in a $ref body.
func (c *Client) directoryObjectURL(id string) string {
	return strings.TrimSuffix(c.cfg.GraphURL, "/") + "/directoryObjects/" + id
}
