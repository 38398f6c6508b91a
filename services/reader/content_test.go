package reader

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// contentUser is a user change carrying every default-selected property,
// shaped the way Graph returns them: mostly strings, a bool, string lists
// and the two nested objects.
func contentUser(tb testing.TB, i int) *eventsv1.SourceChange {
	tb.Helper()
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
	attrs := graph.Attributes{}
	for _, p := range DefaultUserSelect() {
		attrs[p] = fmt.Sprintf("%s-value-%d", p, i)
	}
	attrs["accountEnabled"] = i%7 != 0
	attrs["otherMails"] = []string{fmt.Sprintf("u%d@other.example", i), fmt.Sprintf("u%d@alt.example", i)}
	attrs["proxyAddresses"] = []string{fmt.Sprintf("SMTP:u%d@contoso.example", i)}
	attrs["employeeOrgData"] = map[string]any{"division": "R&D", "costCenter": fmt.Sprintf("cc-%d", i%13)}
	attrs["onPremisesExtensionAttributes"] = map[string]any{
		"extensionAttribute1": fmt.Sprintf("ext-%d", i), "extensionAttribute2": nil, "extensionAttribute15": "x",
	}
	attrs["mobilePhone"] = nil
	s, err := attributesJSON(id, nil, attrs, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &eventsv1.SourceChange{
		ConfigurationId: "cfg",
		CycleId:         "cycle",
		Object:          &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_USER, TenantId: "tenant", ObjectId: id},
		Kind:            eventsv1.ChangeKind_CHANGE_KIND_UPSERT,
		AttributesJson:  s,
		ObservedAt:      timestamppb.Now(),
	}
}

func contentGroup(id string, members ...string) *eventsv1.SourceChange {
	return &eventsv1.SourceChange{
		Object:         &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_GROUP, TenantId: "tenant", ObjectId: id},
		Kind:           eventsv1.ChangeKind_CHANGE_KIND_UPSERT,
		AttributesJson: []byte(`{"displayName":` + strconv.Quote(id) + `}`),
		MemberIds:      members,
	}
}

func userPage(tb testing.TB, n int) []*eventsv1.SourceChange {
	page := make([]*eventsv1.SourceChange, n)
	for i := range page {
		page[i] = contentUser(tb, i)
	}
	return page
}

func clonePage(page []*eventsv1.SourceChange) []*eventsv1.SourceChange {
	out := make([]*eventsv1.SourceChange, len(page))
	for i, c := range page {
		out[i] = proto.Clone(c).(*eventsv1.SourceChange)
	}
	return out
}

// TestContentNumber pins what a batch's number depends on: the round type,
// the link and each change's object, kind, attributes and sorted members;
// not the read time, the order of changes or of members, nor the map
// iteration order of attributes read through the SDK.
func TestContentNumber(t *testing.T) {
	const typ, link = "users", "https://graph.example/delta?token=1"
	base := func() []*eventsv1.SourceChange {
		return append(userPage(t, 5), contentGroup("g1", "m1", "m2", "m3"))
	}
	want := contentNumber(typ, link, base())
	if want < 0 {
		t.Fatalf("number %d is negative", want)
	}
	// attr edits the third change's attributes.
	attr := func(p []*eventsv1.SourceChange, edit func(f map[string]any)) []*eventsv1.SourceChange {
		var f map[string]any
		if err := json.Unmarshal(p[2].GetAttributesJson(), &f); err != nil {
			t.Fatal(err)
		}
		edit(f)
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		p[2].AttributesJson = b
		return p
	}
	tests := []struct {
		name      string
		typ, link string
		edit      func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange
		same      bool
	}{
		{name: "identical", same: true},
		{name: "read time", same: true, edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			for _, c := range p {
				c.ObservedAt = timestamppb.New(c.GetObservedAt().AsTime().Add(3600e9))
			}
			return p
		}},
		{name: "change order", same: true, edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[0], p[4] = p[4], p[0]
			p[1], p[5] = p[5], p[1]
			return p
		}},
		{name: "member order", same: true, edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[5].MemberIds = []string{"m3", "m1", "m2"}
			return p
		}},
		{name: "attributes rebuilt", same: true, edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			// A fresh map per change: another iteration order.
			return clonePage(p)
		}},
		{name: "cycle and configuration", same: true, edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[0].CycleId, p[0].ConfigurationId = "other", "other"
			return p
		}},
		{name: "round type", typ: "revisit"},
		{name: "link", link: link + "2"},
		{name: "object id", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[1].Object.ObjectId += "x"
			return p
		}},
		{name: "tenant", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[1].Object.TenantId = "other"
			return p
		}},
		{name: "object type", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[5].Object.Type = commonv1.ObjectType_OBJECT_TYPE_USER
			return p
		}},
		{name: "kind", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[3].Kind = eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED
			return p
		}},
		{name: "string attribute", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["displayName"] = "renamed" })
		}},
		{name: "string to null", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["displayName"] = nil })
		}},
		{name: "bool attribute", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["accountEnabled"] = !f["accountEnabled"].(bool) })
		}},
		{name: "number attribute", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["accountEnabled"] = 1 })
		}},
		{name: "attribute added", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["extra"] = "" })
		}},
		{name: "attribute removed", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { delete(f, "mobilePhone") })
		}},
		{name: "attribute renamed", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) {
				f["displayName2"] = f["displayName"]
				delete(f, "displayName")
			})
		}},
		{name: "value moved to another key", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["displayName"], f["givenName"] = f["givenName"], f["displayName"] })
		}},
		{name: "list element", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["otherMails"].([]any)[1] = "new@x" })
		}},
		{name: "list order", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) {
				l := f["otherMails"].([]any)
				l[0], l[1] = l[1], l[0]
			})
		}},
		{name: "nested attribute", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) { f["employeeOrgData"].(map[string]any)["division"] = "Sales" })
		}},
		{name: "nested null to empty", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return attr(p, func(f map[string]any) {
				f["onPremisesExtensionAttributes"].(map[string]any)["extensionAttribute2"] = ""
			})
		}},
		{name: "member added", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[5].MemberIds = append(p[5].MemberIds, "m4")
			return p
		}},
		{name: "member replaced", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[5].MemberIds[0] = "m9"
			return p
		}},
		{name: "member set", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[5].MemberSet = "set-1"
			return p
		}},
		{name: "change dropped", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return p[1:]
		}},
		{name: "change repeated", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			return append(p, proto.Clone(p[0]).(*eventsv1.SourceChange))
		}},
		{name: "field boundary", edit: func(p []*eventsv1.SourceChange) []*eventsv1.SourceChange {
			p[5].Object.ObjectId += "m1"
			p[5].MemberIds = []string{"m2", "m3"}
			return p
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ, link := typ, link
			if tc.typ != "" {
				typ = tc.typ
			}
			if tc.link != "" {
				link = tc.link
			}
			page := base()
			if tc.edit != nil {
				page = tc.edit(page)
			}
			got := contentNumber(typ, link, page)
			if tc.same && got != want {
				t.Errorf("number changed: %d, want %d", got, want)
			}
			if !tc.same && got == want {
				t.Errorf("number unchanged: %d", got)
			}
		})
	}
}

// BenchmarkContentNumber numbers a 100-user page with the default user
// attributes, as publishByContent does for each shard of a delta page.
func BenchmarkContentNumber(b *testing.B) {
	page := userPage(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		contentNumber("users", "https://graph.example/delta?token=1", page)
	}
}
