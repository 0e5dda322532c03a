package source

import "testing"

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
