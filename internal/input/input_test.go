package input

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func TestReader(t *testing.T) {
	text := "Netid State\nudp   UNCONN 0 0 *:5353 *:*\n"
	var le, be []byte
	le = append(le, 0xff, 0xfe)
	be = append(be, 0xfe, 0xff)
	for _, u := range utf16.Encode([]rune(text)) {
		le = append(le, byte(u), byte(u>>8))
		be = append(be, byte(u>>8), byte(u))
	}
	for name, in := range map[string][]byte{
		"plain": []byte(text), "utf-8 bom": append([]byte("\xef\xbb\xbf"), text...), "utf-16le": le, "utf-16be": be,
	} {
		got, err := io.ReadAll(Reader(context.Background(), bytes.NewReader(in), 1<<20))
		if err != nil || string(got) != text {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	// Bytes that are not UTF-8 pass unchanged (a process name may be).
	raw := []byte("tcp sshd\xff\x80 x\n")
	if got, _ := io.ReadAll(Reader(context.Background(), bytes.NewReader(raw), 100)); !bytes.Equal(got, raw) {
		t.Errorf("invalid UTF-8 changed: %q", got)
	}
}

func TestLimit(t *testing.T) {
	in := strings.Repeat("a", 100)
	if got, err := io.ReadAll(Reader(context.Background(), strings.NewReader(in), 100)); err != nil || len(got) != 100 {
		t.Errorf("exactly the limit: %d bytes, %v", len(got), err)
	}
	if _, err := io.ReadAll(Reader(context.Background(), strings.NewReader(in), 99)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := io.ReadAll(Reader(ctx, strings.NewReader("x"), 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}

func TestDirectory(t *testing.T) {
	if _, _, err := Open(context.Background(), t.TempDir(), nil, 10); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("err %v", err)
	}
}

// A read blocked on a pipe whose writer never writes nor closes returns
// the context's error once the context is cancelled.
func TestCancelBlockedPipeRead(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(Reader(ctx, pr, 1<<20))
		done <- err
	}()
	// Later, so that the read is (most likely) already blocked.
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("read of a pipe that never ends after cancel: %v, want context.Canceled", err)
	}
}
