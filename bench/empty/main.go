// Command empty does nothing: the runner times it next to `openports
// --help` to show what start-up costs beyond any Go program's.
package main

func main() {}
