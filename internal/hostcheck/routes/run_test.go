package routes

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

// TestCollectNetstat runs the non-netlink collector against a fake
// `netstat -rn`.
func TestCollectNetstat(t *testing.T) {
	data, err := os.ReadFile("testdata/route/netbsd-netstat-f-inet-r.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseNetstat(bytes.NewReader(data), "netstat -rn")
	if err != nil || len(want.Routes) == 0 {
		t.Fatalf("corpus: %v, %d routes", err, len(want.Routes))
	}
	Sort(want.Routes)
	boom := errors.New("exit status 1: netstat: permission denied")
	tests := []struct {
		name    string
		fake    tool.Fake
		want    []Route
		errIs   error
		errHas  string
		partial bool
	}{
		{name: "output parsed and sorted", fake: tool.Fake{"netstat -rn": {Output: data}}, want: want.Routes},
		{name: "tool missing", fake: tool.Fake{}, errIs: tool.ErrNotFound, errHas: "run netstat -rn"},
		{name: "tool fails", fake: tool.Fake{"netstat -rn": {Output: data[:10], Err: boom}}, errIs: boom},
		{name: "unknown line", fake: tool.Fake{"netstat -rn": {Output: append(bytes.Clone(data), "\tthis is not netstat output\n"...)}},
			errHas: "parse netstat -rn: ", partial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collectNetstat(context.Background(), tt.fake)
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
				t.Fatalf("no error, got %d routes", len(got))
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("err = %v, not %v", err, tt.errIs)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %q, lacks %q", err, tt.errHas)
			}
			if tt.partial != (len(got) > 0) {
				t.Errorf("%d routes returned with the error, want some: %v", len(got), tt.partial)
			}
		})
	}
}
