package render

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// TestCatalogue fails when a message ID has no text in a language, when an
// ID is defined but never used by a writer, when the catalogue holds a
// text no ID names, when a language's text takes other arguments than the
// English one, and when analysis or policy emit a note key the catalogue
// cannot render.
func TestCatalogue(t *testing.T) {
	defined, used := scanIDs(t)
	if len(defined) < 100 {
		t.Fatalf("only %d message IDs found: the scan is broken", len(defined))
	}
	verb := regexp.MustCompile(`%\[(\d+)\][a-z]`)
	verbs := func(s string) string {
		set := map[string]bool{}
		for _, m := range verb.FindAllStringSubmatch(s, -1) {
			set[m[1]] = true
		}
		var out []string
		for k := range set {
			out = append(out, k)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	for name, id := range defined {
		m, ok := catalogue()[id]
		switch {
		case !ok:
			t.Errorf("%s (%s) has no texts", name, id)
			continue
		case m.En == "":
			t.Errorf("%s (%s) has no English text", name, id)
		case m.Ja == "":
			t.Errorf("%s (%s) has no Japanese text", name, id)
		}
		if verbs(m.En) != verbs(m.Ja) || m.EnOne != "" && verbs(m.EnOne) != verbs(m.En) {
			t.Errorf("%s: the languages take different arguments: en %q, ja %q", id, m.En, m.Ja)
		}
		if !used[name] {
			t.Errorf("%s (%s) is defined but never used", name, id)
		}
	}
	ids := map[MsgID]bool{}
	for _, id := range defined {
		ids[id] = true
	}
	for id := range catalogue() {
		if !ids[id] {
			t.Errorf("catalogue text %q has no MsgID constant", id)
		}
	}
	// Note keys analysis and policy emit.
	key := regexp.MustCompile(`Note\{Key: "([a-z.-]+)"[,}]`)
	for _, dir := range []string{"../analysis", "../policy"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range key.FindAllStringSubmatch(string(src), -1) {
				if _, ok := noteIDs[m[1]]; !ok && !strings.HasPrefix(m[1], "message.") {
					t.Errorf("%s emits note %q, which the catalogue cannot render", f, m[1])
				}
			}
		}
	}
	for _, v := range []string{snapshot.ProvenanceEnabled, snapshot.ProvenanceDefault, snapshot.ProvenanceNotEnabled, snapshot.ProvenanceUnknown} {
		if _, ok := noteIDs["provenance."+v]; !ok {
			t.Errorf("no text for the provenance verdict %q", v)
		}
	}
	for k, gts := range gapTexts {
		for _, gt := range gts {
			if _, ok := catalogue()[gt.id]; !ok {
				t.Errorf("gap %s maps to %s, which has no texts", k, gt.id)
			}
		}
	}
	for _, m := range []map[string]MsgID{noteIDs, ownerReasonIDs, provenanceReasonIDs} {
		for k, id := range m {
			if _, ok := catalogue()[id]; !ok {
				t.Errorf("%s maps to %s, which has no texts", k, id)
			}
		}
	}
}

// TestEveryGapHasText fails when a source, parser or check makes a gap
// (area and reason) the catalogue has no text for.
func TestEveryGapHasText(t *testing.T) {
	lit := regexp.MustCompile(`Area:\s*"([a-z.-]+)",\s*Reason:\s*"([a-z-]+)"|\bgap(?:Text)?\("([a-z.-]+)", "([a-z-]+)"`)
	matches, files := scanSources(t, lit, "../source", "../parse", "../hostcheck")
	for i, m := range matches {
		area, reason := m[1]+m[3], m[2]+m[4]
		if _, ok := gapTexts[area+"/"+reason]; !ok {
			t.Errorf("%s makes the gap %s/%s, which the catalogue has no text for", files[i], area, reason)
		}
	}
	if len(matches) < 20 {
		t.Errorf("only %d gaps found in the sources: the scan is broken", len(matches))
	}
}

// TestEveryCheckReasonHasText fails when a check finding's reason code has
// no text.
func TestEveryCheckReasonHasText(t *testing.T) {
	why := regexp.MustCompile(`(?:\.Why|\bset)\([^,]+, "([a-z.-]+)"`)
	matches, files := scanSources(t, why, "../hostcheck")
	for i, m := range matches {
		if m[1] == "resolv.line." { // + a resolv.conf problem code: below
			continue
		}
		_, ok := reasonIDs[m[1]]
		_, v4 := reasonIDs[m[1]+".v4"]
		_, v6 := reasonIDs[m[1]+".v6"]
		if !ok && !(v4 && v6) {
			t.Errorf("%s gives the reason %q, which the catalogue has no text for", files[i], m[1])
		}
	}
	if len(matches) < 15 {
		t.Errorf("only %d reason codes found: the scan is broken", len(matches))
	}
	add := regexp.MustCompile(`c\.add\([^,]+, [^,]+, \w+, "([a-z-]+)"`)
	problems, files := scanSources(t, add, "../hostcheck/resolvconf")
	for i, m := range problems {
		if _, ok := resolvConfIDs[m[1]]; !ok {
			t.Errorf("%s flags the resolv.conf problem %q, which the catalogue has no text for", files[i], m[1])
		}
	}
	if len(problems) < 25 {
		t.Errorf("only %d resolv.conf problem codes found: the scan is broken", len(problems))
	}
}

// TestEveryCheckMessageHasText fails when a check finding's message code
// has no text.
func TestEveryCheckMessageHasText(t *testing.T) {
	say := regexp.MustCompile(`\.Say\("([a-z.-]+)"`)
	matches, files := scanSources(t, say, "../hostcheck")
	for i, m := range matches {
		if _, ok := findingIDs[m[1]]; !ok {
			t.Errorf("%s says %q, which the catalogue has no text for", files[i], m[1])
		}
	}
	if len(matches) < 20 {
		t.Errorf("only %d message codes found: the scan is broken", len(matches))
	}
	// Route findings without a global address append "-no-global".
	for _, c := range []string{"route.none-no-global", "route.none-usable-no-global"} {
		if _, ok := findingIDs[c]; !ok {
			t.Errorf("no text for %s", c)
		}
	}
}

// TestEveryOwnerReasonHasText fails when a parser or collector gives an
// owner reason code the catalogue has no text for.
func TestEveryOwnerReasonHasText(t *testing.T) {
	assign := regexp.MustCompile(`(?m)^.*(?:OwnerReasonCode|\bcode)\b.*=.*"([a-z]+(?:-[a-z]+)*)"\s*$`)
	matches, files := scanSources(t, assign, "../source", "../parse")
	for i, m := range matches {
		if _, ok := ownerReasonIDs[m[1]]; !ok {
			t.Errorf("%s gives the owner reason %q, which the catalogue has no text for", files[i], m[1])
		}
	}
	if len(matches) < 10 {
		t.Errorf("only %d owner reason codes found: the scan is broken", len(matches))
	}
}

// scanSources runs re over the non-test Go files under roots and returns
// the matches with the file each is in.
func scanSources(t *testing.T, re *regexp.Regexp, roots ...string) (matches [][]string, files []string) {
	t.Helper()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				matches = append(matches, m)
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return matches, files
}

// scanIDs parses the package's sources: defined maps each MsgID constant
// to its value, used says which constants appear outside their
// declaration and the catalogue's table.
func scanIDs(t *testing.T) (defined map[string]MsgID, used map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	defined, used = map[string]MsgID{}, map[string]bool{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "MsgID" {
					continue
				}
				for i, n := range vs.Names {
					lit := vs.Values[i].(*ast.BasicLit)
					defined[n.Name] = MsgID(strings.Trim(lit.Value, `"`))
				}
			}
		}
	}
	// The commands use the IDs of their warnings.
	cmds, _ := filepath.Glob("../../cmd/openports/*.go")
	for _, name := range cmds {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "render" {
					if _, ok := defined[sel.Sel.Name]; ok {
						used[sel.Sel.Name] = true
					}
				}
			}
			return true
		})
	}
	for _, f := range parsed {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok {
				if g.Tok == token.CONST {
					continue
				}
				if g.Tok == token.VAR && len(g.Specs) == 1 && g.Specs[0].(*ast.ValueSpec).Names[0].Name == "catalogue" {
					continue
				}
			}
			ast.Inspect(d, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if _, ok := defined[id.Name]; ok {
						used[id.Name] = true
					}
				}
				return true
			})
		}
	}
	return defined, used
}

// sameInEveryLanguage are the texts that are layout or names, the same in
// every language: TestJapaneseIsJapanese lets them be.
var sameInEveryLanguage = map[MsgID]bool{
	MsgCheckSection:      true, // "== %s: %s (%s)"
	MsgSumResolvConfFile: true, // the file name alone
	MsgFirewallWhy:       true, // "%s: %s"
	MsgFirewallUnknown:   true, // "?"
	MsgFirewallDNAT:      true, // "%s (DNAT)"
	MsgFwWhereDNAT:       true, // "(DNAT)"
	MsgFirewallBy:        true, // "%s: %s"
	MsgHeaderIP:          true,
	MsgHeaderNetNS:       true,
	MsgOwnersProc:        true, // a path
	MsgWatchNetNS:        true, // "netns %s"
}

// TestJapaneseIsJapanese fails when a Japanese text is the English one or
// has no Japanese in it (a text copied and not translated), unless it is
// layout or a name.
func TestJapaneseIsJapanese(t *testing.T) {
	for id, m := range catalogue() {
		if sameInEveryLanguage[id] {
			continue
		}
		if m.Ja == m.En || !strings.ContainsFunc(m.Ja, func(r rune) bool { return r >= 0x3000 }) {
			t.Errorf("%s: the Japanese text %q is not Japanese (English %q)", id, m.Ja, m.En)
		}
	}
}

// englishPhrases are the literal parts of the catalogue's English texts
// long enough to be recognised in an output: what must not appear in a
// Japanese one.
func englishPhrases() map[string]MsgID {
	verb := regexp.MustCompile(`%\[\d+\][a-z]`)
	out := map[string]MsgID{}
	for id, m := range catalogue() {
		if sameInEveryLanguage[id] {
			continue
		}
		for _, en := range []string{m.En, m.EnOne} {
			for _, part := range verb.Split(en, -1) {
				part = strings.TrimSpace(part)
				if len(part) >= 12 && strings.Count(part, " ") >= 2 {
					out[part] = id
				}
			}
		}
	}
	return out
}

// TestNoEnglishInJapanese writes every human format of every registry in
// Japanese, on every fixture of the golden tests, and fails when an
// English catalogue text shows through.
func TestNoEnglishInJapanese(t *testing.T) {
	phrases := englishPhrases()
	if len(phrases) < 100 {
		t.Fatalf("only %d English phrases: the scan is broken", len(phrases))
	}
	o := Options{Lang: "ja", Knowledge: kb(t), Explain: true}
	check := func(what string, out []byte) {
		for p, id := range phrases {
			if bytes.Contains(out, []byte(p)) {
				t.Errorf("%s --lang ja: English %q (%s) in the output", what, p, id)
			}
		}
	}
	write := func(what string, w func(*bytes.Buffer) error) {
		var buf bytes.Buffer
		if err := w(&buf); err != nil {
			t.Fatal(err)
		}
		check(what, buf.Bytes())
	}
	for _, r := range []*report.Report{fixtureReport(t, true), fixtureReport(t, false), firewallReport(), dockerReport(t, false)} {
		write("list", func(b *bytes.Buffer) error { return writeReportTable(b, r, o) })
	}
	checks, _ := filepath.Glob("../hostcheck/testdata/*.json")
	for _, f := range checks {
		res := readJSON[*hostcheck.Result](t, f)
		write("check "+f, func(b *bytes.Buffer) error { return writeCheckText(b, res, o) })
	}
	diffs, _ := filepath.Glob("../diff/testdata/*.json")
	for _, f := range diffs {
		res := readJSON[*diff.Result](t, f)
		write("diff "+f, func(b *bytes.Buffer) error { return writeDiffTable(b, res, o) })
	}
	var entries []Explanation
	for _, e := range kb(t).Entries() {
		entries = append(entries, e)
	}
	write("explain", func(b *bytes.Buffer) error { return writeExplainText(b, entries, o) })
	write("watch", func(b *bytes.Buffer) error {
		for _, it := range watchItems() {
			if err := writeWatchText(b, it, o); err != nil {
				return err
			}
		}
		return nil
	})
	if len(checks) == 0 || len(diffs) == 0 {
		t.Fatal("no check or diff fixtures")
	}
}
