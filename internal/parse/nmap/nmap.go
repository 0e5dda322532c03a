// Package nmap parses nmap's XML output (nmap -oX): the outside view of a
// host. A scan sees ports, never processes, so the snapshot it makes holds
// the open ports as sockets of unknown owner, and the whole scan (closed
// and filtered ports, and which ports were probed) in Snapshot.Scans for
// `list --outside` to join with the live view.
package nmap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/openports/openports/internal/parse"
	"github.com/openports/openports/internal/snapshot"
)

// Format is the stable name of the format.
const Format = "nmap-xml"

// Parser parses nmap XML.
type Parser struct{}

var _ parse.Parser = Parser{}

// New returns the nmap XML parser.
func New() Parser { return Parser{} }

// Format returns "nmap-xml".
func (Parser) Format() string { return Format }

// Detect is certain of an <nmaprun> document.
func (Parser) Detect(sample []byte) int {
	if bytes.Contains(sample, []byte("<nmaprun")) {
		return 100
	}
	return 0
}

// OwnerReasonCode is the owner reason code of the sockets of a scan.
const OwnerReasonCode = "remote-scan"

const expectXML = "nmap XML output (nmap -oX FILE)"

// The XML elements read; everything else is skipped.
type xmlRun struct {
	Scanner  string        `xml:"scanner,attr"`
	Args     string        `xml:"args,attr"`
	Start    string        `xml:"start,attr"`
	ScanInfo []xmlScanInfo `xml:"scaninfo"`
	Hosts    []xmlHost     `xml:"host"`
}

type xmlScanInfo struct {
	Protocol string `xml:"protocol,attr"`
	Services string `xml:"services,attr"`
}

type xmlHost struct {
	Status struct {
		State string `xml:"state,attr"`
	} `xml:"status"`
	Addresses []struct {
		Addr string `xml:"addr,attr"`
		Type string `xml:"addrtype,attr"`
	} `xml:"address"`
	Hostnames []struct {
		Name string `xml:"name,attr"`
	} `xml:"hostnames>hostname"`
	Extra []struct {
		State string `xml:"state,attr"`
	} `xml:"ports>extraports"`
	Ports []struct {
		Protocol string `xml:"protocol,attr"`
		PortID   string `xml:"portid,attr"`
		State    struct {
			State  string `xml:"state,attr"`
			Reason string `xml:"reason,attr"`
		} `xml:"state"`
		Service struct {
			Name string `xml:"name,attr"`
		} `xml:"service"`
	} `xml:"ports>port"`
}

// Parse reads one nmap XML document.
func (Parser) Parse(r io.Reader, name string) (*parse.Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	res := parse.NewResult(Format)
	res.Lines = bytes.Count(data, []byte("\n"))
	scan, problems := Read(data, name)
	res.Problems = append(res.Problems, problems...)
	if scan == nil {
		return res, nil
	}
	snap := res.Snapshot
	snap.Scans = []snapshot.Scan{*scan}
	if !scan.Started.IsZero() {
		snap.Taken = scan.Started
	}
	for _, h := range scan.Hosts {
		if snap.Host == "" && len(h.Hostnames) > 0 {
			snap.Host = h.Hostnames[0]
		}
		for _, a := range h.Addrs {
			for _, p := range h.Ports {
				res.Parsed++
				if p.State != "open" {
					continue
				}
				state := snapshot.Listen
				if p.Proto != snapshot.TCP && p.Proto != snapshot.SCTP {
					state = snapshot.Unconnected
				}
				snap.Sockets = append(snap.Sockets, snapshot.Socket{
					Proto: p.Proto, Local: netip.AddrPortFrom(a, p.Port), State: state,
					OwnerState: snapshot.OwnersUnknown, OwnerReasonCode: OwnerReasonCode,
					OwnerReason: "a port scan from another machine sees ports, not the processes behind them",
				})
			}
		}
	}
	return res, nil
}

// Read decodes an nmap XML document into a Scan. What cannot be read is
// returned as problems with the line where the decoder stopped; a scan is
// returned whenever the document's root could be read.
func Read(data []byte, name string) (*snapshot.Scan, []parse.LineError) {
	var run xmlRun
	dec := xml.NewDecoder(bytes.NewReader(data))
	// nmap writes a DOCTYPE and an XSL stylesheet reference; entities are
	// not used.
	dec.Strict = true
	if err := dec.Decode(&run); err != nil {
		line := 1 + bytes.Count(data[:min(int(dec.InputOffset()), len(data))], []byte("\n"))
		text := ""
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			line = se.Line
		}
		if l := lineAt(data, line); l != "" {
			text = l
		}
		return nil, []parse.LineError{{File: name, Line: line, Text: text, Expected: expectXML + ": " + err.Error()}}
	}
	var problems []parse.LineError
	bad := func(what, value string) {
		problems = append(problems, parse.LineError{File: name, Line: 0, Text: value, Expected: what})
	}
	scan := &snapshot.Scan{Scanner: run.Scanner, Args: run.Args, Hosts: []snapshot.ScanHost{}}
	if run.Scanner != "nmap" {
		bad(expectXML+" (scanner=\"nmap\")", run.Scanner)
	}
	if sec, err := strconv.ParseInt(run.Start, 10, 64); err == nil {
		scan.Started = time.Unix(sec, 0).UTC()
	}
	for _, si := range run.ScanInfo {
		proto, ok := protoOf(si.Protocol)
		if !ok {
			bad("a scaninfo protocol tcp, udp or sctp", si.Protocol)
			continue
		}
		ranges, err := services(si.Services)
		if err != nil {
			bad("a scaninfo services list (1-1024,8080)", si.Services)
			continue
		}
		if scan.Scanned == nil {
			scan.Scanned = map[snapshot.Proto][]snapshot.PortRange{}
		}
		scan.Scanned[proto] = append(scan.Scanned[proto], ranges...)
	}
	for _, h := range run.Hosts {
		host := snapshot.ScanHost{Up: h.Status.State == "up"}
		for _, a := range h.Addresses {
			if a.Type != "ipv4" && a.Type != "ipv6" {
				continue // mac
			}
			addr, err := netip.ParseAddr(a.Addr)
			if err != nil {
				bad("an IP address", a.Addr)
				continue
			}
			host.Addrs = append(host.Addrs, addr)
		}
		for _, hn := range h.Hostnames {
			host.Hostnames = append(host.Hostnames, hn.Name)
		}
		for _, e := range h.Extra {
			host.ExtraState = e.State
		}
		for _, p := range h.Ports {
			proto, ok := protoOf(p.Protocol)
			port, err := strconv.ParseUint(p.PortID, 10, 16)
			if !ok || err != nil {
				bad("a port with protocol tcp, udp or sctp and a number", p.Protocol+"/"+p.PortID)
				continue
			}
			host.Ports = append(host.Ports, snapshot.ScanPort{Proto: proto, Port: uint16(port), State: p.State.State,
				Reason: p.State.Reason, Service: p.Service.Name})
		}
		if len(host.Addrs) == 0 {
			bad("a host with an IP address", "")
			continue
		}
		scan.Hosts = append(scan.Hosts, host)
	}
	return scan, problems
}

func protoOf(s string) (snapshot.Proto, bool) {
	switch s {
	case "tcp":
		return snapshot.TCP, true
	case "udp":
		return snapshot.UDP, true
	case "sctp":
		return snapshot.SCTP, true
	}
	return "", false
}

// services reads scaninfo's "1,3-4,6-7,9" list.
func services(s string) ([]snapshot.PortRange, error) {
	var out []snapshot.PortRange
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", part, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("port range %q", part)
			}
		}
		out = append(out, snapshot.PortRange{First: uint16(a), Last: uint16(b)})
	}
	return out, nil
}

func lineAt(data []byte, n int) string {
	for i, l := range strings.Split(string(data), "\n") {
		if i+1 == n {
			if len(l) > 200 {
				l = l[:200]
			}
			return l
		}
	}
	return ""
}
