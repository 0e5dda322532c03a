package tool

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func need(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s not installed: %v", n, err)
		}
	}
}

func TestExec(t *testing.T) {
	need(t, "sh")
	tests := []struct {
		name   string
		e      Exec
		cmd    string
		args   []string
		out    string
		errIs  error
		errHas string
		anyErr bool
	}{
		{name: "output", cmd: "sh", args: []string{"-c", "printf 'tcp 0 0 *.22 *.* LISTEN\\n'"}, out: "tcp 0 0 *.22 *.* LISTEN\n"},
		{name: "C locale", cmd: "sh", args: []string{"-c", "echo $LC_ALL $LANG"}, out: "C C\n"},
		{name: "missing tool", cmd: "openports-no-such-tool", errIs: ErrNotFound,
			errHas: "run openports-no-such-tool: tool not found: openports-no-such-tool is not in PATH nor in /usr/bin"},
		{name: "missing path", cmd: "/nonexistent/fstat", errIs: ErrNotFound},
		{name: "non-zero exit keeps the tool's message", cmd: "sh", args: []string{"-c", "echo partial; echo 'fstat: kvm_open: Permission denied' >&2; exit 1"},
			out: "partial\n", anyErr: true, errHas: "run sh -c echo partial; echo 'fstat: kvm_open: Permission denied' >&2; exit 1: exit status 1: fstat: kvm_open: Permission denied"},
		{name: "timeout", e: Exec{Timeout: 200 * time.Millisecond}, cmd: "sh", args: []string{"-c", "sleep 5"}, errIs: ErrTimeout,
			errHas: "tool timed out after 200ms"},
		{name: "output cap stops the tool", e: Exec{MaxOutput: 1000}, cmd: "sh", args: []string{"-c", "while :; do echo yyyyyyyy; done"}, errIs: ErrTooLarge,
			errHas: "more than 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			out, err := tt.e.Run(context.Background(), tt.cmd, tt.args...)
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("took %s", elapsed)
			}
			if string(out) != tt.out {
				t.Errorf("output %q, want %q", out, tt.out)
			}
			wantErr := tt.errIs != nil || tt.anyErr || tt.errHas != ""
			if (err != nil) != wantErr {
				t.Fatalf("err = %v, want error %v", err, wantErr)
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("err = %v, not %v", err, tt.errIs)
			}
			if tt.errHas != "" && !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("err = %q, lacks %q", err, tt.errHas)
			}
		})
	}
}

func TestExecSearchesSystemDirs(t *testing.T) {
	need(t, "sh")
	sh, _ := exec.LookPath("sh")
	dir := sh[:strings.LastIndexByte(sh, '/')]
	t.Setenv("PATH", "/nonexistent")
	out, err := Exec{Dirs: []string{dir}}.Run(context.Background(), "sh", "-c", "echo ok")
	if err != nil || string(out) != "ok\n" {
		t.Errorf("out %q err %v", out, err)
	}
}

func TestExecCancelled(t *testing.T) {
	need(t, "sh")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Exec{}).Run(ctx, "sh", "-c", "echo x"); err == nil {
		t.Error("a cancelled context ran the tool")
	}
}

func TestFake(t *testing.T) {
	f := Fake{"fstat -n": {Output: []byte("x\n")}, "netstat -an": {Err: errors.New("boom")}}
	if out, err := f.Run(context.Background(), "fstat", "-n"); err != nil || string(out) != "x\n" {
		t.Errorf("fstat -n: %q %v", out, err)
	}
	if _, err := f.Run(context.Background(), "netstat", "-an"); err == nil || err.Error() != "boom" {
		t.Errorf("netstat -an: %v", err)
	}
	if _, err := f.Run(context.Background(), "lsof", "-i"); !errors.Is(err, ErrNotFound) {
		t.Errorf("lsof -i: %v", err)
	}
}
