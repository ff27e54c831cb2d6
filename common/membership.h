/*
 * The ensemble's membership as ZooKeeper keeps it in /zookeeper/config
 * (QuorumMaj.toString: "server.N=spec" lines, then "version=<hex>"), the
 * arithmetic of reconfig (PrepRequestProcessor.pRequest2TxnReconfig), and
 * its durable copy in dataDir/membership, which overrides the server.N
 * lines of zoo.cfg once a reconfig has committed (ZooKeeper rewrites
 * zoo.cfg to point at a zoo.cfg.dynamic.<version> file instead).
 */
#ifndef CORRAL_COMMON_MEMBERSHIP_H
#define CORRAL_COMMON_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

#define MEMBERSHIP_FILE		"membership"
/* Room for the text of CONFIG_MAX_SERVERS servers. */
#define MEMBERSHIP_TEXT_MAX	(CONFIG_MAX_SERVERS * 600)

struct membership {
	uint64_t		version;	/* zxid of its reconfig, 0 static */
	int			nservers;	/* sorted by id */
	struct config_server	servers[CONFIG_MAX_SERVERS];
};

void	membership_from_config(struct membership *, const struct config *);
/* Install m as cfg's servers (peer_type follows our own line). */
void	membership_to_config(const struct membership *, struct config *);
/*
 * Parse "server.N=spec" lines and an optional "version=<hex>" line,
 * separated by newlines (or commas, as reconfig's newMembers). Returns 0,
 * or -1 with why filled.
 */
int	membership_parse(struct membership *, const char *text, size_t len,
	    char *why, size_t whylen);
/* The text of /zookeeper/config; with_version adds the last line. */
size_t	membership_format(const struct membership *, int with_version,
	    char *buf, size_t len);
int	membership_voters(const struct membership *);
/* corral's limit on ids (1..254); -1 with why if one is above. */
int	membership_check_ids(const struct membership *, char *why,
	    size_t whylen);
/* 1 participant, 0 observer, -1 not a member. */
int	membership_role(const struct membership *, uint32_t sid);
/* 1 if a and b list the same servers with the same specs. */
int	membership_same(const struct membership *, const struct membership *);
/*
 * reconfig's arithmetic: an incremental change (joining "server.N=spec"
 * list, leaving id list, both comma separated, either may be NULL) or a
 * whole new member list. Returns 0 with next filled, or -1 with why (the
 * request is a BadArguments). standalone_enabled: 2 voters at least.
 */
int	membership_reconfig(const struct membership *cur, const char *joining,
	    const char *leaving, const char *members, int standalone_enabled,
	    struct membership *next, char *why, size_t whylen);
/* dataDir/membership: 0 loaded, 1 absent, -1 unreadable (why). */
int	membership_load(struct membership *, const char *data_dir,
	    char *why, size_t whylen);
/* Durably replace dataDir/membership (write, fsync, rename). -1: errno. */
int	membership_save(const struct membership *, const char *data_dir);

#endif
