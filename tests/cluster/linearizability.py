"""A WGL-style linearizability checker (Wing & Gong, with Lowe's list and
memoization) for per-key register histories.

An operation is an Op (see history.py) with:
  key        the register it acts on (histories are split per key: a history
             is linearizable iff each key's subhistory is: P-compositionality)
  f          "read" | "write" | "cas"
  value      read: None; write: the new value; cas: (expected, new)
  type       "ok" (completed, result known), "fail" (completed, definitely
             had no effect: e.g. BadVersion), "info" (indeterminate: timeout,
             connection loss: it took effect at some point after its
             invocation, or never)
  out        the observed result: read -> the value read; write/cas ok -> an
             optional observation of the state after it (see the model)
  call, ret  invocation and completion times (ret None for info)

An ok/fail op must take effect (fail: "be checked") atomically between call
and ret; an info op has no completion, so it may take effect at any point
after call or not at all.

Models:
  Register          state = value; read returns the value; write sets it;
                    cas(expected, new) succeeds iff value == expected, a
                    failed cas must have seen value != expected.
  VersionedRegister ZooKeeper's znode: state = (value, version); read
                    returns (value, version); write (setData, version -1)
                    sets value and version+1, its out is the new version (or
                    None); cas = setData with version: (expected_version,
                    new), ok iff version == expected_version, out = new
                    version; a failed cas (BadVersion) saw another version.
"""

import collections


class Register:
    """Plain read/write/cas register over hashable values."""

    @staticmethod
    def relevant(op):
        # reads that did not return and failed writes constrain nothing
        if op.f == "read":
            return op.type == "ok"
        if op.f == "write":
            return op.type != "fail"
        return True

    @staticmethod
    def step(state, op):
        """(legal, new_state) of op applied to state, given op's outcome."""
        if op.f == "read":
            return state == op.out, state
        if op.f == "write":
            return True, op.value
        if op.f == "cas":
            exp, new = op.value
            if op.type == "fail":
                return state != exp, state
            return state == exp, (new if state == exp else state)
        raise ValueError("unknown op %r" % (op.f,))


class VersionedRegister:
    """A znode's (data, version) under getData / setData(version)."""

    @staticmethod
    def relevant(op):
        if op.f == "read":
            return op.type == "ok"
        if op.f == "write":
            return op.type != "fail"
        return True

    @staticmethod
    def step(state, op):
        value, version = state
        if op.f == "read":
            return tuple(op.out) == state, state
        if op.f == "write":
            nv = version + 1
            if op.type == "ok" and op.out is not None and op.out != nv:
                return False, state
            return True, (op.value, nv)
        if op.f == "cas":
            exp, new = op.value
            if op.type == "fail":
                return version != exp, state
            if version != exp:
                return False, state
            if op.type == "ok" and op.out is not None and op.out != exp + 1:
                return False, state
            return True, (new, exp + 1)
        raise ValueError("unknown op %r" % (op.f,))


class _Entry:
    __slots__ = ("op", "bit", "is_call", "match", "prev", "next")

    def __init__(self, op, bit, is_call):
        self.op = op
        self.bit = bit
        self.is_call = is_call
        self.match = None
        self.prev = None
        self.next = None


class Result:
    def __init__(self, ok, key=None, explored=0, detail=""):
        self.ok = ok
        self.key = key
        self.explored = explored
        self.detail = detail

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return "Result(ok=%r, key=%r, explored=%d%s)" % (
            self.ok, self.key, self.explored,
            (", " + self.detail) if self.detail else "")


class CheckBudgetExceeded(RuntimeError):
    pass


def check_key(ops, model, init, key=None, budget=5_000_000):
    """WGL search over one key's ops; Result (truthy iff linearizable)."""
    ops = [op for op in ops if model.relevant(op)]
    events = []
    for n, op in enumerate(ops):
        # at equal times, calls come first (the more permissive order)
        events.append((op.call, 0, n, op))
        if op.type != "info":
            if op.ret is None:
                raise ValueError("op %r is %s but has no completion time"
                                 % (op, op.type))
            events.append((op.ret, 1, n, op))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    head = _Entry(None, 0, False)
    calls = {}
    prev = head
    for t, kind, n, op in events:
        e = _Entry(op, 1 << n, kind == 0)
        if kind == 0:
            calls[n] = e
        else:
            calls[n].match = e
        e.prev = prev
        prev.next = e
        prev = e
    returns_left = sum(1 for e in calls.values() if e.match is not None)

    def lift(e):
        e.prev.next = e.next
        if e.next is not None:
            e.next.prev = e.prev
        m = e.match
        if m is not None:
            m.prev.next = m.next
            if m.next is not None:
                m.next.prev = m.prev

    def unlift(e):
        m = e.match
        if m is not None:
            m.prev.next = m
            if m.next is not None:
                m.next.prev = m
        e.prev.next = e
        if e.next is not None:
            e.next.prev = e

    state = init
    linearized = 0
    cache = set()
    stack = []
    explored = 0
    deepest = (0, None, init)   # (depth, blocking op, state there)
    entry = head.next
    while True:
        if returns_left == 0:
            return Result(True, key, explored)
        explored += 1
        if explored > budget:
            raise CheckBudgetExceeded(
                "linearizability search for key %r exceeded %d steps "
                "(%d ops): keep histories smaller" % (key, budget, len(ops)))
        if entry is not None and entry.is_call:
            legal, new = model.step(state, entry.op)
            if legal:
                nl = linearized | entry.bit
                k = (nl, new)
                if k not in cache:
                    cache.add(k)
                    stack.append((entry, state))
                    state = new
                    linearized = nl
                    lift(entry)
                    if entry.match is not None:
                        returns_left -= 1
                    entry = head.next
                    continue
            entry = entry.next
            continue
        # a return whose op is not linearized yet (or the end): backtrack
        if entry is not None and len(stack) >= deepest[0]:
            deepest = (len(stack), entry.op, state)
        if not stack:
            depth, op, st = deepest
            return Result(False, key, explored,
                          "no linearization: at best %d ops linearized, then "
                          "%s could not take effect in state %r"
                          % (depth, op, st))
        e, state = stack.pop()
        linearized &= ~e.bit
        unlift(e)
        if e.match is not None:
            returns_left += 1
        entry = e.next


def check(ops, model=VersionedRegister, init=None, inits=None,
          budget=5_000_000):
    """Check a multi-key history key by key.  init: the initial state of
    every key (or inits: {key: state}).  Returns a list of failing Results
    (empty: linearizable)."""
    by_key = collections.OrderedDict()
    for op in ops:
        by_key.setdefault(op.key, []).append(op)
    bad = []
    for key, kops in by_key.items():
        st = (inits or {}).get(key, init)
        r = check_key(kops, model, st, key=key, budget=budget)
        if not r:
            bad.append(r)
    return bad
