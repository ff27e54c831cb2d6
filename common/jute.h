/*
 * The jute codec: ZooKeeper's client wire encoding (big-endian int/long,
 * bool as one byte, buffer/string as int32 length + bytes, -1 = null,
 * vector as int32 count + elements). Layouts follow
 * /usr/include/zookeeper/zookeeper.jute.h exactly.
 *
 * Decoding never allocates for scalar records: strings and buffers point
 * into the input, so the input must outlive the decoded record. A decoder
 * that runs past the end, or meets a negative length other than -1, or a
 * length over the reader's limit, sets r->err and returns -1; after the
 * first error every later get is a no-op returning zero values. Foreign
 * bytes never crash a decoder.
 */
#ifndef CORRAL_COMMON_JUTE_H
#define CORRAL_COMMON_JUTE_H

#include <stddef.h>
#include <stdint.h>

struct jute_reader {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

/* A growable output buffer. */
struct jute_writer {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
};

/* A string or buffer inside the input: not NUL-terminated; len -1 = null. */
struct jute_bytes {
	const uint8_t	*p;
	int32_t		 len;
};

void	 jute_reader_init(struct jute_reader *, const void *, size_t);
/* Bytes not yet consumed. */
size_t	 jute_remaining(const struct jute_reader *);
int32_t	 jute_get_int(struct jute_reader *);
int64_t	 jute_get_long(struct jute_reader *);
int	 jute_get_bool(struct jute_reader *);
/* Buffer or ustring; returns 0, or -1 with r->err set. */
int	 jute_get_bytes(struct jute_reader *, struct jute_bytes *);

void	 jute_writer_init(struct jute_writer *);
void	 jute_writer_reset(struct jute_writer *);	/* len = 0, keeps buf */
void	 jute_writer_free(struct jute_writer *);
void	 jute_put_int(struct jute_writer *, int32_t);
void	 jute_put_long(struct jute_writer *, int64_t);
void	 jute_put_bool(struct jute_writer *, int);
/* len -1 writes a null buffer. */
void	 jute_put_bytes(struct jute_writer *, const void *, int32_t len);
void	 jute_put_string(struct jute_writer *, const char *);	/* NULL = null */
void	 jute_put_raw(struct jute_writer *, const void *, size_t);
/* n bytes appended to w, for the caller to fill (one check for many fields). */
uint8_t	*jute_put_space(struct jute_writer *, size_t n);
/*
 * Encode into space the caller has (jute_put_space, a fixed buffer) and
 * return the end: int, long, and buffer (its length first, -1 for null).
 */
uint8_t	*jute_enc_int(uint8_t *, int32_t);
uint8_t	*jute_enc_long(uint8_t *, int64_t);
uint8_t	*jute_enc_bytes(uint8_t *, const void *, int32_t len);
/* Overwrite a big-endian int32 at offset (for length prefixes). */
void	 jute_patch_int(struct jute_writer *, size_t off, int32_t);

/* --- records (zookeeper.jute.h) --- */

struct zk_stat {
	int64_t	czxid, mzxid, ctime, mtime;
	int32_t	version, cversion, aversion;
	int64_t	ephemeral_owner;
	int32_t	data_length, num_children;
	int64_t	pzxid;
};
void	jute_put_stat(struct jute_writer *, const struct zk_stat *);
int	jute_get_stat(struct jute_reader *, struct zk_stat *);

struct zk_id {
	struct jute_bytes scheme, id;
};
struct zk_acl {
	int32_t		perms;
	struct zk_id	id;
};
/* ACL vectors are decoded into a caller array of at most max entries. */
#define JUTE_MAX_ACL	64
struct zk_acl_list {
	int32_t		count;			/* -1 = null vector */
	struct zk_acl	acl[JUTE_MAX_ACL];
};
void	jute_put_acl_list(struct jute_writer *, const struct zk_acl_list *);
int	jute_get_acl_list(struct jute_reader *, struct zk_acl_list *);

/* ConnectRequest; read_only is present only when has_read_only. */
struct zk_connect_req {
	int32_t			protocol_version;
	int64_t			last_zxid_seen;
	int32_t			timeout;
	int64_t			session_id;
	struct jute_bytes	passwd;
	int			has_read_only;
	int			read_only;
};
int	jute_get_connect_req(struct jute_reader *, struct zk_connect_req *);
struct zk_connect_resp {
	int32_t		protocol_version;
	int32_t		timeout;
	int64_t		session_id;
	const uint8_t	*passwd;
	int32_t		passwd_len;
	int		has_read_only;	/* echo the field if the client sent it */
	int		read_only;
};
void	jute_put_connect_resp(struct jute_writer *, const struct zk_connect_resp *);

struct zk_request_header {
	int32_t	xid;
	int32_t	type;
};
int	jute_get_request_header(struct jute_reader *, struct zk_request_header *);
struct zk_reply_header {
	int32_t	xid;
	int64_t	zxid;
	int32_t	err;
};
void	jute_put_reply_header(struct jute_writer *, const struct zk_reply_header *);

/* WatcherEvent: type, state, path. */
void	jute_put_watcher_event(struct jute_writer *, int32_t type,
	    int32_t state, const char *path);

/* CreateRequest (create, create2, createContainer). */
struct zk_create_req {
	struct jute_bytes	path, data;
	struct zk_acl_list	acl;
	int32_t			flags;
};
int	jute_get_create_req(struct jute_reader *, struct zk_create_req *);
/* CreateTTLRequest: CreateRequest + ttl. */
struct zk_create_ttl_req {
	struct zk_create_req	c;
	int64_t			ttl;
};
int	jute_get_create_ttl_req(struct jute_reader *, struct zk_create_ttl_req *);

/* DeleteRequest and CheckVersionRequest: path, version. */
struct zk_path_version_req {
	struct jute_bytes	path;
	int32_t			version;
};
int	jute_get_path_version_req(struct jute_reader *, struct zk_path_version_req *);

/* ExistsRequest, GetDataRequest, GetChildren(2)Request: path, watch. */
struct zk_path_watch_req {
	struct jute_bytes	path;
	int			watch;
};
int	jute_get_path_watch_req(struct jute_reader *, struct zk_path_watch_req *);

/* SetDataRequest: path, data, version. */
struct zk_set_data_req {
	struct jute_bytes	path, data;
	int32_t			version;
};
int	jute_get_set_data_req(struct jute_reader *, struct zk_set_data_req *);

/* ReconfigRequest: joiningServers, leavingServers, newMembers, curConfigId. */
struct zk_reconfig_req {
	struct jute_bytes	joining, leaving, members;
	int64_t			cur_config_id;
};
int	jute_get_reconfig_req(struct jute_reader *, struct zk_reconfig_req *);
void	jute_put_reconfig_req(struct jute_writer *,
	    const struct zk_reconfig_req *);

/* SetACLRequest: path, acl, version. */
struct zk_set_acl_req {
	struct jute_bytes	path;
	struct zk_acl_list	acl;
	int32_t			version;
};
int	jute_get_set_acl_req(struct jute_reader *, struct zk_set_acl_req *);

/* GetACLRequest, SyncRequest, GetEphemerals, GetAllChildrenNumber: path. */
int	jute_get_path_req(struct jute_reader *, struct jute_bytes *path);

/* AuthPacket: type, scheme, auth. */
struct zk_auth_packet {
	int32_t			type;
	struct jute_bytes	scheme, auth;
};
int	jute_get_auth_packet(struct jute_reader *, struct zk_auth_packet *);

/*
 * SetWatches (opcode 101): relativeZxid, dataWatches, existWatches,
 * childWatches; SetWatches2 (105) adds persistentWatches and
 * persistentRecursiveWatches. Vectors of strings are walked with a
 * callback so any count fits; return -1 on malformed input.
 */
struct zk_set_watches {
	int64_t			relative_zxid;
	int			v2;
};
typedef void jute_path_cb(void *arg, int kind, const struct jute_bytes *path);
/* kind: 0 data, 1 exist, 2 child, 3 persistent, 4 persistent recursive */
int	jute_get_set_watches(struct jute_reader *, int v2,
	    struct zk_set_watches *, jute_path_cb *, void *arg);

/*
 * MultiHeader {type, done, err} precedes each op of a multi request and of a
 * multi response; the list ends with type -1, done true, err -1.
 */
struct zk_multi_header {
	int32_t	type;
	int	done;
	int32_t	err;
};
int	jute_get_multi_header(struct jute_reader *, struct zk_multi_header *);
void	jute_put_multi_header(struct jute_writer *, const struct zk_multi_header *);

#endif
