package linux

import (
	"context"
	"testing"
)

func TestParseOwnerChoice(t *testing.T) {
	tests := []struct {
		in      string
		want    OwnerChoice
		wantErr bool
	}{
		{in: "", want: OwnersAuto},
		{in: "auto", want: OwnersAuto},
		{in: "proc", want: OwnersProc},
		{in: "ebpf", want: OwnersEBPF},
		{in: "EBPF", wantErr: true},
		{in: "bpf", wantErr: true},
		{in: "proc-fd", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseOwnerChoice(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseOwnerChoice(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseOwnerChoice(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOwnersFromContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		want OwnerChoice
	}{
		{"none", context.Background(), OwnersAuto},
		{"proc", WithOwners(context.Background(), OwnersProc), OwnersProc},
		{"ebpf", WithOwners(context.Background(), OwnersEBPF), OwnersEBPF},
		{"empty means auto", WithOwners(context.Background(), ""), OwnersAuto},
	}
	for _, tt := range tests {
		if got := ownersFrom(tt.ctx); got != tt.want {
			t.Errorf("%s: ownersFrom = %q, want %q", tt.name, got, tt.want)
		}
	}
}
