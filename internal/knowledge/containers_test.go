package knowledge

import (
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// The container and cluster ports of issue 16: who answers, and how risky
// each is by exposure (the Docker API unauthenticated on 2375, with TLS on
// 2376; the kubelet; the API server; etcd), by process and by port only (a
// port published by DNAT has no host process).
func TestContainerPorts(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		proc     string
		port     uint16
		id       string
		loopback Severity
		all      Severity
	}{
		{"dockerd", 2375, "docker", Review, Dangerous},
		{"", 2375, "docker", Review, Dangerous},
		{"dockerd", 2376, "docker-api-tls", Info, Risky},
		{"", 2376, "docker-api-tls", Info, Risky},
		{"kubelet", 10250, "kubelet", Info, Dangerous},
		{"", 10250, "kubelet", Info, Dangerous},
		{"kube-apiserver", 6443, "kube-apiserver", Info, Risky},
		{"etcd", 2379, "etcd", Info, Dangerous},
		{"", 2380, "etcd", Info, Dangerous},
	}
	for _, tc := range cases {
		m, ok := b.Identify(tc.proc, snapshot.TCP, tc.port, "linux")
		if !ok || m.Entry.ID != tc.id {
			t.Errorf("Identify(%q, %d) = %+v, %v; want %s", tc.proc, tc.port, m.Entry, ok, tc.id)
			continue
		}
		if got := m.Entry.Severity("loopback"); got != tc.loopback {
			t.Errorf("%s on loopback: %v, want %v", tc.id, got, tc.loopback)
		}
		if got := m.Entry.Severity("all"); got != tc.all {
			t.Errorf("%s on all interfaces: %v, want %v", tc.id, got, tc.all)
		}
	}
}
