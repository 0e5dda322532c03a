package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		stdout   string // a substring
		stderr   string // a substring
		jsonKeys bool
	}{
		{[]string{"explain", "22", "--os", "linux"}, 0, "OpenSSH", "", false},
		{[]string{"explain", "--lang", "ja", "--os", "netbsd", "telnet"}, 0, "公開するとどうなるか", "", false},
		{[]string{"explain", "jserver", "-o", "json"}, 0, `"id": "wnn-jserver"`, "", true},
		{[]string{"explain", "nosuchthing"}, 2, "", "no service, port or process matches", false},
		{[]string{"explain", "22", "--os", "plan9"}, 2, "", "unknown --os", false},
		{[]string{"explain"}, 2, "", "requires at least 1 arg", false},
		{[]string{"explain", "22", "-o", "yaml"}, 2, "", "unknown output format", false},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stdout %q lacks %q or stderr %q lacks %q", out.String(), tc.stdout, errb.String(), tc.stderr)
			}
			if tc.jsonKeys {
				var v []map[string]any
				if err := json.Unmarshal(out.Bytes(), &v); err != nil || len(v) == 0 {
					t.Errorf("json: %v (%d entries)", err, len(v))
				}
			}
		})
	}
}
