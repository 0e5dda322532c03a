// Package knowledge is openports' embedded service knowledge base: for each
// well-known network service its ports, the process names that serve it on
// Linux, the BSDs and macOS, what it is, why exposing it matters, how severe
// an exposure is for each exposure class, how to stop or restrict it per
// platform, and the sources of those facts — in English and Japanese.
//
// The data lives in data/*.yaml, which people edit. Parse validates it: a
// malformed file, an unknown field, a missing translation or an invalid port
// is an error that names the file, the line and the field. The binary embeds
// base.bin, a compact form of the validated data that Load decodes in well
// under a millisecond; after editing the YAML, refresh it with
//
//	go generate ./internal/knowledge
//
// (which runs go test -run TestGeneratedCurrent -update). The package's
// tests fail while base.bin is stale.
//
// Services are identified from observed facts only: by process name first,
// then by port, then by name heuristics. Nothing here ever connects to a port.
//
// # Data files
//
// Each file holds any of three top-level lists: entries (services, below),
// messages (rule and table texts: id, severity, text and detail in en and
// ja) and notes (the Japanese of the "# note" comments in stop steps). An
// entry, with what each field means:
//
//	entries:
//	  - id: openssh                 # unique, lower case
//	    name: OpenSSH server        # product or protocol name
//	    service: ssh                # SERVICE column label
//	    kind: service               # service (default), protocol, relay or runtime
//	    ports: [22/tcp]             # identify it alone; no overlap across entries
//	    also_ports: [2222/tcp]      # used too, shared; never identify alone
//	    processes: {shared: [sshd]} # or per platform: linux, netbsd, freebsd, openbsd, darwin
//	    port_confirmed: [sshd]      # names that count only on one of its ports
//	    process_patterns: ["*_exporter*"]  # path.Match globs, tried after ports
//	    shares_process: [other]     # an intended shared process name (both say so)
//	    preferred_on: [openbsd]     # wins a shared name on these platforms
//	    fallback: other             # relay only: entry for ports nothing claims
//	    severity: {loopback: info, link-local: review, address: review, all: risky}
//	    description: {en: "...", ja: "..."}
//	    risk: {en: "...", ja: "..."}
//	    restrict: {en: "...", ja: "..."}
//	    stop: {linux: ["systemctl disable --now ssh.service"], inetd: ["#line"]}
//	    sources: ["https://...", "RFC 4253", "sshd(8)"]
//
// A protocol entry (dns, http, smtp) is what an unknown program on its port
// is identified as. A relay (inetd, systemd socket activation, dockerd,
// docker-proxy) holds sockets for other services, which are then identified
// by port with Match.Via naming the relay. A runtime (java, python, node)
// says nothing by its name: its sockets are identified by port or reported
// as unknown with Match.Via set.
package knowledge
