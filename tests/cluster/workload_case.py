"""A cluster test case that runs history.Workload around each test: a fresh
workload (4 sessions creating unique znodes and doing cas/set/sync+read on
3 registers) reaches ACKS acknowledged ops before the test injects its
fault; finish() brings the cluster back and asserts that it serves, that no
acknowledged write is lost and that the history is linearizable."""

import os

from cluster import ClusterTestCase, log
from history import Workload

ACKS = int(os.environ.get("CLUSTER_FAULT_ACKS", "150"))


class WorkloadTestCase(ClusterTestCase):
    nodes = 3
    prefix = "/workload"

    def setUp(self):
        self.ensure_all_up()
        self.w = Workload(self.cluster, "%s-%s" % (self.prefix,
                          self._testMethodName), workers=4, registers=3,
                          max_ops_per_key=150, session_timeout=10.0)
        self.w.setup()
        self.w.start()
        self.addCleanup(self._stop_workload)
        self.w.wait_progress(ACKS)

    def _stop_workload(self):
        if self.w._threads and not self.w._stop.is_set():
            self.w.stop()

    def finish(self, what):
        c = self.cluster
        c.wait_ready(idxs=list(c.nodes))
        self.w.wait_progress(ACKS, what="acks after " + what)
        self.w.stop()
        problems = self.w.check()
        log("%s: %s" % (what, self.w.summary()))
        self.assertEqual(problems, [], "after %s:\n%s"
                         % (what, "\n".join(problems)))
