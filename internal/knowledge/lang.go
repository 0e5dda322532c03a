package knowledge

import "strings"

// The languages every human string of the knowledge base is written in.
const (
	LangEN = "en"
	LangJA = "ja"
)

// Langs lists the supported languages, English (the default) first.
var Langs = []string{LangEN, LangJA}

// NormalizeLang maps a language tag or POSIX locale ("ja", "ja-JP",
// "ja_JP.UTF-8", "en_US", "C") to a supported language: LangJA for any
// Japanese locale, LangEN for everything else.
func NormalizeLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "ja" || strings.HasPrefix(s, "ja_") || strings.HasPrefix(s, "ja-") || strings.HasPrefix(s, "ja.") {
		return LangJA
	}
	return LangEN
}

// LangFromEnv picks the language from the environment the way POSIX
// programs pick their message locale: the first non-empty of LC_ALL,
// LC_MESSAGES and LANG decides. getenv is os.Getenv in production.
func LangFromEnv(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			return NormalizeLang(v)
		}
	}
	return LangEN
}

// Text is one human string in every supported language, kept side by side
// in the data so that a missing translation is caught at load time.
type Text struct {
	EN string `yaml:"en" json:"en"`
	JA string `yaml:"ja" json:"ja"`
}

// In returns the text in lang (see NormalizeLang); English is the fallback.
func (t Text) In(lang string) string {
	if NormalizeLang(lang) == LangJA && t.JA != "" {
		return t.JA
	}
	return t.EN
}

// missing returns the languages t lacks.
func (t Text) missing() []string {
	var m []string
	if strings.TrimSpace(t.EN) == "" {
		m = append(m, LangEN)
	}
	if strings.TrimSpace(t.JA) == "" {
		m = append(m, LangJA)
	}
	return m
}
