/*
 * The state machine: the znode tree and the session table, and the
 * deterministic apply of committed commands. Linked into the frontend (the
 * replica that answers clients), the store (the durable copy) and later the
 * observer, so replicas cannot diverge in code. No I/O, no clock: the time
 * comes stamped in each command.
 *
 * Apply rules follow ZooKeeper 3.8 (DataTree, PrepRequestProcessor): a
 * failing write still consumes its zxid and changes nothing; a multi is
 * atomic. Every apply produces the client's reply body and the list of
 * changed paths, which drives watches (frontend) and persistence (store).
 */
#ifndef CORRAL_COMMON_SM_H
#define CORRAL_COMMON_SM_H

#include <stddef.h>
#include <stdint.h>

#include "common/jute.h"

struct sm;

/* A committed command. payload is the client's jute request record. */
struct sm_cmd {
	uint64_t	 zxid;
	int64_t		 time;		/* leader wall clock, ms */
	uint64_t	 session;
	int32_t		 cxid;
	int32_t		 opcode;	/* ZOO_*_OP; -10 createSession, -11 close */
	const uint8_t	*payload;
	size_t		 len;
	/*
	 * The session's identities and the submitting node's policy, an
	 * encoded vector<Id> (common/acl.h): ACLs are checked against these
	 * at apply time. NULL/0: none (only world:anyone grants).
	 */
	const uint8_t	*auth;
	size_t		 auth_len;
};

/*
 * Payload of createSession (-10): int32 timeout, buffer password (16
 * bytes). closeSession (-11) has an empty payload. Both are encoded with
 * sm_encode_create_session().
 */
#define SM_PASSWD_LEN	16
void	sm_encode_create_session(struct jute_writer *, int32_t timeout,
	    const uint8_t passwd[SM_PASSWD_LEN]);

/* Event types equal ZooKeeper's watcher event types. */
enum sm_change_kind {
	SM_CH_CREATED = 1,	/* node created: data/exist watches */
	SM_CH_DELETED = 2,	/* node deleted: data + child watches */
	SM_CH_DATA = 3,		/* data changed: data watches */
	SM_CH_CHILD = 4,	/* children changed: child watches of path */
	SM_CH_META = 100	/* stat/ACL changed, no watch (setACL) */
};

struct sm_change {
	enum sm_change_kind	 kind;
	char			*path;		/* NUL-terminated, owned */
};

struct sm_result {
	int32_t			 err;		/* reply header err (ZOK...) */
	struct jute_writer	 reply;		/* response record, may be empty */
	struct sm_change	*changes;	/* in order of occurrence */
	size_t			 nchanges, changes_cap;
	uint64_t		 session_opened;	/* createSession applied */
	uint64_t		 session_closed;	/* closeSession applied */
	/* reads only: watch to register on watch_path (owned) */
	int			 watch;		/* SM_WATCH_* */
	char			*watch_path;
};
#define SM_WATCH_NONE	0
#define SM_WATCH_DATA	1	/* getData, exists: fires on created/data/deleted */
#define SM_WATCH_CHILD	2	/* getChildren: fires on child/deleted */

void	sm_result_init(struct sm_result *);
void	sm_result_reset(struct sm_result *);	/* reuse, keeps buffers */
void	sm_result_free(struct sm_result *);

/* A new tree holding "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config". */
struct sm	*sm_new(void);
void		 sm_destroy(struct sm **);

/*
 * Apply one committed write command. Commands must come in zxid order;
 * the sm remembers the last applied zxid. Returns 0; -1 only if the
 * command is from a broken producer (zxid not increasing), a bug.
 * A malformed payload is not a bug: err = ZMARSHALLINGERROR.
 */
int	sm_apply(struct sm *, const struct sm_cmd *, struct sm_result *);

/*
 * Answer a read (exists 3, getData 4, getACL 6, getChildren 8,
 * getChildren2 12, getEphemerals 103 for session, getAllChildrenNumber
 * 104) from the tree. Fills err and reply, and watch/watch_path when the
 * request asked for a watch and ZooKeeper would register one.
 */
void	sm_read(const struct sm *, uint64_t session, int32_t opcode,
	    const uint8_t *payload, size_t len, struct sm_result *);
/*
 * sm_read with ACL checks as FinalRequestProcessor makes them, for the
 * identities auth (encoded vector<Id>, see sm_cmd): READ for getData,
 * getChildren(2) and getAllChildrenNumber, READ or ADMIN for getACL
 * (digest hashes hidden without ADMIN); exists and getEphemerals are not
 * checked. NoAuth registers no watch. sm_read is this with no ids.
 */
void	sm_read_auth(const struct sm *, uint64_t session, const uint8_t *auth,
	    size_t auth_len, int32_t opcode, const uint8_t *payload,
	    size_t len, struct sm_result *);

uint64_t sm_last_zxid(const struct sm *);
/* The data of the node at path (NULL, *len -1 if there is none). */
const uint8_t *sm_node_data(const struct sm *, const char *path,
	    int32_t *len);
/* 0 if the identities auth hold perm (ACL_* bits) on path, else a ZooKeeper
 * error (NoAuth, NoNode). */
int32_t	sm_check_perm(const struct sm *, const char *path, int32_t perm,
	    const uint8_t *auth, size_t auth_len);

struct sm_session {
	uint64_t	id;
	int32_t		timeout;
	uint8_t		passwd[SM_PASSWD_LEN];
};
/* Borrowed pointer, NULL if the session does not exist. */
const struct sm_session *sm_session_find(const struct sm *, uint64_t id);
size_t	sm_session_count(const struct sm *);
size_t	sm_node_count(const struct sm *);
/* Approximate bytes of data held (for mntr zk_approximate_data_size). */
uint64_t sm_data_size(const struct sm *);
size_t	sm_ephemeral_count(const struct sm *);

/*
 * Container and TTL nodes due for deletion at now_ms (ZooKeeper's
 * ContainerManager): cb(arg, path) for each. The leader turns them into
 * deleteContainer commands (opcode 20, payload = the path's bytes).
 */
void	sm_cleanup_candidates(const struct sm *, int64_t now_ms,
	    void (*cb)(void *, const char *), void *arg);

/*
 * The ensemble membership shown in /zookeeper/config ("server.N=..." lines
 * and "version=<hex>", empty when standalone; mzxid = version) and whether
 * reconfig is enabled. Each node sets them from its own membership, as
 * ZooKeeper does, unless a committed reconfig wrote a version as new.
 */
void	sm_set_config(struct sm *, const char *text, size_t len,
	    uint64_t version, int64_t mtime, int reconfig_enabled);

/* --- persistence and snapshots (store, frontend load) --- */

/* Encode the node at path (stat, data, acl, path); -1 if absent. */
int	sm_node_encode(const struct sm *, const char *path, struct jute_writer *);
/* Encode the session; -1 if absent. */
int	sm_session_encode(const struct sm *, uint64_t id, struct jute_writer *);
/*
 * Loading: records in any order, then sm_load_finish() links children,
 * counts them and rebuilds ephemeral lists. A malformed record returns -1
 * (foreign bytes: a corrupt store), never crashes.
 */
int	sm_node_load(struct sm *, const uint8_t *rec, size_t len);
int	sm_session_load(struct sm *, const uint8_t *rec, size_t len);
int	sm_load_finish(struct sm *, uint64_t last_zxid);
/*
 * Every node's record (sessions 0) or every session's (1), encoded into w
 * for fn, without a lookup per node: snapshots of big trees.
 */
void	sm_foreach_record(const struct sm *, int sessions,
	    struct jute_writer *, void (*)(void *, const struct jute_writer *),
	    void *);
/* Visit every node path / session id (no mutation during the walk). */
void	sm_foreach_node(const struct sm *, void (*)(void *, const char *), void *);
void	sm_foreach_session(const struct sm *, void (*)(void *, uint64_t), void *);

#endif
