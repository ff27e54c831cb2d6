/*
 * ZooKeeper's ACL rules as pure functions: the authentication providers
 * (digest, ip, sasl: server/auth/ in ZooKeeper), the check
 * (ZooKeeperServer.checkACL) and the expansion of a new ACL list
 * (PrepRequestProcessor.fixupACL). No I/O, no config: what a check may
 * depend on travels in the identity list, so every replica decides alike.
 *
 * Identity lists are jute vector<Id> {ustring scheme, ustring id}, the
 * form carried in Envelope.auth. Besides a session's own ids (ip, digest,
 * super, sasl, as ZooKeeper keeps them in ServerCnxn.authInfo), the
 * frontend appends its node's policy, which no client can forge (no
 * provider answers to those schemes):
 *   super:""      skipACL=yes on the submitting node (checks pass)
 *   corral:sasl   the SASL provider is registered (authProvider.N)
 */
#ifndef CORRAL_COMMON_ACL_H
#define CORRAL_COMMON_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "common/jute.h"

/* ZooDefs.Perms */
#define ACL_READ	1
#define ACL_WRITE	2
#define ACL_CREATE	4
#define ACL_DELETE	8
#define ACL_ADMIN	16
#define ACL_ALL		31

#define ACL_IDS_MAX	1024	/* bytes: Envelope.auth max_size */
#define ACL_IDS_MAXN	128	/* ids: each takes at least 8 bytes */
#define ACL_POLICY	"corral"	/* scheme of the node policy ids */
#define ACL_DIGEST_LEN	29	/* ":" + base64 of a 20-byte SHA1 */

/* An identity list, kept encoded (count first) and deduplicated. */
struct acl_ids {
	int32_t	n;
	size_t	len;
	uint8_t	enc[ACL_IDS_MAX];
};

void	acl_ids_init(struct acl_ids *);
/*
 * Add scheme:id unless present (ZooKeeper keeps a set). Returns 0 added,
 * 1 already present, -1 when it would not fit in ACL_IDS_MAX bytes.
 */
int	acl_ids_add(struct acl_ids *, const char *scheme, const char *id,
	    size_t idlen);
/* Append every id of src to dst (deduplicated); -1 if they do not fit. */
int	acl_ids_merge(struct acl_ids *dst, const struct acl_ids *src);
/*
 * Decode an encoded list into ids[max] (pointing into buf). Returns the
 * count, or -1 for a malformed or too long list. NULL/0 is empty.
 */
int	acl_ids_decode(const uint8_t *buf, size_t len, struct zk_id *ids,
	    int max);

/*
 * DigestAuthenticationProvider.generateDigest: "user:pass" becomes
 * "user:" + base64(sha1("user:pass")) (user is all of it without a
 * colon). Writes a NUL-terminated string; -1 if out is too small.
 */
int	acl_digest(const uint8_t *userpass, size_t len, char *out,
	    size_t outsz);

/* Provider isValid() of an ACL id, exactly as ZooKeeper 3.8 decides. */
int	acl_digest_valid(const struct jute_bytes *);
int	acl_ip_valid(const struct jute_bytes *);	/* IPv4 [/bits] only */
int	acl_sasl_valid(const struct jute_bytes *);	/* KerberosName */
/* IPAuthenticationProvider.matches: address id within ACL expr. */
int	acl_ip_match(const struct jute_bytes *id, const struct jute_bytes *expr);

/*
 * checkACL: 1 if ids may do perm on a node whose ACL is the encoded
 * vector<ACL> (acl, len), 0 otherwise (NoAuth). An empty ACL allows all.
 */
int	acl_check(const uint8_t *acl, size_t len, int32_t perm,
	    const struct zk_id *ids, int nids);

/*
 * fixupACL: deduplicate, refuse an empty list or an invalid id, expand
 * "auth" entries into the requester's authenticated ids. Appends the
 * resulting vector<ACL> to out. Returns 0, or -114 (ZINVALIDACL).
 */
int32_t	acl_fixup(const struct zk_acl_list *, const struct zk_id *ids,
	    int nids, struct jute_writer *out);

/*
 * getACL without ADMIN: digest ids lose their hash, "user:hash" becomes
 * "user:x" (FinalRequestProcessor). Rewrites the encoded vector<ACL>
 * (acl, len) into out.
 */
void	acl_redact_digests(const uint8_t *acl, size_t len,
	    struct jute_writer *out);

/* whoAmI's user for an id (AuthenticationProvider.getUserName), or "". */
struct jute_bytes acl_user_name(const struct zk_id *, int sasl_on);
/* 1 if the policy ids say the SASL provider is registered. */
int	acl_sasl_on(const struct zk_id *ids, int nids);

#endif
