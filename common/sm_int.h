/*
 * Private to the state machine (sm*.c): the node and session structs, the
 * hash maps, the refcounted ACL cache and the multi undo log.
 *
 * Memory: a node is one allocation holding its full path; children are an
 * array of pointers, and each child keeps its index in that array so a
 * delete is a swap-remove (a parent with 1e6 children stays O(1)).
 */
#ifndef CORRAL_COMMON_SM_INT_H
#define CORRAL_COMMON_SM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/jute.h"
#include "common/sm.h"

/* Wire constants (zookeeper.h / ZooDefs), copied to keep the C client out. */
enum {
	SM_ZOK = 0,
	SM_ZRUNTIMEINCONSISTENCY = -2,
	SM_ZMARSHALLINGERROR = -5,
	SM_ZUNIMPLEMENTED = -6,
	SM_ZRECONFIGDISABLED = -123,
	SM_ZBADARGUMENTS = -8,
	SM_ZNONODE = -101,
	SM_ZNOAUTH = -102,
	SM_ZBADVERSION = -103,
	SM_ZNOCHILDRENFOREPHEMERALS = -108,
	SM_ZNODEEXISTS = -110,
	SM_ZNOTEMPTY = -111,
	SM_ZSESSIONEXPIRED = -112,
	SM_ZINVALIDACL = -114
};
enum {
	SM_OP_ERROR = -1,
	SM_OP_CREATE = 1, SM_OP_DELETE = 2, SM_OP_EXISTS = 3,
	SM_OP_GETDATA = 4, SM_OP_SETDATA = 5, SM_OP_GETACL = 6,
	SM_OP_SETACL = 7, SM_OP_GETCHILDREN = 8, SM_OP_SYNC = 9,
	SM_OP_RECONFIG = 16,
	SM_OP_GETCHILDREN2 = 12, SM_OP_CHECK = 13, SM_OP_MULTI = 14,
	SM_OP_CREATE2 = 15, SM_OP_CREATECONTAINER = 19,
	SM_OP_DELETECONTAINER = 20, SM_OP_CREATETTL = 21,
	SM_OP_GETEPHEMERALS = 103, SM_OP_GETALLCHILDRENNUMBER = 104,
	SM_OP_CREATESESSION = -10, SM_OP_CLOSESESSION = -11
};

/* EphemeralType: container and TTL owners are not sessions. */
#define SM_OWNER_CONTAINER	((int64_t)0x8000000000000000ULL)
#define SM_OWNER_EXTENDED	((int64_t)0xff00000000000000ULL)
#define SM_TTL_MAX		0x000000ffffffffffLL

/* A deduplicated ACL list, stored as its jute vector<ACL> encoding. */
struct sm_acl {
	struct sm_acl	*next;
	uint32_t	 hash;
	uint32_t	 refs;
	uint32_t	 len;
	uint8_t		 enc[];
};

/* StatPersisted; dataLength and numChildren are derived. */
struct sm_stat {
	int64_t	czxid, mzxid, ctime, mtime, owner, pzxid;
	int32_t	version, cversion, aversion;
};

struct sm_node {
	struct sm_node	 *hnext;	/* hash chain */
	struct sm_node	 *parent;	/* NULL for "/" and unlinked loads */
	struct sm_node	**kids;
	struct sm_acl	 *acl;
	uint8_t		 *data;
	struct sm_stat	  st;
	int32_t		  data_len;	/* -1: null data */
	uint32_t	  nkids;
	/*
	 * Ephemeral nodes never have children, so the same word holds
	 * either the kids capacity or the index in the owner's list.
	 */
	uint32_t	  kcap_or_eidx;
	uint32_t	  pidx;		/* index in parent->kids */
	uint32_t	  hash;
	uint32_t	  plen;
	char		  path[];	/* NUL-terminated */
};

struct sm_sess {
	struct sm_sess	 *hnext;
	struct sm_session pub;
	struct sm_node	**eph;
	uint32_t	  neph, ecap;
};

/* SM_U_STAT saves the stat; SM_U_DATA also the data the op replaced. */
enum sm_undo_kind { SM_U_CREATED, SM_U_DELETED, SM_U_STAT, SM_U_DATA };

struct sm_undo {
	enum sm_undo_kind	 kind;
	struct sm_node		*node;
	struct sm_stat		 st;	/* values before the op */
	uint8_t			*data;
	int32_t			 data_len;
};

struct sm {
	struct sm_node	**nodes;
	size_t		  nbuckets, nnodes;
	struct sm_sess	**sess;
	size_t		  sbuckets, nsess;
	struct sm_acl	**acls;
	size_t		  abuckets, nacls;
	struct sm_node	 *root;
	uint64_t	  last_zxid;
	int		  reconfig_enabled;
	uint64_t	  data_size;
	size_t		  neph;
	struct sm_undo	 *undo;
	size_t		  nundo, undo_cap;
};

/* sm_tree.c */
int		 sm_tree_is_session_owner(int64_t);
uint32_t	 sm_tree_hash(const char *, size_t);
struct sm_node	*sm_tree_find(const struct sm *, const char *, size_t);
struct sm_node	*sm_tree_node_new(const char *, size_t);
void		 sm_tree_node_free(struct sm *, struct sm_node *);
void		 sm_tree_hash_insert(struct sm *, struct sm_node *);
void		 sm_tree_hash_remove(struct sm *, struct sm_node *);
void		 sm_tree_link(struct sm *, struct sm_node *, struct sm_node *);
void		 sm_tree_unlink(struct sm *, struct sm_node *);
void		 sm_tree_set_data(struct sm *, struct sm_node *,
		    const uint8_t *, int32_t);
void		 sm_tree_stat(const struct sm_node *, struct zk_stat *);
struct sm_acl	*sm_tree_acl_get(struct sm *, const uint8_t *, size_t);
void		 sm_tree_acl_put(struct sm *, struct sm_acl *);
struct sm_sess	*sm_tree_sess_find(const struct sm *, uint64_t);
struct sm_sess	*sm_tree_sess_add(struct sm *, uint64_t);
void		 sm_tree_sess_remove(struct sm *, struct sm_sess *);
void		 sm_tree_eph_add(struct sm *, struct sm_node *);
void		 sm_tree_eph_remove(struct sm *, struct sm_node *);
void		 sm_tree_free_all(struct sm *);

/* sm_cleanup.c */
int32_t		 sm_cleanup_check(const struct sm_node *);

/* sm_acl.c */
int		 sm_acl_fixup(struct sm *, const struct zk_acl_list *,
		    const struct zk_id *, int, struct sm_acl **);
int		 sm_acl_check(const struct sm_acl *, int32_t,
		    const struct zk_id *, int);

/* sm_apply.c */
void		 sm_apply_change(struct sm_result *, enum sm_change_kind,
		    const char *, size_t);

#endif
