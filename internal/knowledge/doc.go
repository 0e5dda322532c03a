// Package knowledge is openports' embedded service knowledge base: for each
// well-known network service its ports, the process names that serve it on
// Linux, the BSDs and macOS, what it is, why exposing it matters, how severe
// an exposure is for each exposure class, how to stop or restrict it per
// platform, and the sources of those facts — in English and Japanese.
//
// The data lives in data/*.yaml, embedded in the binary and validated when it
// is loaded (and by this package's tests): a malformed file, an unknown
// field, a missing translation or an invalid port is an error that names the
// file, the line and the field.
//
// Services are identified from observed facts only: by process name first,
// then by port, then by name heuristics. Nothing here ever connects to a port.
package knowledge
