package tenant

import "testing"

// TestSwap checks that Swap validates like Replace and keeps the pointer
// of every unchanged tenant, by name and by host.
func TestSwap(t *testing.T) {
	r := registry(t)
	a, b := r.Get("uni-a"), r.Get("school-b")
	changedB := Tenant{Name: "school-b", Secrets: []string{"secret-b-1", "secret-b-2"}, Hosts: []string{"bbb.school-b.example"}}
	if err := r.Swap([]Tenant{*a, changedB, {Name: "c", Secrets: []string{"secret-c-1"}}}); err != nil {
		t.Fatal(err)
	}
	if r.Get("uni-a") != a {
		t.Error("an unchanged tenant got a new pointer")
	}
	if got, _ := r.Resolve("bbb.uni-a.example", "/bigbluebutton/api/create"); got != a {
		t.Error("an unchanged tenant's host resolves to a new pointer")
	}
	nb := r.Get("school-b")
	if nb == b || len(nb.Secrets) != 2 {
		t.Errorf("a changed tenant kept its old version: %+v", nb)
	}
	if got, _ := r.Resolve("bbb.school-b.example", "/bigbluebutton/api/create"); got != nb {
		t.Error("a changed tenant's host resolves to its old version")
	}
	if r.Get("c") == nil {
		t.Error("a new tenant is missing")
	}
	// An invalid list changes nothing.
	if err := r.Swap([]Tenant{*a, {Name: "d", Secrets: []string{"secret-d-1"}, Hosts: []string{"BBB.uni-a.example"}}}); err == nil {
		t.Fatal("a host of two tenants was accepted")
	}
	if r.Get("c") == nil || r.Get("d") != nil || r.Get("uni-a") != a {
		t.Error("a refused Swap changed the tenants")
	}
	if HostKey("BBB.Uni-A.example.:8443") != "bbb.uni-a.example" {
		t.Errorf("HostKey = %q", HostKey("BBB.Uni-A.example.:8443"))
	}
}
