package grpcx

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xtsync/xtsync/pkg/rules"
)

func TestInvalidArgumentNamesTheFieldsInTheMessage(t *testing.T) {
	many := rules.FieldErrors{}
	for i := range 7 {
		many = append(many, &rules.Error{Code: rules.Required, Path: fmt.Sprintf("f%d", i), Msg: "required"})
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"one", rules.FieldErrors{{Code: rules.Required, Path: "source", Msg: "required"}},
			"configuration.source: required [Required]"},
		{"two", rules.FieldErrors{{Code: rules.Required, Path: "source", Msg: "required"}, {Code: rules.Required, Path: "target", Msg: "required"}},
			"2 invalid fields: configuration.source: required [Required]; configuration.target: required [Required]"},
		{"seven", many,
			"7 invalid fields: configuration.f0: required [Required]; configuration.f1: required [Required]; configuration.f2: required [Required]; configuration.f3: required [Required]; configuration.f4: required [Required]; and 2 more"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := InvalidArgument("configuration", tc.err)
			st := status.Convert(err)
			require.Equal(t, codes.InvalidArgument, st.Code())
			require.Equal(t, tc.want, st.Message())
			require.Len(t, FieldViolations(err), len(tc.err.(rules.FieldErrors)), "the details carry every violation")
		})
	}
}
