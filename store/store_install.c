/*
 * SNAP sync on a learner: the replicator relays a leader's snapshot
 * (STORE_SNAP_INSTALL, STORE_SNAP_CHUNKs in the format store_snap_send()
 * produces, STORE_SNAP_END) and we replace our whole state by it. The
 * snapshot's zxid may come with INSTALL or, as a leader learns it only
 * from its own store's SNAP_END, with END alone (INSTALL zxid 0).
 *
 * Rules enforced here:
 * - The old state stays, in memory and on disk, until the snapshot has
 *   loaded and linked; then our snapshot, log and meta change in one
 *   synced batch, so a crash leaves either the old state or the new one.
 * - The records come from a peer: a malformed one aborts the install with
 *   a warning, never a fatalx.
 * - Exactly one STORE_STATE answers each STORE_SNAP_END (err -1 when the
 *   install failed or was never started), so the replicator can wait for it.
 */
#include "store/store.h"

#include <inttypes.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/log.h"
#include "common/sm.h"

void
store_install_abort(struct store *s)
{
	if (s->installing)
		log_info("snapshot install at zxid=0x%" PRIx64 " abandoned",
		    s->install_zxid);
	sm_destroy(&s->install);
	s->installing = 0;
	s->install_zxid = 0;
}

void
store_install_begin(struct store *s, uint64_t zxid)
{
	store_install_abort(s);
	s->installing = 1;
	s->install = sm_new();
	s->install_zxid = zxid;
	log_info("receiving a snapshot at zxid=0x%" PRIx64 " (0: named at its "
	    "end; applied zxid=0x%" PRIx64 ")", zxid, s->applied);
}

int
store_records_load(struct sm *sm, int64_t kind, const uint8_t *p,
    size_t len)
{
	size_t off = 0;
	uint32_t n;
	int rc;

	if (kind != 0 && kind != 1)
		return -1;
	while (off < len) {
		if (len - off < 4)
			return -1;
		n = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
		    (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
		off += 4;
		if (n > len - off)
			return -1;
		rc = kind == 0 ? sm_node_load(sm, p + off, n) :
		    sm_session_load(sm, p + off, n);
		if (rc < 0)
			return -1;
		off += n;
	}
	return 0;
}

void
store_install_chunk(struct store *s, const struct msg *m)
{
	if (!s->installing) {
		log_warnx("STORE_SNAP_CHUNK without STORE_SNAP_INSTALL, "
		    "ignored");
		return;
	}
	if (s->install == NULL)
		return;		/* already failed: END will say so */
	if (store_records_load(s->install, m->env.arg, m->payload, m->len) ==
	    0)
		return;
	log_warnx("malformed snapshot chunk (kind %" PRId64 ", %zu bytes) "
	    "for zxid=0x%" PRIx64 ": install aborted, state kept", m->env.arg,
	    m->len, s->install_zxid);
	sm_destroy(&s->install);
}

/* Put the installed state into the (empty) open batch and write it synced. */
static void
write_installed(struct store *s)
{
	uint64_t z = s->install_zxid;

	store_snapshot_wait(s);		/* it reads the sm we replace */
	store_db_clear_cf(s->db, s->batch, STORE_CF_LOG);
	sm_destroy(&s->sm);
	s->sm = s->install;
	s->install = NULL;
	store_log_uncache_all(s);
	s->applied = s->commit_to = s->logged = s->log_base = z;
	s->applied_since_trim = 0;
	store_snapshot_write_now(s);	/* the older snapshots go */
	store_meta_put(s, "committed", z);
	store_meta_put(s, "trimmed", z);
	s->batch_sync = 1;
	store_log_flush(s);
}

/*
 * 0 if the snapshot received is whole and links, with its zxid settled in
 * install_zxid; else -1, reported.
 */
static int
check_end(struct store *s, const struct msg *m)
{
	uint64_t z = s->install_zxid;

	if (!s->installing) {
		log_warnx("STORE_SNAP_END without STORE_SNAP_INSTALL");
		return -1;
	}
	if (s->install == NULL)
		return -1;	/* the malformed chunk was reported */
	if (z == 0)
		z = s->install_zxid = m->env.zxid;
	else if (m->env.zxid != 0 && m->env.zxid != z) {
		log_warnx("STORE_SNAP_END zxid=0x%" PRIx64 " does not match "
		    "the install at zxid=0x%" PRIx64, m->env.zxid, z);
		return -1;
	}
	if (sm_load_finish(s->install, z) < 0) {
		log_warnx("snapshot at zxid=0x%" PRIx64 " does not link", z);
		return -1;
	}
	return 0;
}

void
store_install_end(struct store *s, const struct msg *m)
{
	int err = check_end(s, m);
	uint64_t z = s->install_zxid;

	if (err == 0) {
		if (z < s->applied)
			log_warnx("installing a snapshot at zxid=0x%" PRIx64
			    " below applied zxid=0x%" PRIx64, z, s->applied);
		store_log_flush(s);	/* the open batch goes first */
		write_installed(s);
		log_info("installed a snapshot at zxid=0x%" PRIx64 ": %zu "
		    "nodes, %zu sessions", z, sm_node_count(s->sm),
		    sm_session_count(s->sm));
	} else if (s->installing)
		log_warnx("snapshot install at zxid=0x%" PRIx64 " failed, "
		    "state kept at applied zxid=0x%" PRIx64, z, s->applied);
	sm_destroy(&s->install);
	s->installing = 0;
	s->install_zxid = 0;
	store_send_state(s, m, err);
}
