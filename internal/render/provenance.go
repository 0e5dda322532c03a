package render

import (
	"fmt"
	"strings"

	"github.com/openports/openports/internal/report"
)

// provenanceTexts are the texts of provenance notes (analysis.ProvenanceNote)
// and policy verdicts (internal/policy), in every language.
var provenanceTexts = map[string]map[string]string{
	"provenance.enabled":     {"en": "enabled: %[1]s", "ja": "管理者が有効化: %[1]s"},
	"provenance.default":     {"en": "RUNNING BY DEFAULT, not enabled by you: %[1]s", "ja": "既定で起動 (管理者は有効化していない): %[1]s"},
	"provenance.not-enabled": {"en": "not enabled (%[2]s): %[1]s", "ja": "有効化されていない (%[2]s): %[1]s"},
	"provenance.unknown":     {"en": "start unknown (%[2]s): %[1]s", "ja": "起動元不明 (%[2]s): %[1]s"},

	"provenance.reason.disabled":          {"en": "set to NO, started by hand", "ja": "NO に設定、手動で起動"},
	"provenance.reason.unset":             {"en": "not set in rc.conf, started by hand", "ja": "rc.conf に設定なし、手動で起動"},
	"provenance.reason.no-script":         {"en": "no rc.d script runs it, started by hand", "ja": "起動する rc.d スクリプトなし、手動で起動"},
	"provenance.reason.inetd-commented":   {"en": "inetd.conf line commented out, inetd not reloaded", "ja": "inetd.conf の行はコメントアウト済み、inetd が再読み込みされていない"},
	"provenance.reason.session":           {"en": "started in a login session", "ja": "ログインセッションで起動"},
	"provenance.reason.cron":              {"en": "started by cron", "ja": "cron から起動"},
	"provenance.reason.container":         {"en": "in a container", "ja": "コンテナ内"},
	"provenance.reason.transient":         {"en": "transient unit, started by hand", "ja": "一時ユニット、手動で起動"},
	"provenance.reason.wanted-by":         {"en": "pulled in by another unit", "ja": "他のユニットが依存"},
	"provenance.reason.not-enabled":       {"en": "unit not enabled, started by hand", "ja": "ユニット未有効化、手動で起動"},
	"provenance.reason.socket-activation": {"en": "socket activation", "ja": "ソケット起動"},
	"provenance.reason.no-unit":           {"en": "no unit", "ja": "ユニットなし"},
	"provenance.reason.no-cgroup":         {"en": "cgroup unreadable", "ja": "cgroup を読めない"},
	"provenance.reason.unreadable":        {"en": "the value is neither YES nor NO, which rc.subr takes as NO", "ja": "値が YES でも NO でもない (rc.subr は NO とみなす)"},
	"provenance.reason.shell-code":        {"en": "the value comes from shell code openports does not run", "ja": "値は openports が実行しないシェルのコードで決まる"},
	"provenance.reason.conditional":       {"en": "set only under a condition of the shell code", "ja": "シェルのコードの条件下でのみ設定"},
	"provenance.reason.defaults-disabled": {"en": "disabled in the defaults and not enabled in rc.conf, started by hand", "ja": "既定で無効、rc.conf でも有効化されていない、手動で起動"},
	"provenance.reason.no-config":         {"en": "no init configuration", "ja": "init の設定なし"},

	"policy.new":      {"en": "NOT IN POLICY: new listener %[1]s", "ja": "ポリシー外: 新しい待ち受け %[1]s"},
	"policy.exposure": {"en": "EXPOSURE CHANGED: policy %[1]s allows %[2]s, now %[3]s", "ja": "公開範囲が変化: ポリシー %[1]s では %[2]s、現在は %[3]s"},
	"policy.owner":    {"en": "OWNER CHANGED: policy %[1]s allows %[2]s, now %[3]s", "ja": "所有者が変化: ポリシー %[1]s では %[2]s、現在は %[3]s"},
	"policy.missing":  {"en": "MISSING: %[2]s (policy %[1]s) does not listen", "ja": "見つかりません: %[2]s (ポリシー %[1]s) が待ち受けていません"},

	"summary.policy":    {"en": "policy %[1]s: %[2]d %[3]s", "ja": "ポリシー %[1]s: 違反 %[2]d 件"},
	"summary.policy-ok": {"en": "policy %[1]s: no violation (%[2]d rules)", "ja": "ポリシー %[1]s: 違反なし (規則 %[2]d 件)"},
}

func init() {
	for k, v := range provenanceTexts {
		catalogue[k] = v
	}
}

// provenanceNote renders a "provenance.<verdict>" note: arguments are the
// evidence, the reason code and the service.
func (t texts) provenanceNote(n report.Note) string {
	ev, reason := "-", ""
	if len(n.Args) > 0 && n.Args[0] != "" {
		ev = n.Args[0]
	}
	if len(n.Args) > 1 {
		reason = n.Args[1]
		if s := t.get("provenance.reason." + reason); s != "" {
			reason = s
		}
	}
	return t.get(n.Key, ev, reason)
}

// policySummary is the summary's lines about the policy: the count of
// violations, then each missing rule (those have no row).
func policySummary(tx texts, r *report.Report) string {
	p := r.Policy
	if p == nil {
		return ""
	}
	var b strings.Builder
	if len(p.Violations) == 0 {
		fmt.Fprintf(&b, "%s\n", tx.get("summary.policy-ok", Escape(p.File), p.Rules))
		return b.String()
	}
	fmt.Fprintf(&b, "%s\n", tx.get("summary.policy", Escape(p.File), len(p.Violations), plural(len(p.Violations), "violation")))
	for _, v := range p.Violations {
		if v.Kind == report.PolicyMissing {
			fmt.Fprintf(&b, "  %s\n", Escape(tx.note(v.Message)))
		}
	}
	return b.String()
}
