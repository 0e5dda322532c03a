package render

import (
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
)

func TestProvenanceAndPolicyNotes(t *testing.T) {
	tests := []struct {
		lang string
		note report.Note
		want string
	}{
		{"en", report.Note{Key: "provenance.enabled", Args: []string{"/etc/rc.conf:3 sshd=YES", "rc.conf", "sshd"}}, "enabled: /etc/rc.conf:3 sshd=YES"},
		{"en", report.Note{Key: "provenance.default", Args: []string{"/etc/defaults/rc.conf:120 postfix=YES", "defaults", "postfix"}},
			"RUNNING BY DEFAULT, not enabled by you: /etc/defaults/rc.conf:120 postfix=YES"},
		{"ja", report.Note{Key: "provenance.default", Args: []string{"/etc/defaults/rc.conf:120 postfix=YES", "defaults", "postfix"}},
			"既定で起動 (管理者は有効化していない): /etc/defaults/rc.conf:120 postfix=YES"},
		{"en", report.Note{Key: "provenance.not-enabled", Args: []string{"/proc/9/cgroup (session-3.scope)", "session", "session-3.scope"}},
			"not enabled (started in a login session): /proc/9/cgroup (session-3.scope)"},
		{"ja", report.Note{Key: "provenance.not-enabled", Args: []string{"", "cron", "cron.service"}}, "有効化されていない (cron から起動): -"},
		{"en", report.Note{Key: "provenance.unknown", Args: []string{"x", "some-new-code", ""}}, "start unknown (some-new-code): x"},
		{"en", report.Note{Key: "policy.exposure", Args: []string{"p.yaml:4", "loopback", "all"}}, "EXPOSURE CHANGED: policy p.yaml:4 allows loopback, now all"},
		{"ja", report.Note{Key: "policy.new", Args: []string{"tcp/8080 *"}}, "ポリシー外: 新しい待ち受け tcp/8080 *"},
	}
	for _, tt := range tests {
		if got := newTexts(tt.lang, nil).note(tt.note); got != tt.want {
			t.Errorf("%s %s: got %q, want %q", tt.lang, tt.note.Key, got, tt.want)
		}
	}
}

func TestPolicySummary(t *testing.T) {
	r := &report.Report{Policy: &report.PolicyResult{File: "p.yaml", Rules: 3, Violations: []report.PolicyViolation{
		{Kind: report.PolicyNew, Proto: "tcp", Port: 8080, Message: report.Note{Key: "policy.new", Args: []string{"tcp/8080 *"}}},
		{Kind: report.PolicyMissing, Proto: "tcp", Port: 25, Message: report.Note{Key: "policy.missing", Args: []string{"p.yaml:7", "tcp/25 master"}}},
	}}}
	got := policySummary(newTexts("en", nil), r)
	want := "policy p.yaml: 2 violations\n  MISSING: tcp/25 master (policy p.yaml:7) does not listen\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	r.Policy.Violations = nil
	if got := policySummary(newTexts("ja", nil), r); !strings.Contains(got, "違反なし") {
		t.Errorf("ja, no violations: %q", got)
	}
	if got := policySummary(newTexts("en", nil), &report.Report{}); got != "" {
		t.Errorf("no policy: %q", got)
	}
}
