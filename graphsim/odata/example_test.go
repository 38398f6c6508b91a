package odata_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// The server's flow: parse, bind names to its schema, decide whether the
// request needed ConsistencyLevel: eventual, then match objects.
func ExampleParseFilter() {
	f, err := odata.ParseFilter("NOT(userType eq 'Guest') and Mail ne null")
	if err != nil {
		panic(err)
	}
	schema := map[string]string{"usertype": "userType", "mail": "mail"}
	err = f.Resolve(func(n string) (string, bool) {
		c, ok := schema[strings.ToLower(n)]
		return c, ok
	}, "microsoft.graph.user")
	fmt.Println(err, f.NeedsAdvanced(), f.Properties())
	fmt.Println(f.Match(obj{"userType": "Member", "mail": "zoe@contoso.com"}))
	fmt.Println(f)

	_, err = odata.ParseFilter("displayName eq 'O'Brien'")
	var oe *odata.Error
	if errors.As(err, &oe) {
		fmt.Println(oe.Code, oe.Pos)
	}
	// Output:
	// <nil> true [userType mail]
	// true
	// not (userType eq 'Guest') and mail ne null
	// BadRequest 23
}
