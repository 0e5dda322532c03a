package fdscan

// Holding is a process that a faster mechanism than the /proc walk (an
// eBPF iterator over task files, see package bpfowners) saw holding wanted
// sockets. Scanner.VerifyAndScanUnseen checks it against /proc and describes its owner,
// so that both mechanisms give the same Result.
type Holding struct {
	// PID is the process id as /proc shows it.
	PID int
	// StartTime is the process's start time as the mechanism saw it, in
	// the unit of /proc/PID/stat field 22 (clock ticks after boot). A
	// process under PID whose start time differs is another process.
	StartTime uint64
	// Sockets are the descriptors seen pointing at wanted sockets.
	Sockets []SocketFD
}

// SocketFD is one descriptor that points at a socket.
type SocketFD struct {
	// Inode is the socket's inode, as in "socket:[N]".
	Inode uint64
	// FD is the descriptor number.
	FD int
	// TID is the thread whose descriptor table holds FD when that is not
	// the process's own table (a thread that called
	// unshare(CLONE_FILES)); 0 or the PID for the process's table.
	TID int
}
