package seed_test

import (
	"fmt"

	"github.com/xtsync/xtsync/graphsim/seed"
)

func ExampleGenerate() {
	t := seed.Generate(seed.Spec{Domain: "contoso.com", Users: 1000, Groups: 40, Seed: 1})
	guests := 0
	for _, u := range t.Users {
		if u.UserType == "Guest" {
			guests++
		}
	}
	fmt.Println(len(t.Users), len(t.Groups), guests, t.InitialDomain)
	// Output: 1000 40 10 contoso.onmicrosoft.com
}
