package ifaces

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/openports/openports/internal/source/tool"
)

// TestCollectIfconfig runs the non-netlink collector against a fake
// `ifconfig -a`.
func TestCollectIfconfig(t *testing.T) {
	data, err := os.ReadFile("testdata/ifconfig/netbsd-wm3.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseIfconfig(bytes.NewReader(data), "ifconfig -a")
	if err != nil || len(want.Interfaces) == 0 {
		t.Fatalf("corpus: %v, %d interfaces", err, len(want.Interfaces))
	}
	Sort(want.Interfaces)
	boom := errors.New("exit status 1: ifconfig: permission denied")
	tests := []struct {
		name    string
		fake    tool.Fake
		want    []Interface
		errIs   error
		errHas  string
		partial bool
	}{
		{name: "output parsed and sorted", fake: tool.Fake{"ifconfig -a": {Output: data}}, want: want.Interfaces},
		{name: "tool missing", fake: tool.Fake{}, errIs: tool.ErrNotFound, errHas: "run ifconfig -a"},
		{name: "tool fails", fake: tool.Fake{"ifconfig -a": {Output: data[:10], Err: boom}}, errIs: boom},
		{name: "unknown line", fake: tool.Fake{"ifconfig -a": {Output: append(bytes.Clone(data), "\tinet 10.0.0.300 netmask 0xffffff00\n"...)}},
			errHas: "parse ifconfig -a: ", partial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collectIfconfig(context.Background(), tt.fake)
			if tt.errIs == nil && tt.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %+v\nwant %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, got %d interfaces", len(got))
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("err = %v, not %v", err, tt.errIs)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %q, lacks %q", err, tt.errHas)
			}
			if tt.partial != (len(got) > 0) {
				t.Errorf("%d interfaces returned with the error, want some: %v", len(got), tt.partial)
			}
		})
	}
}
