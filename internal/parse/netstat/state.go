package netstat

import "github.com/openports/openports/internal/snapshot"

// states maps the TCP state words of netstat (Linux, the BSDs, macOS, and
// the localised words seen in real outputs) onto the ss vocabulary.
var states = map[string]snapshot.State{
	"LISTEN":      snapshot.Listen,
	"ESTABLISHED": snapshot.Established,
	"SYN_SENT":    "SYN-SENT",
	"SYN_RECV":    "SYN-RECV",
	"SYN_RCVD":    "SYN-RECV",
	"FIN_WAIT1":   "FIN-WAIT-1",
	"FIN_WAIT_1":  "FIN-WAIT-1",
	"FIN_WAIT2":   "FIN-WAIT-2",
	"FIN_WAIT_2":  "FIN-WAIT-2",
	"TIME_WAIT":   "TIME-WAIT",
	"CLOSE":       snapshot.Unconnected,
	"CLOSED":      snapshot.Unconnected,
	"CLOSE_WAIT":  "CLOSE-WAIT",
	"LAST_ACK":    "LAST-ACK",
	"CLOSING":     "CLOSING",
	// German net-tools (de_DE), as in the corpus.
	"VERBUNDEN": snapshot.Established,
}

// numericStates maps the kernel's TCP state numbers, which Linux netstat
// prints for raw sockets, onto the ss vocabulary.
var numericStates = map[string]snapshot.State{
	"1": snapshot.Established, "2": "SYN-SENT", "3": "SYN-RECV", "4": "FIN-WAIT-1",
	"5": "FIN-WAIT-2", "6": "TIME-WAIT", "7": snapshot.Unconnected, "8": "CLOSE-WAIT",
	"9": "LAST-ACK", "10": snapshot.Listen, "11": "CLOSING",
}
