package render

import "testing"

func TestJSONSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{"{\"a\":\"x\x7fy\"}", `{"a":"x\u007fy"}`},
		{"{\"a\":\"\u009b31m\"}", `{"a":"\u009b31m"}`},            // CSI as a C1 control
		{"{\"a\":\"\u00a0\u0080\"}", "{\"a\":\"\u00a0\\u0080\"}"}, // NBSP (0xc2 0xa0) stays
		{"{\"a\":\"\u00e9\u0085\u007f\"}", "{\"a\":\"\u00e9\\u0085\\u007f\"}"},
		{"\xc2", "\xc2"}, // a lone lead byte at the end is no C1 control
	}
	for _, tt := range tests {
		if got := string(jsonSafe([]byte(tt.in))); got != tt.want {
			t.Errorf("jsonSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
