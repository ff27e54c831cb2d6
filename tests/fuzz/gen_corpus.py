#!/usr/bin/env python3
"""Write the seed corpora under tests/fuzz/corpus/<target>/: a few small,
valid inputs per target, in the layouts the fuzz_*.c headers describe.
Run from anywhere; rerun after changing a layout and commit the result."""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "corpus")

# --- jute ---------------------------------------------------------------

def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def boolean(v): return b"\x01" if v else b"\x00"
def buf(b):
    if b is None:
        return i32(-1)
    if isinstance(b, str):
        b = b.encode()
    return i32(len(b)) + b

def acl(entries):
    out = i32(len(entries))
    for perms, scheme, ident in entries:
        out += i32(perms) + buf(scheme) + buf(ident)
    return out

OPEN = acl([(31, "world", "anyone")])
MIXED = acl([(31, "world", "anyone"), (1, "ip", "10.0.0.0/8"),
             (3, "digest", "bob:X/Ng8t5mOhL8Y0bB9F5Ewvv3QnA=")])

def create(path, data, flags, a=OPEN): return buf(path) + buf(data) + a + i32(flags)
def path_version(path, v): return buf(path) + i32(v)
def path_watch(path, w): return buf(path) + boolean(w)
def set_data(path, data, v): return buf(path) + buf(data) + i32(v)
def set_acl(path, a, v): return buf(path) + a + i32(v)
def mh(t, done, err): return i32(t) + boolean(done) + i32(err)
def multi(ops): return b"".join(mh(t, 0, -1) + body for t, body in ops) + mh(-1, 1, -1)
def stat(): return i64(1) + i64(2) + i64(3) + i64(4) + i32(5) + i32(6) + i32(7) + i64(0) + i32(3) + i32(0) + i64(2)
def strvec(xs): return i32(len(xs)) + b"".join(buf(x) for x in xs)

MULTI = multi([(1, create("/m", "d", 0)), (13, path_version("/m", 0)),
               (5, set_data("/m", "e", -1)), (2, path_version("/m", -1)),
               (21, create("/t", "", 5) + i64(1000))])

def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def jute_seeds():
    recs = [  # index = the selector byte of fuzz_jute.c
        ("connect", i32(0) + i64(0) + i32(30000) + i64(0) + buf(b"\0" * 16) + boolean(0)),
        ("request_header", i32(1) + i32(4)),
        ("create", create("/a", "data", 0, MIXED)),
        ("create_ttl", create("/t", "x", 5) + i64(60000)),
        ("path_version", path_version("/a", -1)),
        ("path_watch", path_watch("/a", 1)),
        ("set_data", set_data("/a", "new", 3)),
        ("set_acl", set_acl("/a", MIXED, 0)),
        ("path", buf("/a/b")),
        ("auth", i32(0) + buf("digest") + buf("bob:secret")),
        ("set_watches", i64(5) + strvec(["/a"]) + strvec(["/b", "/c"]) + strvec([])),
        ("set_watches2", i64(5) + strvec(["/a"]) + strvec([]) + strvec(["/c"]) + strvec(["/p"]) + strvec(["/r"])),
        ("multi_header", mh(1, 0, -1)),
        ("acl_list", MIXED),
        ("stat", stat()),
        ("multi", MULTI),
    ]
    for i, (name, body) in enumerate(recs):
        write("fuzz_jute", "%02d-%s" % (i, name), bytes([i]) + body)

# --- state machine ------------------------------------------------------

# fuzz_sm.c's tables: the index of each opcode and session.
SM_OPS = [1, 15, 19, 21, 2, 5, 7, 13, 9, 14, -10, -11, 3, 4, 6, 8, 12,
          103, 104, 20, 22, "cleanup"]
S1, S2, S3 = 0, 1, 2

def step(op, sess, payload):
    return bytes([SM_OPS.index(op), sess]) + struct.pack("<H", len(payload)) + payload

def sm_seeds():
    pw = b"0123456789abcdef"
    write("fuzz_sm", "create-set-delete",
          step(1, S1, create("/a/x", "1", 0)) +
          step(5, S1, set_data("/a/x", "22", 0)) +
          step(4, S1, path_watch("/a/x", 1)) +
          step(2, S1, path_version("/a/x", 1)))
    write("fuzz_sm", "multi", step(14, S2, MULTI) + step(12, S2, path_watch("/", 1)))
    write("fuzz_sm", "multi-fails",
          step(14, S1, multi([(1, create("/n", "", 0)), (2, path_version("/nope", -1))])))
    write("fuzz_sm", "sessions",
          step(-10, S3, i32(5000) + buf(pw)) +
          step(1, S3, create("/e3", "", 1)) +
          step(103, S3, buf("/")) +
          step(-11, S3, b"") + step(-11, S1, b""))
    write("fuzz_sm", "acl",
          step(7, S1, set_acl("/a", MIXED, -1)) + step(6, S1, buf("/a")) +
          step(104, S1, buf("/")))
    write("fuzz_sm", "containers",
          step(2, S1, path_version("/ctr/k", -1)) +
          step(19, S1, create("/c2", "", 4)) +
          step("cleanup", S1, struct.pack("<I", 120000)) +
          step(20, S1, b"/ttl"))
    write("fuzz_sm", "multiread",
          step(22, S1, mh(4, 0, -1) + path_watch("/a", 0) +
               mh(8, 0, -1) + path_watch("/a", 0) + mh(-1, 1, -1)))
    write("fuzz_sm", "sequential",
          step(15, S1, create("/a/s-", "", 2)) + step(1, S2, create("/a/q-", "", 3)) +
          step(8, S1, path_watch("/a", 1)))

# --- persistence records ------------------------------------------------

def stat_persisted(czxid, owner=0, cversion=0):
    return (i64(czxid) + i64(czxid) + i64(1000) + i64(1000) + i32(0) +
            i32(cversion) + i32(0) + i64(owner) + i64(czxid))

def node(path, data, owner=0, a=OPEN, cversion=0):
    return buf(path) + buf(data) + a + stat_persisted(1, owner, cversion)

def session(sid, timeout=30000):
    return i64(sid) + i32(timeout) + buf(b"0123456789abcdef")

def rec(kind, body):
    return bytes([kind]) + struct.pack("<I", len(body)) + body

def sm_load_seeds():
    sid = 0x0100000000000001
    write("fuzz_sm_load", "tree",
          rec(0, node("/", None)) + rec(0, node("/a", "x", cversion=2)) +
          rec(0, node("/a/b", "", a=MIXED)) + rec(1, session(sid)) +
          rec(0, node("/a/e", "eph", owner=sid)) +
          rec(0, node("/c", None, owner=-0x8000000000000000, cversion=1)) +
          rec(0, node("/t", "t", owner=-0x0100000000000000 | 5000)))
    write("fuzz_sm_load", "children-first",
          rec(0, node("/x/y/z", "")) + rec(0, node("/x/y", "")) +
          rec(0, node("/x", "")) + rec(1, session(7)))
    write("fuzz_sm_load", "orphan-ephemeral",
          rec(0, node("/e", "", owner=0x0200000000000009)))

# --- config -------------------------------------------------------------

def config_seeds():
    src = os.path.join(ROOT, "tests", "config")
    for name in sorted(os.listdir(src)):
        if name.endswith(".in"):
            shutil.copy(os.path.join(src, name),
                        os.path.join(OUT, "fuzz_config", name))

# --- nanopb -------------------------------------------------------------

def varint(v):
    v &= (1 << 64) - 1
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def fv(tag, v): return varint(tag << 3) + varint(v)
def fb(tag, b): return varint(tag << 3 | 2) + varint(len(b)) + b

AUTH = i32(1) + buf("digest") + buf("bob")

def peer_seeds():
    env = (fv(1, 20) + fv(2, 0x100000005) + fv(3, 0x100000004) + fv(4, 0x0100000000000001) +
           fv(5, 7) + fv(6, 1) + fv(7, 1700000000000) + fv(8, 3) + fv(9, 1) +
           fv(10, 2) + fv(11, -1) + fv(12, (-101) & 0xffffffff) + fb(13, b"frontend") +
           fv(14, 1) + fv(15, 1) + fv(16, 0x100000000) + fb(17, AUTH))
    write("fuzz_peer", "envelope-commit", b"\x00" + env)
    write("fuzz_peer", "envelope-empty", b"\x00")
    peer = (fv(1, 2) + fv(2, 1) + fv(3, 1) + fv(4, 0x100000005) + fv(5, 0x100000004) +
            fv(6, 0x0100000000000001) + fv(7, 7) + fv(8, 1) + fv(9, 1700000000000) +
            fv(10, 3) + fv(11, 1) + fv(12, 0) + fv(13, 1) + fb(14, AUTH))
    write("fuzz_peer", "peer-proposal", b"\x01" + peer)
    write("fuzz_peer", "peer-followerinfo", b"\x01" + fv(1, 11) + fv(2, 3) + fv(3, 1) + fv(13, 1))
    vote = fv(1, 3) + fv(2, 0x100000005) + fv(3, 2) + fv(4, 1) + fv(5, 0) + fv(6, 2)
    write("fuzz_peer", "notification-looking", b"\x02" + vote)
    write("fuzz_peer", "notification-leading", b"\x02" + fv(1, 1) + fv(5, 2) + fv(6, 1))

def command(val_fields, payload):
    hdr = b"".join(val_fields)
    return struct.pack("<I", len(hdr)) + hdr + payload

def record(value): return struct.pack("<I", len(value)) + value

def cmd_seeds():
    stamped = command([fv(2, 0x100000005), fv(3, 0x100000004), fv(4, 0x0100000000000001),
                       fv(5, 7), fv(6, 1), fv(7, 1700000000000), fv(8, 3), fv(9, 0x101),
                       fb(17, AUTH)], create("/a", b"x", 0))
    session = command([fv(2, 0x100000006), fv(3, 0x100000005), fv(4, 0x0100000000000002),
                       fv(6, -10), fv(11, 30000)], b"\0" * 20)
    unstamped = command([fv(4, 0x0100000000000001), fv(5, 8), fv(6, 5), fv(8, 4),
                         fv(9, 0x101)], set_data("/a", b"y", -1))
    # a command logged before batching: an Envelope, as the store kept it
    legacy = command([fv(1, 32), fv(2, 0x100000007), fv(3, 0x100000006), fv(6, 2),
                      fv(10, 9), fb(13, b"x")], path_version("/a", -1))
    write("fuzz_cmd", "commit", record(stamped) + record(session))
    write("fuzz_cmd", "submit", record(unstamped))
    write("fuzz_cmd", "legacy", record(legacy) + record(stamped))
    write("fuzz_cmd", "empty", b"")

# the targets written here (fuzz_membership's seeds are kept by hand)
TARGETS = ["fuzz_jute", "fuzz_sm", "fuzz_sm_load", "fuzz_config", "fuzz_peer",
           "fuzz_cmd"]

def main():
    for t in TARGETS:
        if os.path.isdir(os.path.join(OUT, t)):
            shutil.rmtree(os.path.join(OUT, t))
    os.makedirs(os.path.join(OUT, "fuzz_config"))
    jute_seeds()
    sm_seeds()
    sm_load_seeds()
    config_seeds()
    peer_seeds()
    cmd_seeds()

if __name__ == "__main__":
    main()
