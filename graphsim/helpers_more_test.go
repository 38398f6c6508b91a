package graphsim

import (
	"errors"
	"testing"
)

func TestRemoveMemberAndRestoreUser(t *testing.T) {
	s := startSim(t, TenantSpec{Domain: "contoso.example"})
	ten := s.srv.Tenants()[0]
	u, err := ten.AddUser(User{UserPrincipalName: "a@contoso.example", DisplayName: "A", AccountEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	g, err := ten.AddGroup(Group{DisplayName: "G", MailNickname: "g", SecurityEnabled: true, Members: []string{u.ID}})
	if err != nil {
		t.Fatal(err)
	}
	before := ten.ChangeCount()
	if err := ten.RemoveMember(g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := ten.Group(g.ID); len(got.Members) != 0 {
		t.Fatalf("members after remove: %v", got.Members)
	}
	if ten.ChangeCount() == before {
		t.Fatal("a removed member must show in the delta")
	}
	if err := ten.RemoveMember(g.ID, u.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing a non-member: %v, want ErrNotFound", err)
	}
	if err := ten.RestoreUser(u.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("restoring a live user: %v, want ErrNotFound", err)
	}
	if err := ten.DeleteUser(u.ID); err != nil {
		t.Fatal(err)
	}
	if err := ten.RestoreUser(u.ID); err != nil {
		t.Fatal(err)
	}
	if got, ok := ten.User(u.ID); !ok || got.DeletedDateTime != nil {
		t.Fatalf("restored user: %+v %v", got, ok)
	}
}
