package main

import (
	"slices"
	"testing"
)

func TestSelectTools(t *testing.T) {
	tools := []Tool{{Name: "openports"}, {Name: "openports -o json"}, {Name: "ss -tulpn"},
		{Name: "floor, 1 thread"}, {Name: "floor, 2 threads"}, {Name: "baseline openports"}}
	tests := []struct {
		list string
		want []string
	}{
		{"openports", []string{"openports"}},
		{"openports,baseline openports,ss -tulpn,floor, 2 threads", []string{"openports", "ss -tulpn", "floor, 2 threads", "baseline openports"}},
		{"floor,2 threads", []string{"floor, 2 threads"}},
		{"floor", nil},
		{"2 threads", nil},
		{" ss -tulpn , openports -o json", []string{"openports -o json", "ss -tulpn"}},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range selectTools(tools, tt.list) {
			got = append(got, s.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("selectTools(%q) = %q, want %q", tt.list, got, tt.want)
		}
	}
}
