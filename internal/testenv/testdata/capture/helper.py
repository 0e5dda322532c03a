# Holds the sockets of the testenv ss fixture until stdin closes.
import array, ctypes, os, socket, sys

def prctl_name(name):
    ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME

keep = []
def v6(kind, addr, port, v6only, dev=None):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    if dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(128)
    keep.append(s)

# One listener shared by three processes (the parent and two forks).
shared = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
shared.bind(("192.0.2.1", 7001)); shared.listen(16)
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        prctl_name("shared-worker")
        sys.stdin.read(); os._exit(0)
    children.append(pid)

# With the argument "name": a process whose name holds a comma, a quote and a
# parenthesis (ss prints it cut at the parenthesis: "we,ird""). With "forge":
# one named as if to add an owner of PID 1 to ss's process column.
hostile = {"name": 'we,ird")name', "forge": 'a",pid=1,fd=3'}.get((sys.argv[1:] or [""])[0])
r, wr = os.pipe()
pid = os.fork() if hostile else None
if pid is None:
    os.write(wr, b"1")
elif pid == 0:
    shared.close()
    prctl_name(hostile)
    w = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    w.bind(("127.0.0.1", 8080)); w.listen(4096)
    os.write(wr, b"1")
    sys.stdin.read(); os._exit(0)
if pid:
    children.append(pid)
os.read(r, 1)  # the child listens
v6(socket.SOCK_STREAM, "::", 7002, 1)
v6(socket.SOCK_STREAM, "::", 7003, 0)
v6(socket.SOCK_DGRAM, "::1", 7004, 1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
u.bind(("0.0.0.0", 7005)); keep.append(u)
v6(socket.SOCK_DGRAM, "::", 7006, 0, "lo")

# A socket held by no process: its only descriptor is in flight in a unix
# socket's queue (sent with SCM_RIGHTS, then closed here).
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d.bind(("0.0.0.0", 68))
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [d.fileno()]))])
d.close(); keep += [a, b]

print("ready", flush=True)
sys.stdin.read()
for c in children:
    os.waitpid(c, 0)
