# The python3 part of capture/host.sh: holds the sockets no daemon on this
# machine makes until stdin closes, then exits. Run as nobody with
# CAP_NET_BIND_SERVICE (for port 546).
import array, ctypes, os, socket, sys

def prctl_name(name):
    ctypes.CDLL(None).prctl(15, name, 0, 0, 0)  # PR_SET_NAME

keep = []

# Two processes on 192.0.2.1:7000 (SO_REUSEPORT), whose names a user chose
# to attack a terminal: a newline and an SGR escape; a byte that is not UTF-8.
children = []
r, w = os.pipe()
for name in (b"odd\nname \x1b[31m", b"sec\xffond"):
    pid = os.fork()
    if pid == 0:
        prctl_name(name)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("192.0.2.1", 7000))
        s.listen(16)
        os.write(w, b"1")
        sys.stdin.read()
        os._exit(0)
    children.append(pid)
for _ in children:
    os.read(r, 1)

def v6(addr, port, v6only, scope=0, kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port, 0, scope))
    if kind == socket.SOCK_STREAM:
        s.listen(16)
    keep.append(s)

v6("::", 6000, 1)                # a v6-only daemon on every interface
v6("::", 8443, 0, kind=socket.SOCK_STREAM)  # one dual-stack socket: v4 and v6
v6("::ffff:127.0.0.1", 5000, 0)  # an IPv4-mapped loopback listener
v6("fe80::1", 546, 1, socket.if_nametoindex("veth0"))  # a DHCPv6 client's port, link-local

# A listener held by no process: its only descriptor is in flight in a unix
# socket's queue (sent with SCM_RIGHTS, then closed here).
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
d = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
d.bind(("0.0.0.0", 8080))
d.listen(16)
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [d.fileno()]))])
d.close()
keep += [a, b]

print("ready", flush=True)
sys.stdin.read()
for c in children:
    os.waitpid(c, 0)
