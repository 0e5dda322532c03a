package bpfowners

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

var sampleRecords = []Record{
	{TGID: 1, FD: 3, Inode: 12345, StartBoottime: 10_000_000, NetNS: 4026531840, Leader: true, TID: 1},
	{TGID: 4_000_000, FD: 1 << 20, Inode: 1<<64 - 1, StartBoottime: 1<<63 + 7, NetNS: 1<<32 - 1, Leader: false, TID: 4_000_007},
	{TGID: 812, FD: 0, Inode: 1, StartBoottime: 0, NetNS: 0, Leader: true},
	{Process: true, TGID: 812, StartBoottime: 99, NetNS: 4026532001, Leader: true},
}

func encode(order binary.AppendByteOrder, recs ...Record) []byte {
	var b []byte
	for _, r := range recs {
		b = AppendRecord(b, order, r)
	}
	return b
}

func TestParseRecord(t *testing.T) {
	le := encode(binary.LittleEndian, sampleRecords[0])
	// The layout of struct record in bpf/task_file.bpf.c, byte by byte.
	want := []byte{
		1, 0, 0, 0, // tgid
		3, 0, 0, 0, // fd
		0x39, 0x30, 0, 0, 0, 0, 0, 0, // ino 12345
		0x80, 0x96, 0x98, 0, 0, 0, 0, 0, // start 10,000,000
		0x00, 0x00, 0x00, 0xf0, // netns 4026531840
		1, 0, 3, 0, // flags: leader, version 3
		1, 0, 0, 0, // tid
		0, 0, 0, 0, // padding
	}
	if !bytes.Equal(le, want) {
		t.Fatalf("little-endian encoding\n% x\nwant\n% x", le, want)
	}
	badVersion := bytes.Clone(le)
	badVersion[30] = 2
	badFlags := bytes.Clone(le)
	badFlags[28] = 8
	tests := []struct {
		name  string
		in    []byte
		order binary.ByteOrder
		want  Record
		err   bool
	}{
		{name: "little-endian", in: le, order: binary.LittleEndian, want: sampleRecords[0]},
		{name: "big-endian", in: encode(binary.BigEndian, sampleRecords[1]), order: binary.BigEndian, want: sampleRecords[1]},
		{name: "not the leader", in: encode(binary.LittleEndian, sampleRecords[1]), order: binary.LittleEndian, want: sampleRecords[1]},
		{name: "process record", in: encode(binary.LittleEndian, sampleRecords[3]), order: binary.LittleEndian, want: sampleRecords[3]},
		{name: "longer input: first record", in: encode(binary.LittleEndian, sampleRecords...), order: binary.LittleEndian, want: sampleRecords[0]},
		{name: "short", in: le[:RecordSize-1], order: binary.LittleEndian, err: true},
		{name: "empty", in: nil, order: binary.LittleEndian, err: true},
		{name: "other version", in: badVersion, order: binary.LittleEndian, err: true},
		{name: "unknown flag", in: badFlags, order: binary.LittleEndian, err: true},
		{name: "wrong byte order", in: le, order: binary.BigEndian, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRecord(tt.in, tt.order)
			if tt.err {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("ParseRecord = %+v, %v; want an ErrFormat", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRecord = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// collect reads records from r with a buffer of n bytes.
func collect(r io.Reader, n int) ([]Record, error) {
	var got []Record
	err := ReadRecords(r, binary.LittleEndian, make([]byte, n), func(rec Record) error {
		got = append(got, rec)
		return nil
	})
	return got, err
}

func TestReadRecords(t *testing.T) {
	stream := encode(binary.LittleEndian, sampleRecords...)
	stop := errors.New("stop")
	tests := []struct {
		name    string
		r       io.Reader
		buf     int
		want    []Record
		errIs   error
		errText bool
	}{
		{name: "one read", r: bytes.NewReader(stream), buf: 4096, want: sampleRecords},
		{name: "empty output", r: bytes.NewReader(nil), buf: 4096},
		{name: "one byte per read", r: iotest.OneByteReader(bytes.NewReader(stream)), buf: 4096, want: sampleRecords},
		{name: "half reads", r: iotest.HalfReader(bytes.NewReader(stream)), buf: 4096, want: sampleRecords},
		{name: "data with EOF", r: iotest.DataErrReader(bytes.NewReader(stream)), buf: 4096, want: sampleRecords},
		{name: "buffer of one record and a half", r: bytes.NewReader(stream), buf: RecordSize * 3 / 2, want: sampleRecords},
		{name: "buffer of exactly one record", r: bytes.NewReader(stream), buf: RecordSize, want: sampleRecords},
		{name: "ends inside a record", r: bytes.NewReader(stream[:len(stream)-5]), buf: 4096, want: sampleRecords[:3], errIs: ErrFormat},
		{name: "read error after a record", r: io.MultiReader(bytes.NewReader(stream[:RecordSize]), iotest.ErrReader(stop)), buf: 4096, want: sampleRecords[:1], errIs: stop},
		{name: "buffer too small", r: bytes.NewReader(stream), buf: RecordSize - 1, errText: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(tt.r, tt.buf)
			switch {
			case tt.errIs != nil && !errors.Is(err, tt.errIs):
				t.Errorf("error %v, want %v", err, tt.errIs)
			case tt.errText && err == nil:
				t.Errorf("no error")
			case tt.errIs == nil && !tt.errText && err != nil:
				t.Errorf("error %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("records %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadRecordsCallbackError(t *testing.T) {
	stream := encode(binary.LittleEndian, sampleRecords...)
	stop := errors.New("enough")
	n := 0
	err := ReadRecords(bytes.NewReader(stream), binary.LittleEndian, make([]byte, 4096), func(Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("ReadRecords = %v after %d records, want %v after 1", err, n, stop)
	}
}

// zeroReader returns (0, nil) forever: ReadRecords must stop by its bound
// rather than loop without end. It counts its reads.
type zeroReader struct{ n int }

func (z *zeroReader) Read([]byte) (int, error) { z.n++; return 0, nil }

func TestReadRecordsBounded(t *testing.T) {
	z := &zeroReader{}
	if err := ReadRecords(z, binary.LittleEndian, make([]byte, RecordSize), func(Record) error { return nil }); err == nil {
		t.Fatal("no error from a reader that never ends")
	}
	if z.n != maxReads {
		t.Fatalf("%d reads, want %d", z.n, maxReads)
	}
}

func FuzzReadRecords(f *testing.F) {
	f.Add(encode(binary.LittleEndian, sampleRecords...), uint8(0))
	f.Add(encode(binary.LittleEndian, sampleRecords...)[:40], uint8(3))
	f.Add([]byte{}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		var r io.Reader = bytes.NewReader(b)
		if chunk%2 == 1 {
			r = iotest.OneByteReader(r)
		}
		got, err := collect(r, RecordSize+int(chunk))
		if err == nil && len(b)%RecordSize != 0 {
			t.Fatalf("%d bytes decoded without error", len(b))
		}
		// Every record decoded re-encodes to its input bytes.
		for i, rec := range got {
			if enc := AppendRecord(nil, binary.LittleEndian, rec); !bytes.Equal(enc, b[i*RecordSize:(i+1)*RecordSize]) {
				t.Fatalf("record %d: %+v re-encodes to % x, input % x", i, rec, enc, b[i*RecordSize:(i+1)*RecordSize])
			}
		}
	})
}
