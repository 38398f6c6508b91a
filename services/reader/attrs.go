package reader

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// NetIDAttribute is the source attribute AltSecIdFromNetId reads. Graph
// v1.0 does not expose Entra's netId (PUID), so the reader fills it with the
// source object id: stable for the object's lifetime and unique per tenant,
// which is all the B2B identity needs.
const NetIDAttribute = "netId"

// attributesOf converts a Graph attribute bag to a Struct keyed by Graph
// property name, plus netId. Values keep their Graph JSON shape: strings,
// bools, numbers, string lists, nested objects (employeeOrgData,
// onPremisesExtensionAttributes) and null for a selected property without a
// value.
func attributesOf(id string, attrs graph.Attributes) (*structpb.Struct, error) {
	fields := make(map[string]*structpb.Value, len(attrs)+2)
	for k, v := range attrs {
		pv, err := valueOf(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s of %s: %w", k, id, err)
		}
		fields[k] = pv
	}
	fields["id"] = structpb.NewStringValue(id)
	fields[NetIDAttribute] = structpb.NewStringValue(id)
	return &structpb.Struct{Fields: fields}, nil
}

// valueOf is structpb.NewValue with the few non-JSON types an adapter could
// hand over rendered the way Graph's JSON would.
func valueOf(v any) (*structpb.Value, error) {
	switch x := v.(type) {
	case time.Time:
		return structpb.NewStringValue(x.UTC().Format(time.RFC3339)), nil
	case *time.Time:
		if x == nil {
			return structpb.NewNullValue(), nil
		}
		return structpb.NewStringValue(x.UTC().Format(time.RFC3339)), nil
	case []string:
		list := make([]*structpb.Value, len(x))
		for i, s := range x {
			list[i] = structpb.NewStringValue(s)
		}
		return structpb.NewListValue(&structpb.ListValue{Values: list}), nil
	case []any:
		list := make([]*structpb.Value, len(x))
		for i, e := range x {
			pv, err := valueOf(e)
			if err != nil {
				return nil, err
			}
			list[i] = pv
		}
		return structpb.NewListValue(&structpb.ListValue{Values: list}), nil
	case map[string]any:
		fields := make(map[string]*structpb.Value, len(x))
		for k, e := range x {
			pv, err := valueOf(e)
			if err != nil {
				return nil, err
			}
			fields[k] = pv
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: fields}), nil
	case graph.Attributes:
		return valueOf(map[string]any(x))
	}
	return structpb.NewValue(v)
}
