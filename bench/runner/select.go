package main

import "strings"

// selectTools keeps the tools that list names, a comma-separated list as
// -tools takes it. A tool whose name has a comma itself ("floor, 2
// threads") is named by its parts in a row.
func selectTools(tools []Tool, list string) []Tool {
	items := splitTrim(list)
	var sel []Tool
	for _, t := range tools {
		if containsRun(items, splitTrim(t.Name)) {
			sel = append(sel, t)
		}
	}
	return sel
}

func splitTrim(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// containsRun reports whether run occurs in items as consecutive elements.
func containsRun(items, run []string) bool {
	for i := 0; i+len(run) <= len(items); i++ {
		match := true
		for j := range run {
			if items[i+j] != run[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
