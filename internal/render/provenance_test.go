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
	// A row a rule allows only for sshd, whose owner could not be seen,
	// is not "no violation": it is counted and said, with why, in the
	// reader's language.
	r.Policy.Unproven = []report.PolicyViolation{{Kind: report.PolicyOwnerUnknown, Proto: "tcp", Port: 22, Rule: "p.yaml:4",
		Message: report.Note{Key: "policy.owner-unknown", Args: []string{"tcp/22 on *", "p.yaml:4", "process sshd", "socket owned by uid 0 (root); owners outside this PID namespace are invisible", "pid-namespace", "0", "root"}}}}
	for lang, want := range map[string]string{
		"en": "policy p.yaml: 1 line not proven allowed: a rule allows it only for a named owner, which could not be seen\n" +
			"  NOT PROVEN: tcp/22 on *: policy p.yaml:4 allows it only for process sshd, and its owner could not be seen: ",
		"ja": "ポリシー p.yaml: 許可を確認できない行 1 個 (規則が許可する所有者を確認できません)\n" +
			"  未確認: tcp/22 on *: ポリシー p.yaml:4 は process sshd にのみ許可していますが、所有プロセスを確認できません: ",
	} {
		got := policySummary(newTexts(lang, nil), r)
		if !strings.HasPrefix(got, want) || strings.Contains(got, "違反なし") || strings.Contains(got, "no violation") {
			t.Errorf("%s, owner unknown: %q\nwant it to start with %q", lang, got, want)
		}
		if reason := newTexts(lang, nil).note(report.Note{Key: "owner.unknown", Args: r.Policy.Unproven[0].Message.Args[3:]}); !strings.Contains(got, strings.TrimPrefix(strings.TrimPrefix(reason, "owner unknown: "), "所有プロセス不明: ")) {
			t.Errorf("%s: %q does not say why as the row's note does (%q)", lang, got, reason)
		}
	}
}
