// Package portname maps the service and protocol names that netstat, ss,
// lsof, fstat and sockstat print without -n (e.g. "*.ssh", "0.0.0.0:http",
// "[::]:ipv6-icmp") back to numbers. The table is small and embedded: the
// names seen in the test corpus plus common entries of /etc/services as
// Linux (netbase) and the BSDs ship them. A name not in the table is never
// guessed: the lookups report false and the parser records a problem.
package portname

import (
	"strconv"
	"sync"

	"github.com/openports/openports/internal/snapshot"
)

// entry is one service name: its port for TCP and for UDP, 0 when the name
// is not listed for that protocol.
type entry struct{ tcp, udp uint16 }

func both(p uint16) entry    { return entry{tcp: p, udp: p} }
func tcpOnly(p uint16) entry { return entry{tcp: p} }
func udpOnly(p uint16) entry { return entry{udp: p} }

// services holds service names as /etc/services spells them. The table
// is built on first use: only parsers of saved tool output need it, and a
// package-level map would be built at every start of every command.
var services = sync.OnceValue(func() map[string]entry {
	return map[string]entry{
		"tcpmux": tcpOnly(1), "echo": both(7), "discard": both(9), "systat": tcpOnly(11),
		"daytime": both(13), "netstat": tcpOnly(15), "qotd": tcpOnly(17), "chargen": both(19),
		"ftp-data": tcpOnly(20), "ftp": tcpOnly(21), "ssh": both(22), "telnet": tcpOnly(23),
		"smtp": tcpOnly(25), "time": both(37), "whois": tcpOnly(43), "tacacs": both(49),
		"domain": both(53), "bootps": both(67), "bootpc": both(68), "tftp": udpOnly(69),
		"gopher": tcpOnly(70), "finger": tcpOnly(79), "http": both(80), "www": both(80),
		"kerberos": both(88), "pop3": both(110), "sunrpc": both(111), "rpcbind": both(111),
		"auth": tcpOnly(113), "nntp": tcpOnly(119), "ntp": both(123), "epmap": both(135),
		"netbios-ns": both(137), "netbios-dgm": both(138), "netbios-ssn": both(139),
		"imap": both(143), "imap2": both(143), "snmp": both(161), "snmp-trap": both(162),
		"xdmcp": both(177), "bgp": tcpOnly(179), "irc": tcpOnly(194), "ldap": both(389),
		"svrloc": both(427), "https": both(443), "microsoft-ds": both(445), "kpasswd": both(464),
		"submissions": tcpOnly(465), "smtps": tcpOnly(465), "isakmp": both(500), "exec": tcpOnly(512),
		"biff": udpOnly(512), "login": tcpOnly(513), "who": udpOnly(513), "shell": tcpOnly(514),
		"syslog": udpOnly(514), "printer": tcpOnly(515), "talk": udpOnly(517), "ntalk": udpOnly(518),
		"route": udpOnly(520), "router": udpOnly(520), "uucp": tcpOnly(540), "klogin": tcpOnly(543),
		"kshell": tcpOnly(544), "dhcpv6-client": both(546), "dhcpv6-server": both(547),
		"afpovertcp": both(548), "rtsp": both(554), "submission": tcpOnly(587), "ipp": both(631),
		"ldaps": both(636), "rsync": both(873), "ftps-data": tcpOnly(989), "ftps": tcpOnly(990),
		"telnets": tcpOnly(992), "imaps": both(993), "pop3s": both(995), "socks": both(1080),
		"openvpn": both(1194), "ms-sql-s": both(1433), "ingreslock": both(1524), "l2tp": both(1701),
		"radius": both(1812), "radius-acct": both(1813), "nfs": both(2049), "iscsi-target": both(3260),
		"mysql": both(3306), "ms-wbt-server": tcpOnly(3389), "svn": both(3690), "sieve": tcpOnly(4190),
		"sip": both(5060), "sip-tls": both(5061), "xmpp-client": tcpOnly(5222), "xmpp-server": tcpOnly(5269),
		"mdns": both(5353), "postgresql": both(5432), "amqp": both(5672), "x11": both(6000),
		"sane-port": tcpOnly(6566), "ircd": tcpOnly(6667), "http-alt": both(8080), "git": tcpOnly(9418),
		"zabbix-agent": both(10050), "zabbix-trapper": both(10051), "memcache": both(11211),
		"wnn6": tcpOnly(22273),
	}
})

// Port returns the port number of the service name for proto, or of a
// decimal number. It reports false when name is neither. For protocols
// other than TCP and UDP (UDP-Lite, SCTP) the UDP and then the TCP entry is
// used, as the tools do.
func Port(name string, proto snapshot.Proto) (uint16, bool) {
	if n, err := strconv.ParseUint(name, 10, 16); err == nil {
		return uint16(n), true
	}
	e, ok := services()[name]
	if !ok {
		return 0, false
	}
	switch proto {
	case snapshot.TCP:
		return e.tcp, e.tcp != 0
	case snapshot.UDP:
		return e.udp, e.udp != 0
	}
	if e.udp != 0 {
		return e.udp, true
	}
	return e.tcp, e.tcp != 0
}

// protocols holds IP protocol names as /etc/protocols spells them: raw
// sockets show the protocol where other sockets show a port
// ("[::]:ipv6-icmp").
var protocols = map[string]uint16{
	"ip": 0, "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "ipv6": 41, "ipv6-route": 43,
	"ipv6-frag": 44, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58,
	"ipv6-nonxt": 59, "ipv6-opts": 60, "ospf": 89, "pim": 103, "vrrp": 112, "sctp": 132,
	"udplite": 136,
}

// Protocol returns the IP protocol number of name, or of a decimal number.
// It reports false when name is neither.
func Protocol(name string) (uint16, bool) {
	if n, err := strconv.ParseUint(name, 10, 16); err == nil && n <= 255 {
		return uint16(n), true
	}
	p, ok := protocols[name]
	return p, ok
}

// Prefix returns the port of the one service for proto whose name starts
// with prefix: a tool that cuts service names to its column ("microsof"
// for microsoft-ds) can be read back only when the cut leaves no doubt.
// It reports false when no service or several start with prefix.
func Prefix(prefix string, proto snapshot.Proto) (uint16, bool) {
	if prefix == "" {
		return 0, false
	}
	var port uint16
	found := false
	for name := range services() {
		if len(name) < len(prefix) || name[:len(prefix)] != prefix {
			continue
		}
		p, ok := Port(name, proto)
		if !ok {
			continue
		}
		if found && p != port {
			return 0, false
		}
		port, found = p, true
	}
	return port, found
}
