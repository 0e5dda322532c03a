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
	// Translated by net-tools' catalogues (Debian net-tools 2.10: cs, de,
	// pt_BR; the other languages keep the English words). Czech "POSLEDNÍ
	// ACK" (LAST_ACK) is two words: see stateAt.
	"VERBUNDEN": snapshot.Established,
	"SPOJENO":   snapshot.Established, "ZAVŘEN": snapshot.Unconnected, "NASLOUCHÁ": snapshot.Listen,
	"ZAVÍRÁ":       "CLOSING",
	"ESTABELECIDA": snapshot.Established, "SYN_ENVIADO": "SYN-SENT", "SYN_RECEBIDO": "SYN-RECV",
	"ESPERA_FIN1": "FIN-WAIT-1", "ESPERA_FIN2": "FIN-WAIT-2", "FECHAR": snapshot.Unconnected,
	"ESPERANDO_FECHAR": "CLOSE-WAIT", "ÚLTIMO_ACK": "LAST-ACK", "OUÇA": snapshot.Listen, "FECHANDO": "CLOSING",
}

// stateAt reads the state word at the start of rest and returns it with
// the number of fields it takes (0 when rest does not start with one).
func stateAt(rest []field) (snapshot.State, int) {
	if len(rest) == 0 {
		return "", 0
	}
	if len(rest) > 1 && rest[0].s == "POSLEDNÍ" && rest[1].s == "ACK" {
		return "LAST-ACK", 2
	}
	if st, ok := states[rest[0].s]; ok {
		return st, 1
	}
	return "", 0
}

// numericStates maps the kernel's TCP state numbers, which Linux netstat
// prints for raw sockets, onto the ss vocabulary.
var numericStates = map[string]snapshot.State{
	"1": snapshot.Established, "2": "SYN-SENT", "3": "SYN-RECV", "4": "FIN-WAIT-1",
	"5": "FIN-WAIT-2", "6": "TIME-WAIT", "7": snapshot.Unconnected, "8": "CLOSE-WAIT",
	"9": "LAST-ACK", "10": snapshot.Listen, "11": "CLOSING",
}
