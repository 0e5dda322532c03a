package render

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/width"

	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
)

// catalogue holds the table's own texts in every language. Texts about
// services and the rules' findings come from the knowledge base (keys that
// start with "entry." or "message.").
var catalogue = map[string]map[string]string{
	"header.proto":    {"en": "PROTO", "ja": "プロト"},
	"header.address":  {"en": "ADDRESS", "ja": "アドレス"},
	"header.port":     {"en": "PORT", "ja": "ポート"},
	"header.ip":       {"en": "IP", "ja": "IP"},
	"header.exposure": {"en": "EXPOSURE", "ja": "公開範囲"},
	"header.process":  {"en": "PROCESS (PIDs)", "ja": "プロセス (PID)"},
	"header.user":     {"en": "USER", "ja": "ユーザ"},
	"header.service":  {"en": "SERVICE", "ja": "サービス"},
	"header.risk":     {"en": "RISK", "ja": "リスク"},
	"header.note":     {"en": "NOTE", "ja": "備考"},
	"header.netns":    {"en": "NETNS", "ja": "NETNS"},

	"exposure.all":        {"en": "all-ifaces", "ja": "全インターフェイス"},
	"exposure.loopback":   {"en": "loopback", "ja": "ループバック"},
	"exposure.device":     {"en": "device %[1]s", "ja": "デバイス %[1]s"},
	"exposure.link-local": {"en": "link-local %[1]s", "ja": "リンクローカル %[1]s"},
	"exposure.one-addr":   {"en": "one-addr", "ja": "特定アドレス"},

	"explain.risk":     {"en": "why it matters:", "ja": "公開すると:"},
	"explain.restrict": {"en": "to restrict it:", "ja": "制限するには:"},
	"explain.more":     {"en": "How to turn each one off: openports explain SERVICE", "ja": "それぞれの止め方: openports explain サービス名"},

	"service.unknown": {"en": "?", "ja": "不明"},

	"summary.hidden":        {"en": "%[1]d loopback-only %[2]s hidden (--all shows them)", "ja": "ループバック専用のソケット %[1]d 個を非表示 (--all で表示)"},
	"summary.unknown":       {"en": "%[1]d %[2]s of unknown owner", "ja": "所有プロセス不明のソケット %[1]d 個"},
	"summary.root-wildcard": {"en": "%[1]d %[2]s run as root on all interfaces", "ja": "root 権限で全インターフェイスに待ち受ける行 %[1]d 個"},
	"summary.nothing":       {"en": "nothing reachable from other hosts", "ja": "他のホストから到達できるものはありません"},
	"summary.nothing-seen":  {"en": "nothing reachable found, but the view is incomplete (see below)", "ja": "到達できるものは見つかりませんでしたが、確認できなかった部分があります（下記参照）"},
	"summary.incomplete":    {"en": "incomplete: %[1]s", "ja": "不完全: %[1]s"},
	"summary.owners":        {"en": "owners from %[1]s", "ja": "所有プロセスの取得方法: %[1]s"},

	"owner.unknown":     {"en": "owner unknown: %[1]s", "ja": "所有プロセス不明: %[1]s"},
	"owner.partial":     {"en": "other holders may be hidden: %[1]s", "ja": "他の保持プロセスが見えていない可能性: %[1]s"},
	"owner.none":        {"en": "held by no process (kernel socket)", "ja": "どのプロセスも保持していません (カーネルのソケット)"},
	"owner.via-address": {"en": "owners matched by address and port from %[1]s output", "ja": "所有プロセスは %[1]s の出力とアドレス・ポートで照合"},
	"owner.via-unnamed": {"en": "another tool's", "ja": "別のツール"},
	"truncated":         {"en": "truncated by the tool: %[1]s", "ja": "ツールが切り詰めた項目: %[1]s"},
	"port.printed":      {"en": "port not readable, printed as %[1]s", "ja": "ポートを読めません (表示は %[1]s)"},
	"address.printed":   {"en": "the tool printed the name %[1]s, read as %[2]s", "ja": "ツールは名前 %[1]s を表示 (%[2]s と解釈)"},

	// Ports published by destination NAT (Docker, Podman, kube-proxy).
	"published.dnat":            {"en": "published by DNAT to %[1]s: not filtered by INPUT rules (ufw, firewalld)", "ja": "DNAT で %[1]s へ公開: INPUT の規則 (ufw、firewalld) では遮断されません"},
	"published.dnat-conditions": {"en": "published by DNAT to %[1]s: not filtered by INPUT rules (ufw, firewalld); only where %[3]s", "ja": "DNAT で %[1]s へ公開: INPUT の規則 (ufw、firewalld) では遮断されません。条件: %[3]s"},
	"published.wider":           {"en": "%[1]s listens on %[2]s, but the DNAT rule publishes the port on %[3]s", "ja": "%[1]s は %[2]s で待ち受けますが、DNAT の規則がこのポートを %[3]s に公開しています"},
	"published.forwarded":       {"en": "%[1]s forwards it into %[2]s", "ja": "%[1]s が %[2]s へ転送します"},
	"published.target":          {"en": "published on the host as %[1]s", "ja": "ホストで %[1]s として公開"},
	"netns.container-only":      {"en": "container network only (%[1]s): not published on the host", "ja": "コンテナのネットワーク内のみ (%[1]s): ホストには公開されていません"},
	"summary.nat-two-backends":  {"en": "NAT rules in both %[1]s: each one's tools show only its own", "ja": "NAT の規則が %[1]s の両方にあります: それぞれのツールは自分の規則しか表示しません"},

	// Why an owner is unseen, by snapshot.Socket.OwnerReasonCode; the
	// arguments are the socket's uid and user.
	"reason.no-capability":  {"en": "", "ja": "uid %[1]s%[2]s のソケット。他ユーザの /proc/PID/fd を読むには CAP_SYS_PTRACE と CAP_DAC_READ_SEARCH が必要です (root で実行してください)"},
	"reason.hidepid":        {"en": "", "ja": "uid %[1]s%[2]s のソケット。/proc が hidepid 付きでマウントされ、他ユーザのプロセスが見えません (root で実行してください)"},
	"reason.user-namespace": {"en": "", "ja": "uid %[1]s%[2]s のソケット。ユーザ名前空間の中からは外側のプロセスが見えません (初期名前空間で実行してください)"},
	"reason.refused":        {"en": "", "ja": "uid %[1]s%[2]s のソケット。root でも読めない記述子テーブルがあります (セキュリティモジュールか保護されたプロセス)"},

	// Gaps, by snapshot.Gap.Reason; the argument is the count.
	"gap.no-capability":   {"en": "", "ja": "所有プロセスが見えないソケットが %[1]d 個あります。他ユーザの /proc/PID/fd を読むには CAP_SYS_PTRACE と CAP_DAC_READ_SEARCH が必要です (root で実行してください)"},
	"gap.hidepid":         {"en": "", "ja": "所有プロセスが見えないソケットが %[1]d 個あります。/proc が hidepid 付きでマウントされています (root で実行してください)"},
	"gap.user-namespace":  {"en": "", "ja": "所有プロセスが見えないソケットが %[1]d 個あります。ユーザ名前空間の外側のプロセスは見えません"},
	"gap.refused":         {"en": "", "ja": "所有プロセスが見えないソケットが %[1]d 個あります。root でも読めない記述子テーブルがあります (セキュリティモジュールか保護されたプロセス)"},
	"gap.permission":      {"en": "", "ja": "%[1]d 個のプロセスの記述子テーブルを読めませんでした。それらが持つソケットの所有者は不明または一部のみです"},
	"gap.nat-unreadable":  {"en": "", "ja": "NAT の規則を読めませんでした。DNAT で公開されたポート (Docker、Podman、Kubernetes) が欠けている可能性があります"},
	"gap.netlink-refused": {"en": "", "ja": "sock_diag netlink が拒否されたため /proc/net を読みました。ソケット cookie、バインド先デバイス、IPV6_V6ONLY は分かりません (ホストの既定値を仮定)"},
}

// texts renders catalogue and knowledge-base messages in one language.
type texts struct {
	lang string
	kb   *knowledge.Base
}

func newTexts(lang string, kb *knowledge.Base) texts {
	return texts{lang: knowledge.NormalizeLang(lang), kb: kb}
}

// get formats the text of key with args; "" when there is none in this
// language (callers then fall back to English data).
func (t texts) get(key string, args ...any) string {
	var format string
	if strings.HasPrefix(key, "entry.") || strings.HasPrefix(key, "message.") {
		if t.kb == nil {
			return ""
		}
		s, ok := t.kb.Lookup(key, t.lang)
		if !ok {
			return ""
		}
		format = s
	} else {
		m, ok := catalogue[key]
		if !ok {
			return ""
		}
		format = m[t.lang]
		if format == "" {
			if t.lang == "en" {
				return ""
			}
			format = m["en"]
		}
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// note renders a report note.
func (t texts) note(n report.Note) string {
	args := make([]any, len(n.Args))
	for i, a := range n.Args {
		args[i] = a
	}
	switch n.Key {
	case "owner.unknown", "owner.partial":
		// Args: English reason, reason code, uid, user.
		reason := n.Args[0]
		if t.lang != "en" && len(n.Args) == 4 && n.Args[1] != "" {
			user := ""
			if n.Args[3] != "" {
				user = " (" + n.Args[3] + ")"
			}
			if s := t.get("reason."+n.Args[1], n.Args[2], user); s != "" {
				reason = s
			}
		}
		if reason == "" {
			reason = "?"
		}
		return t.get(n.Key, reason)
	case "owner.via-address":
		tool := ""
		if len(n.Args) > 0 {
			tool = n.Args[0]
		}
		if tool == "" {
			tool = t.get("owner.via-unnamed")
		}
		return t.get(n.Key, tool)
	}
	if strings.HasPrefix(n.Key, "provenance.") {
		return t.provenanceNote(n)
	}
	if strings.HasPrefix(n.Key, "message.") && t.kb != nil {
		if format, ok := t.kb.Lookup(n.Key, t.lang); ok {
			return fmt.Sprintf(format, typedArgs(format, n.Args)...)
		}
	}
	if s := t.get(n.Key, args...); s != "" {
		return s
	}
	return n.Key + " " + strings.Join(n.Args, " ")
}

// typedArgs converts the arguments that format prints with an explicit
// %[n]d verb to integers (report notes carry strings).
func typedArgs(format string, args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		if strings.Contains(format, fmt.Sprintf("%%[%d]d", i+1)) {
			if v, err := strconv.Atoi(a); err == nil {
				out[i] = v
			}
		}
	}
	return out
}

// gap renders a gap: in English its own detail, otherwise the catalogue's
// text for its reason when there is one.
func (t texts) gap(area, reason, detail string, count int) string {
	if t.lang != "en" {
		if s := t.get("gap."+reason, count); s != "" {
			return s
		}
	}
	return detail
}

// cellWidth is the number of terminal columns s takes: East Asian wide and
// fullwidth characters take two.
func cellWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
