package transformer

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
)

func jsonChange(typ commonv1.ObjectType, raw string, members ...string) *eventsv1.SourceChange {
	return &eventsv1.SourceChange{Object: &commonv1.ObjectRef{Type: typ, ObjectId: "u1"},
		AttributesJson: []byte(raw), MemberIds: members}
}

// TestSourceAttrs pins the bag the rules read from the reader's Graph
// JSON: folded names, integral numbers as int64, string lists as
// []string, nested objects flattened, null kept (it clears the target),
// the Entra aliases and the manager's id.
func TestSourceAttrs(t *testing.T) {
	tests := []struct {
		name string
		typ  commonv1.ObjectType
		raw  string
		want rules.Attrs // the keys checked
	}{
		{name: "values", raw: `{"id":"u1","netId":"u1","displayName":"Ann","accountEnabled":true,"jobTitle":null,` +
			`"n":7,"f":1.5,"big":1e300,"otherMails":["a@x","b@x"],"mixed":["a",1,null],"empty":[]}`,
			want: rules.Attrs{"id": "u1", "objectid": "u1", "netid": "u1", "displayname": "Ann", "accountenabled": true,
				"jobtitle": nil, "n": int64(7), "f": 1.5, "big": 1e300, "othermails": []string{"a@x", "b@x"},
				"mixed": []any{"a", int64(1), nil}, "empty": []string{}}},
		{name: "nested and aliases", raw: `{"employeeOrgData":{"division":"R&D","costCenter":null},` +
			`"onPremisesExtensionAttributes":{"extensionAttribute1":"x","extensionAttribute2":null},` +
			`"businessPhones":["+47 1","+47 2"],"mobilePhone":"+47 9","officeLocation":"Oslo"}`,
			want: rules.Attrs{"employeeorgdata.division": "R&D", "employeeorgdata.costcenter": nil,
				"extensionattribute1": "x", "extensionattribute2": nil, "telephonenumber": "+47 1",
				"mobile": "+47 9", "physicaldeliveryofficename": "Oslo", "netid": "u1"}},
		{name: "manager id", raw: `{"manager":"m1"}`, want: rules.Attrs{"manager": "m1"}},
		{name: "manager cleared", raw: `{"manager":null}`, want: rules.Attrs{"manager": nil}},
		{name: "expanded manager", raw: `{"Manager":{"id":"m2","displayName":"Boss"}}`, want: rules.Attrs{"manager": "m2"}},
		{name: "group members", typ: groupType, raw: `{"displayName":"G"}`, want: rules.Attrs{"members": []string{"x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ := tc.typ
			if typ == 0 {
				typ = commonv1.ObjectType_OBJECT_TYPE_USER
			}
			ch := jsonChange(typ, tc.raw, "x")
			a, err := decodeAttrs(ch, nil)
			require.NoError(t, err)
			wantManager := managerOf(a)
			a = sourceAttrs(ch, a)
			for k, v := range tc.want {
				got, ok := a[k]
				require.True(t, ok, "%s missing", k)
				require.Equal(t, v, got, k)
			}
			if m, ok := tc.want["manager"].(string); ok {
				require.Equal(t, m, wantManager)
			}
		})
	}
}

// TestDecodeAttrsRefusesNonObjects: a change whose attributes are not a
// JSON object fails by name, and a removal carries none.
func TestDecodeAttrsRefusesNonObjects(t *testing.T) {
	for _, raw := range []string{`{"a":`, `null`, `[1]`, `"s"`, `{"a":1}x`} {
		_, err := decodeAttrs(jsonChange(commonv1.ObjectType_OBJECT_TYPE_USER, raw), nil)
		require.ErrorContains(t, err, "attributes of u1", raw)
	}
	a, err := decodeAttrs(jsonChange(commonv1.ObjectType_OBJECT_TYPE_USER, ""), nil)
	require.NoError(t, err)
	require.Empty(t, a)
	d := undecodable(errors.New("attributes of u1: bad"))
	require.Equal(t, rules.InvalidAttributeValue, d.Code)
}

// FuzzDecodeAttrs: any bytes either decode to a bag or fail with the
// object named; never a panic.
func FuzzDecodeAttrs(f *testing.F) {
	for _, s := range []string{`{"displayName":"A","n":1,"l":["a"],"o":{"x":null}}`, `{"manager":{"id":5}}`, `null`, `{`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ch := jsonChange(commonv1.ObjectType_OBJECT_TYPE_USER, string(raw))
		a, err := decodeAttrs(ch, nil)
		if err != nil {
			require.ErrorContains(t, err, "attributes of u1")
			return
		}
		var m map[string]any
		if len(raw) > 0 {
			require.NoError(t, json.Unmarshal(raw, &m))
		}
		a = sourceAttrs(ch, a)
		managerOf(a)
		require.Equal(t, "u1", a["objectid"])
	})
}
