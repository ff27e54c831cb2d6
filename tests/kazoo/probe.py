#!/usr/bin/python3
"""Side-by-side probe of the features behind the kazoo.tests exceptions
(EXCEPTIONS.md): the same kazoo calls against Apache ZooKeeper 3.8 and
against corral, each server configured exactly as run.py configures it for
the suite (superDigest super:test, JAAS digest users, reconfigEnabled).

    /usr/bin/python3 tests/kazoo/probe.py [--mode standalone|ensemble]
        [--server both|corral|zookeeper]

Prints one line per probe: what ZooKeeper answers, what corral answers.
Cleans up every process and temp dir it starts (run.py's machinery).
"""

import argparse
import os
import re
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

JAAS = """
Server {
    org.apache.zookeeper.server.auth.DigestLoginModule required
    user_super="super_secret"
    user_jaasuser="jaas_password";
};"""
HARNESS_INPUTS = dict(
    configuration_entries=["4lw.commands.whitelist=*",
                           "reconfigEnabled=true"],
    java_system_properties=[
        "-Dzookeeper.DigestAuthenticationProvider.superDigest="
        "super:D/InIHSb7yEEbrWz8b9l71RjZJU="],
    jaas_config=JAAS)


def outcome(fn):
    try:
        v = fn()
        if isinstance(v, bytes):
            v = v.decode(errors="replace")
        return "ok %s" % (run.one_line(repr(v), 90),)
    except Exception as e:  # noqa: BLE001
        return "%s%s" % (type(e).__name__,
                         (" " + run.one_line(str(e), 60)) if str(e) and
                         str(e) != "((), {})" else "")


def probes(hosts, ensemble):
    from kazoo.client import KazooClient
    from kazoo.security import (make_digest_acl, CREATOR_ALL_ACL,
                                READ_ACL_UNSAFE, make_acl,
                                OPEN_ACL_UNSAFE)
    clients = []

    def client(**kw):
        c = KazooClient(hosts, timeout=5, **kw)
        clients.append(c)
        return c

    def started(**kw):
        c = client(**kw)
        c.start(timeout=10)
        return c

    base = "/probe-" + uuid.uuid4().hex[:8]
    out = []
    try:
        a = started(auth_data=[("digest", "alice:secret")])
        b = started()
        a.create(base)
        acl = make_digest_acl("alice", "secret", all=True)
        a.create(base + "/d", b"x", acl=[acl])
        out.append(("digest ACL: other session getData",
                    outcome(lambda: b.get(base + "/d")[0])))
        out.append(("digest ACL: other session setData",
                    outcome(lambda: b.set(base + "/d", b"y").version)))
        out.append(("digest ACL: other session getACL",
                    outcome(lambda: b.get_acls(base + "/d")[0])))
        out.append(("digest ACL: owner getData",
                    outcome(lambda: a.get(base + "/d")[0])))
        b2 = started(auth_data=[("digest", "badbad:bad")])
        out.append(("digest ACL: wrong digest getData",
                    outcome(lambda: b2.get(base + "/d")[0])))
        out.append(("create acl=CREATOR_ALL (auth scheme), after digest "
                    "addauth", outcome(lambda: a.create(
                        base + "/c", acl=CREATOR_ALL_ACL))))
        out.append(("  getACL of it", outcome(
            lambda: [(x.id.scheme, x.id.id, x.perms)
                     for x in a.get_acls(base + "/c")[0]])))
        out.append(("create acl=CREATOR_ALL, no auth",
                    outcome(lambda: b.create(base + "/c2",
                                             acl=CREATOR_ALL_ACL))))
        a.create(base + "/r", acl=READ_ACL_UNSAFE)
        out.append(("world:anyone:r node: setData",
                    outcome(lambda: a.set(base + "/r", b"z").version)))
        out.append(("world:anyone:r node: create child",
                    outcome(lambda: a.create(base + "/r/k"))))
        out.append(("setACL with wrong aversion",
                    outcome(lambda: a.set_acls(base, OPEN_ACL_UNSAFE,
                                               version=7).aversion)))
        out.append(("setACL world:anyone:cdrwa aversion 0",
                    outcome(lambda: a.set_acls(base, OPEN_ACL_UNSAFE,
                                               version=0).aversion)))
        ipacl = make_acl("ip", "10.0.0.0/8", all=True)
        a.create(base + "/ip", acl=[ipacl])
        out.append(("ip:10.0.0.0/8 node, client 127.0.0.1: getData",
                    outcome(lambda: b.get(base + "/ip")[0])))
        su = started(auth_data=[("digest", "super:test")])
        out.append(("super digest: getData of alice's node",
                    outcome(lambda: su.get(base + "/d")[0])))

        c = started()
        out.append(("addauth unknown-scheme",
                    outcome(lambda: c.add_auth("unknown-scheme", "x:y"))))
        out.append(("  session state after it",
                    outcome(lambda: c.client_state)))

        s = client(sasl_options={"mechanism": "DIGEST-MD5",
                                 "username": "jaasuser",
                                 "password": "jaas_password"})
        out.append(("SASL DIGEST-MD5 good password: connect",
                    outcome(lambda: s.start(timeout=10))))
        sacl = make_acl("sasl", credential="jaasuser", all=True)
        out.append(("  create acl=sasl:jaasuser in that session",
                    outcome(lambda: s.create(base + "/s", acl=(sacl,)))))
        out.append(("  sasl:jaasuser ACL: other session getData",
                    outcome(lambda: b.get(base + "/s")[0])))
        s.stop()
        s2 = client(sasl_options={"mechanism": "DIGEST-MD5",
                                  "username": "baduser",
                                  "password": "badpassword"})
        out.append(("SASL DIGEST-MD5 bad password: connect",
                    outcome(lambda: s2.start(timeout=10))))
        time.sleep(0.5)
        out.append(("  state 0.5 s later", outcome(lambda: s2.client_state)))
        s3 = client(auth_data=[("sasl", "jaasuser:jaas_password")])
        out.append(("legacy auth_data ('sasl', user:pw): connect",
                    outcome(lambda: s3.start(timeout=10))))
        s2.stop()
        s3.stop()

        out.append(("getData /zookeeper/config",
                    outcome(lambda: b.get("/zookeeper/config")[0])))
        out.append(("reconfig without super",
                    outcome(lambda: b.reconfig(
                        joining="server.999=0.0.0.0:1234:2345:observer;3456",
                        leaving=None, new_members=None)[0])))
        b3 = started()
        out.append(("reconfig joining='some thing' (fresh session)",
                    outcome(lambda: b3.reconfig(
                        joining="some thing", leaving=None,
                        new_members=None)[0])))
        p = [socket.socket() for _ in range(3)]
        for x in p:
            x.bind(("127.0.0.1", 0))
        ports = [x.getsockname()[1] for x in p]
        joining = "server.100=127.0.0.1:%d:%d:observer;127.0.0.1:%d" % tuple(
            ports)
        out.append(("reconfig as super: add observer 100",
                    outcome(lambda: su.reconfig(joining=joining, leaving=None,
                                                new_members=None)[0])))
        out.append(("reconfig as super: remove 100",
                    outcome(lambda: su.reconfig(joining=None, leaving="100",
                                                new_members=None)[0])))
        out.append(("reconfig as super: from_config in the future",
                    outcome(lambda: su.reconfig(joining=joining, leaving=None,
                                                new_members=None,
                                                from_config=1 << 40)[0])))
        for x in p:
            x.close()
        out.append(("server_version() (envi)",
                    outcome(lambda: b.server_version())))
        for w in ("isro", "wchs", "conf"):
            out.append(("4lw %s" % w, outcome(lambda: b.command(
                w.encode()).splitlines()[0])))
    finally:
        for c in clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001
                pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=sorted(run.MODES), default="ensemble")
    ap.add_argument("--server", choices=("both", "corral", "zookeeper"),
                    default="both")
    a = ap.parse_args()
    import logging
    logging.basicConfig(level=logging.CRITICAL)
    import signal
    signal.signal(signal.SIGTERM, run._on_signal)
    signal.signal(signal.SIGINT, run._on_signal)
    size = run.MODES[a.mode]
    results = {}
    try:
        for server in ("zookeeper", "corral"):
            if a.server not in ("both", server):
                continue
            if server == "zookeeper":
                cl = run.zookeeper_cluster_factory()(size=size,
                                                     **HARNESS_INPUTS)
                cl.start()
            else:
                cl = run.CorralCluster(size=size, **HARNESS_INPUTS)
                cl.start()
            hosts = ",".join(s.address for s in cl)
            t0 = time.monotonic()
            while True:   # ZooKeeper's start() only sleeps 2 s
                try:
                    run.ch.four_letter(cl[0].client_port, "ruok", 1.0)
                    break
                except OSError:
                    if time.monotonic() - t0 > 60:
                        raise
                    time.sleep(0.2)
            results[server] = probes(hosts, size > 1)
            cl.terminate()
    finally:
        run.cleanup_all()
    names = [n for n, _ in (results.get("zookeeper") or
                            results.get("corral"))]
    def norm(v):   # what legitimately differs between two servers
        v = re.sub(r"/probe-[0-9a-f]{8}", "/probe-X", v)
        v = re.sub(r"clientPort=\d+", "clientPort=N", v)
        return re.sub(r"(localhost|127\.0\.0\.1):\d+:\d+", r"\1:P:P", v)
    zk = {n: norm(v) for n, v in results.get("zookeeper", [])}
    co = {n: norm(v) for n, v in results.get("corral", [])}
    print("%-55s | %-45s | %s" % ("probe (%s)" % a.mode, "ZooKeeper 3.8",
                                  "corral"))
    for n in names:
        z, c = zk.get(n, "-"), co.get(n, "-")
        mark = "  " if z == c or "-" in (z, c) else "!="
        print("%s%-53s | %-45s | %s" % (mark, n, z, c))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
