#!/usr/bin/python3
"""ACLs and authentication, as ZooKeeper 3.8 applies them: every operation
against every single permission, the schemes world, auth, digest, ip and
super, InvalidACL and NoAuth (and which error wins when several apply),
getACL's hiding of digest hashes without ADMIN, setACL's aversion, whoAmI,
addauth with an unknown scheme, skipACL, and SASL DIGEST-MD5 logins whose
sasl ids ACLs can name.  Run it against ZooKeeper too
(CORRAL_TEST_TARGET=zookeeper): ZooKeeper is the reference."""

import base64
import hashlib
import logging
import os
import struct
import threading

import harness
from harness import (Jute, JuteReader, RawClient, create_request,
                     path_request, wait_for)

from kazoo.exceptions import (AuthFailedError, BadVersionError,
                              InvalidACLError, NoAuthError, NoNodeError,
                              NodeExistsError, RolledBackError)
from kazoo.security import ACL, Id, Permissions, make_digest_acl

logging.basicConfig(level=logging.CRITICAL)

READ, WRITE, CREATE, DELETE, ADMIN = (Permissions.READ, Permissions.WRITE,
                                      Permissions.CREATE, Permissions.DELETE,
                                      Permissions.ADMIN)
ALL = Permissions.ALL
PERMS = {"r": READ, "w": WRITE, "c": CREATE, "d": DELETE, "a": ADMIN}

OP_GETALLCHILDRENNUMBER = 104
OP_WHOAMI = 107
OP_SETAUTH = 100
XID_AUTH = -4
ZNOAUTH = -102
ZINVALIDACL = -114
ZAUTHFAILED = -115

SUPER_PASSWORD = "s3cret"


def digest(userpass):
    """DigestAuthenticationProvider.generateDigest."""
    user = userpass.split(":", 1)[0]
    h = base64.b64encode(hashlib.sha1(userpass.encode()).digest()).decode()
    return "%s:%s" % (user, h)


def world(perms):
    return [ACL(perms, Id("world", "anyone"))]


def acl_set(acls):
    return sorted((a.perms, a.id.scheme, a.id.id) for a in acls)


def auth_packet(scheme, auth):
    return (Jute().int(XID_AUTH).int(OP_SETAUTH).int(0).ustring(scheme)
            .buffer(auth).bytes())


def whoami(raw, xid=50):
    xid_, zxid, err, body = raw.request(Jute().int(xid).int(OP_WHOAMI)
                                        .bytes())
    r = JuteReader(body)
    return err, sorted((r.ustring(), r.ustring()) for _ in range(r.int()))


class AclTest(harness.ServerTestCase):

    extra_cfg = {"DigestAuthenticationProvider.superDigest":
                 digest("super:" + SUPER_PASSWORD)}

    def setUp(self):
        super().setUp()
        self.admin = self.client()
        self.admin.add_auth("digest", "super:" + SUPER_PASSWORD)
        self.admin.create(self.base)
        self.anon = self.client()

    def tearDown(self):
        self.admin.delete(self.base, recursive=True)
        super().tearDown()

    def authed(self, *userpass):
        c = self.client()
        for up in userpass:
            c.add_auth("digest", up)
        return c

    def raw(self):
        r = RawClient(self.server.port)
        self.addCleanup(r.close)
        r.handshake()
        return r

    # -- each operation against each single permission

    def op_table(self):
        """(name, permission it needs, fn(client, node)); the node has a
        child "kid"; None: no check at all."""
        return [
            ("getData", READ, lambda c, n: c.get(n)),
            ("getChildren", READ, lambda c, n: c.get_children(n)),
            ("getChildren2", READ,
             lambda c, n: c.get_children(n, include_data=True)),
            ("exists", None, lambda c, n: c.exists(n)),
            ("sync", None, lambda c, n: c.sync(n)),
            ("setData", WRITE, lambda c, n: c.set(n, b"new")),
            ("create", CREATE, lambda c, n: c.create(n + "/new")),
            ("delete", DELETE, lambda c, n: c.delete(n + "/kid")),
            ("setACL", ADMIN, lambda c, n: c.set_acls(n, world(ALL))),
            ("check", READ, self.multi_check),
            ("getACL", READ | ADMIN, lambda c, n: c.get_acls(n)),
            ("getAllChildrenNumber", READ, self.all_children_number),
        ]

    @staticmethod
    def multi_check(c, n):
        t = c.transaction()
        t.check(n, 0)
        res = t.commit()
        if isinstance(res[0], Exception):
            raise res[0]
        return res

    def all_children_number(self, c, n):
        # kazoo 2.8 lacks it: raw, with the same identities (none)
        raw = self.raw()
        err = raw.request(path_request(7, OP_GETALLCHILDRENNUMBER, n))[2]
        if err == ZNOAUTH:
            raise NoAuthError()
        self.assertEqual(err, 0)

    def test_each_op_each_permission(self):
        i = 0
        for name, need, fn in self.op_table():
            for letter, perm in PERMS.items():
                i += 1
                node = "%s/%s_%s" % (self.base, name, letter)
                self.admin.create(node, b"d")
                self.admin.create(node + "/kid")
                self.admin.set_acls(node, world(perm))
                allowed = need is None or (need & perm) != 0
                with self.subTest(op=name, perm=letter):
                    if allowed:
                        fn(self.anon, node)
                    else:
                        self.assertRaises(NoAuthError, fn, self.anon, node)

    def test_no_permission_at_all(self):
        node = self.base + "/closed"
        self.admin.create(node, b"d", acl=world(0))
        self.assertIsNotNone(self.anon.exists(node))
        for fn in (self.anon.get, self.anon.get_children,
                   self.anon.get_acls):
            self.assertRaises(NoAuthError, fn, node)
        self.assertRaises(NoAuthError, self.anon.set, node, b"x")
        self.assertRaises(NoAuthError, self.anon.create, node + "/x")

    # -- which error wins

    def test_error_order(self):
        node = self.base + "/order"
        self.admin.create(node, acl=world(READ))
        self.admin.create(self.base + "/order2", acl=world(READ))
        # delete: DELETE on the parent is checked before the node exists
        self.assertRaises(NoAuthError, self.anon.delete, node + "/missing")
        # create: CREATE on the parent before NodeExists
        self.admin.create(node + "/kid")
        self.assertRaises(NoAuthError, self.anon.create, node + "/kid")
        # a missing parent is NoNode
        self.assertRaises(NoNodeError, self.anon.create, node + "/no/kid")
        # setData / setACL on a missing node: NoNode
        self.assertRaises(NoNodeError, self.anon.set, node + "/missing",
                          b"")
        # setACL: the new list is checked first (InvalidACL), then the
        # node (NoNode), then ADMIN (NoAuth), then the version
        self.assertRaises(InvalidACLError, self.anon.set_acls,
                          node + "/missing", [])
        self.assertRaises(InvalidACLError, self.anon.set_acls, node, [])
        self.assertRaises(NoNodeError, self.anon.set_acls,
                          node + "/missing", world(ALL))
        self.assertRaises(NoAuthError, self.anon.set_acls, node,
                          world(ALL), version=99)
        # create: InvalidACL before NoNode (kazoo turns [] into the
        # default ACL: raw)
        raw = self.raw()
        self.assertEqual(raw.request(create_request(
            1, node + "/no/kid", acl=[]))[2], ZINVALIDACL)
        self.assertEqual(raw.request(create_request(
            2, node + "/no/kid", acl=[(ALL, "auth", "")]))[2], ZINVALIDACL)
        # setData: NoAuth before BadVersion
        self.assertRaises(NoAuthError, self.anon.set, node, b"", version=99)
        # reads of a missing node: NoNode
        self.assertRaises(NoNodeError, self.anon.get, node + "/missing")

    # -- schemes

    def test_digest(self):
        node = self.base + "/dig"
        acl = make_digest_acl("alice", "pw", all=True)
        self.assertEqual(acl.id.id, digest("alice:pw"))
        self.admin.create(node, b"x", acl=[acl])
        self.assertRaises(NoAuthError, self.anon.get, node)
        self.assertEqual(self.authed("alice:pw").get(node)[0], b"x")
        self.assertRaises(NoAuthError, self.authed("alice:wrong").get, node)
        self.assertRaises(NoAuthError, self.authed("bob:pw").get, node)
        # one of several identities is enough
        self.assertEqual(self.authed("bob:pw", "alice:pw").get(node)[0],
                         b"x")
        # a credential without a colon is all user name
        node2 = self.base + "/dig2"
        self.admin.create(node2, acl=[ACL(ALL, Id("digest",
                                                  digest("nocolon")))])
        self.authed("nocolon").get(node2)

    def test_auth_scheme(self):
        auth_all = [ACL(ALL, Id("auth", ""))]
        # no authenticated identity: InvalidACL (the ip id does not count)
        self.assertRaises(InvalidACLError, self.anon.create,
                          self.base + "/a0", acl=auth_all)
        c = self.authed("alice:pw", "bob:pw")
        node = self.base + "/a1"
        c.create(node, acl=[ACL(READ | WRITE, Id("auth", "ignored"))])
        # without ADMIN the creator sees the hashes hidden
        self.assertEqual(acl_set(c.get_acls(node)[0]), sorted([
            (READ | WRITE, "digest", "alice:x"),
            (READ | WRITE, "digest", "bob:x")]))
        acls, _ = self.admin.get_acls(node)
        # one entry per authenticated id
        self.assertEqual(acl_set(acls), sorted([
            (READ | WRITE, "digest", digest("alice:pw")),
            (READ | WRITE, "digest", digest("bob:pw"))]))
        self.assertEqual(self.authed("bob:pw").get(node)[0], b"")
        self.assertRaises(NoAuthError, self.anon.get, node)
        # mixed with other entries, and in setACL
        self.admin.set_acls(node, [ACL(READ, Id("auth", "")),
                                   ACL(READ, Id("world", "anyone"))])
        acls, _ = self.admin.get_acls(node)
        self.assertEqual(acl_set(acls), sorted([
            (READ, "digest", digest("super:" + SUPER_PASSWORD)),
            (READ, "world", "anyone")]))
        self.assertRaises(InvalidACLError, self.anon.set_acls, node,
                          [ACL(READ, Id("auth", ""))])
        # super alone is no authenticated id for "auth"... but its
        # digest id is
        node2 = self.base + "/a2"
        self.admin.create(node2, acl=auth_all)
        acls, _ = self.admin.get_acls(node2)
        self.assertEqual(acl_set(acls), [(ALL, "digest",
                                          digest("super:" + SUPER_PASSWORD))])

    def test_ip(self):
        cases = [("127.0.0.1", True), ("127.0.0.2", False),
                 ("127.0.0.0/8", True), ("127.0.0.0/24", True),
                 ("127.1.0.0/16", False), ("10.0.0.0/8", False),
                 ("0.0.0.0/0", True), ("127.0.0.1/32", True),
                 ("127.0.0.3/31", False), ("127.0.0.0/31", True)]
        for i, (expr, ok) in enumerate(cases):
            node = "%s/ip%d" % (self.base, i)
            self.admin.create(node, acl=[ACL(READ, Id("ip", expr))])
            with self.subTest(expr=expr):
                if ok:
                    self.anon.get(node)
                else:
                    self.assertRaises(NoAuthError, self.anon.get, node)
        # addauth ip is accepted: it adds the address the session has
        self.anon.add_auth("ip", "anything")

    def test_invalid_acls(self):
        raw = self.raw()
        self.assertEqual(raw.request(create_request(
            1, self.base + "/empty", acl=[]))[2], ZINVALIDACL)
        bad = [[ACL(ALL, Id("world", "nobody"))],
               [ACL(ALL, Id("digest", "nocolon"))],
               [ACL(ALL, Id("digest", "a:b:c"))],
               [ACL(ALL, Id("digest", "a::"))],
               [ACL(ALL, Id("ip", "1.2.3.4/33"))],
               [ACL(ALL, Id("ip", "300.1.1.1"))],
               [ACL(ALL, Id("ip", "1.2.3"))],
               [ACL(ALL, Id("ip", "1.2.3.4/"))],
               [ACL(ALL, Id("ip", "::1"))],
               [ACL(ALL, Id("ip", "host.example"))],
               [ACL(ALL, Id("foo", "bar"))],
               [ACL(ALL, Id("super", ""))],
               [ACL(ALL, Id("sasl", "bob"))],   # no SASL provider here
               [ACL(READ, Id("world", "anyone")), ACL(ALL, Id("x", "y"))]]
        for i, acl in enumerate(bad):
            with self.subTest(acl=acl):
                self.assertRaises(InvalidACLError, self.admin.create,
                                  "%s/bad%d" % (self.base, i), acl=acl)
        good = [[ACL(ALL, Id("digest", ":x"))],
                [ACL(ALL, Id("digest", "a:b:"))],
                [ACL(ALL, Id("ip", "001.2.3.4"))],
                [ACL(ALL, Id("ip", "1.2.3.4/+8"))],
                [ACL(ALL, Id("ip", "1.2.3.4/0"))]]
        for i, acl in enumerate(good):
            with self.subTest(acl=acl):
                self.admin.create("%s/good%d" % (self.base, i), acl=acl)

    def test_duplicates_removed(self):
        node = self.base + "/dup"
        self.admin.create(node, acl=world(READ) + world(READ) +
                          world(WRITE))
        acls, _ = self.admin.get_acls(node)
        self.assertEqual(acl_set(acls), [(READ, "world", "anyone"),
                                         (WRITE, "world", "anyone")])

    def test_super(self):
        node = self.base + "/sup"
        self.admin.create(node, b"x", acl=[make_digest_acl("x", "y",
                                                           read=True)])
        self.admin.set_acls(node, world(0))
        self.assertEqual(self.admin.get(node)[0], b"x")
        self.admin.set(node, b"y")
        self.admin.create(node + "/kid")
        self.admin.delete(node + "/kid")
        self.assertRaises(NoAuthError, self.anon.get, node)
        # a wrong super password is just another digest id
        self.assertRaises(NoAuthError, self.authed("super:nope").get, node)

    # -- getACL and setACL

    def test_get_acl_hides_digests_without_admin(self):
        node = self.base + "/hide"
        alice = make_digest_acl("alice", "pw", all=True)
        self.admin.create(node, acl=[alice, ACL(READ, Id("world",
                                                         "anyone"))])
        acls, _ = self.anon.get_acls(node)
        self.assertEqual(acl_set(acls), sorted([
            (ALL, "digest", "alice:x"), (READ, "world", "anyone")]))
        acls, _ = self.authed("alice:pw").get_acls(node)
        self.assertIn((ALL, "digest", digest("alice:pw")), acl_set(acls))
        # ADMIN alone shows the hash too
        self.admin.set_acls(node, [alice, ACL(ADMIN, Id("world",
                                                        "anyone"))])
        acls, _ = self.anon.get_acls(node)
        self.assertIn((ALL, "digest", digest("alice:pw")), acl_set(acls))

    def test_set_acl_aversion(self):
        node = self.base + "/aver"
        self.admin.create(node)
        self.assertEqual(self.admin.exists(node).aversion, 0)
        st = self.admin.set_acls(node, world(ALL), version=0)
        self.assertEqual(st.aversion, 1)
        self.assertRaises(BadVersionError, self.admin.set_acls, node,
                          world(ALL), version=0)
        st = self.admin.set_acls(node, world(ALL), version=-1)
        self.assertEqual(st.aversion, 2)
        self.assertEqual(self.admin.get_acls(node)[1].aversion, 2)
        # the data version is untouched
        self.assertEqual(st.version, 0)

    # -- multi, watches

    def test_multi_checks_each_op(self):
        node = self.base + "/multi"
        self.admin.create(node, acl=world(READ | WRITE))
        t = self.anon.transaction()
        t.set_data(node, b"ok")
        t.create(node + "/kid")
        res = t.commit()
        self.assertIsInstance(res[0], RolledBackError)
        self.assertIsInstance(res[1], NoAuthError)
        self.assertEqual(self.anon.get(node)[0], b"")
        self.assertIsNone(self.anon.exists(node + "/kid"))

    def test_no_watch_when_no_auth(self):
        node = self.base + "/watch"
        self.admin.create(node, acl=world(ADMIN))
        fired = threading.Event()
        self.assertRaises(NoAuthError, self.anon.get, node,
                          watch=lambda e: fired.set())
        self.assertRaises(NoAuthError, self.anon.get_children, node,
                          watch=lambda e: fired.set())
        self.admin.set(node, b"changed")
        self.admin.create(node + "/kid")
        # a fence: an event this session does get comes after those
        seen = threading.Event()
        self.anon.exists(node + "/fence", watch=lambda e: seen.set())
        self.admin.create(node + "/fence")
        wait_for(seen.is_set, 10, "fence event")
        self.assertFalse(fired.is_set())

    # -- identities

    def test_whoami(self):
        raw = self.raw()
        err, ids = whoami(raw)
        self.assertEqual((err, ids), (0, [("ip", "127.0.0.1")]))
        self.assertEqual(raw.request(auth_packet("digest", b"alice:pw"))[2],
                         0)
        self.assertEqual(raw.request(auth_packet("digest", b"alice:pw"))[2],
                         0)
        self.assertEqual(raw.request(auth_packet("ip", b""))[2], 0)
        err, ids = whoami(raw, 51)
        self.assertEqual(ids, [("digest", "alice"), ("ip", "127.0.0.1")])
        self.assertEqual(raw.request(auth_packet(
            "digest", ("super:" + SUPER_PASSWORD).encode()))[2], 0)
        err, ids = whoami(raw, 52)
        self.assertEqual(ids, [("digest", "alice"), ("digest", "super"),
                               ("ip", "127.0.0.1"), ("super", "")])

    def test_auth_reply_zxid_zero(self):
        raw = self.raw()
        self.admin.create(self.base + "/z")
        xid, zxid, err, body = raw.request(auth_packet("digest", b"a:b"))
        self.assertEqual((xid, zxid, err, body), (XID_AUTH, 0, 0, b""))

    def test_bad_scheme_fails_and_closes(self):
        for scheme in ("nosuchscheme", "sasl", "super", "world", "auth"):
            with self.subTest(scheme=scheme):
                raw = self.raw()
                xid, zxid, err, body = raw.request(auth_packet(scheme, b"x"))
                self.assertEqual((xid, err), (XID_AUTH, ZAUTHFAILED))
                self.assertTrue(raw.wait_closed(10))

    def test_kazoo_bad_scheme(self):
        c = self.client()
        self.assertRaises(AuthFailedError, c.add_auth, "nosuchscheme", "x")


class SkipAclTest(harness.ServerTestCase):

    extra_cfg = {"skipACL": "yes"}

    def test_skip_acl(self):
        c = self.client()
        node = self.base
        c.create(node, b"x", acl=world(0))
        self.assertEqual(c.get(node)[0], b"x")
        c.set(node, b"y")
        c.create(node + "/kid")
        c.delete(node + "/kid")
        c.set_acls(node, world(ALL))
        # the lists are still checked
        self.assertRaises(InvalidACLError, c.set_acls, node, [])
        self.assertRaises(InvalidACLError, c.create, node + "/a",
                          acl=[ACL(ALL, Id("auth", ""))])
        c.delete(node)


JAAS = """// ZooKeeper's own example, as in its SASL docs
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret";
};
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="bob"
       password="bobsecret";
};
"""


def sasl(user, password):
    return {"mechanism": "DIGEST-MD5", "username": user,
            "password": password}


class SaslTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        import tempfile
        d = tempfile.mkdtemp(prefix="corral-jaas-")
        cls.addClassCleanup(__import__("shutil").rmtree, d, True)
        path = os.path.join(d, "jaas.conf")
        with open(path, "w") as f:
            f.write(JAAS)
        cls.extra_cfg = {
            "authProvider.1":
            "org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
            "java.security.auth.login.config": path,
            "superUser": "super"}
        super().setUpClass()

    def raw_sasl(self, raw, user, password):
        """A DIGEST-MD5 exchange over opcode 102 (pure-sasl as kazoo
        drives it); returns the err of the last reply."""
        import puresasl.client
        cli = puresasl.client.SASLClient("zk-sasl-md5", "zookeeper",
                                         **sasl(user, password))
        challenge, xid = None, 0
        while not cli.complete:
            resp = cli.process(challenge) or b""
            if cli.complete and not resp:
                break
            xid += 1
            _, _, err, body = raw.request(Jute().int(xid).int(102)
                                          .buffer(resp).bytes())
            if err:
                return err
            challenge = JuteReader(body).buffer()
        return 0

    def test_sasl_login_and_acl(self):
        bob = self.client(sasl_options=sasl("bob", "bobsecret"))
        node = self.base
        bob.create(node, b"x", acl=[ACL(ALL, Id("sasl", "bob"))])
        self.assertEqual(bob.get(node)[0], b"x")
        anon = self.client()
        self.assertRaises(NoAuthError, anon.get, node)
        # "auth" expands to the sasl id
        bob.create(node + "/a", acl=[ACL(READ | ADMIN, Id("auth", ""))])
        self.assertEqual(acl_set(bob.get_acls(node + "/a")[0]),
                         [(READ | ADMIN, "sasl", "bob")])
        # superUser=super: the sasl user "super" passes every check
        sup = self.client(sasl_options=sasl("super", "adminsecret"))
        self.assertEqual(sup.get(node)[0], b"x")
        sup.delete(node, recursive=True)

    def test_sasl_whoami(self):
        raw = RawClient(self.server.port)
        self.addCleanup(raw.close)
        raw.handshake()
        self.assertEqual(self.raw_sasl(raw, "bob", "bobsecret"), 0)
        self.assertEqual(whoami(raw)[1], [("ip", "127.0.0.1"),
                                          ("sasl", "bob")])

    def sasl_fails(self, user, pw):
        raw = RawClient(self.server.port)
        self.addCleanup(raw.close)
        raw.handshake()
        self.assertEqual(self.raw_sasl(raw, user, pw), ZAUTHFAILED)
        self.assertTrue(raw.wait_closed(10))

    def test_sasl_wrong_password(self):
        self.sasl_fails("bob", "wrong")

    def test_sasl_unknown_user(self):
        self.sasl_fails("nobody", "bobsecret")

    def test_sasl_acl_valid(self):
        c = self.client()
        c.create(self.base, acl=[ACL(ALL, Id("sasl", "bob"))])
        self.assertRaises(InvalidACLError, c.create, self.base + "/x",
                          acl=[ACL(ALL, Id("sasl", "a@b@c"))])
        self.client(sasl_options=sasl("bob", "bobsecret")).delete(self.base)


if __name__ == "__main__":
    harness.main()
