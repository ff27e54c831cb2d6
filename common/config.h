/*
 * zoo.cfg parsing, table driven (Postfix CONFIG_*_TABLE, bgpd lookup):
 * every key is one row {key, type, default, min, max, offset}. Every
 * error is collected as "FILE:LINE: key: message"; unknown keys are a
 * warning so a zoo.cfg written for ZooKeeper works unchanged.
 */
#ifndef CORRAL_COMMON_CONFIG_H
#define CORRAL_COMMON_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_SERVERS	64
#define CONFIG_PATH_MAX		1024
#define CONFIG_SASL_PROVIDER \
	"org.apache.zookeeper.server.auth.SASLAuthenticationProvider"

enum config_peer_type {
	CONFIG_PARTICIPANT = 0,
	CONFIG_OBSERVER = 1
};

struct config_server {
	uint32_t	id;		/* N of server.N */
	char		host[256];
	uint16_t	quorum_port;
	uint16_t	election_port;
	enum config_peer_type type;
	uint16_t	client_port;	/* after ';' in 3.5 syntax, 0 if absent */
	char		client_addr[64];	/* before the client port, "" if absent */
};

struct config {
	char		path[CONFIG_PATH_MAX];	/* the file read */
	int		tick_time;		/* ms, default 2000 */
	int		init_limit;		/* ticks, default 10 */
	int		sync_limit;		/* ticks, default 5 */
	char		data_dir[CONFIG_PATH_MAX];	/* required */
	char		data_log_dir[CONFIG_PATH_MAX];	/* default data_dir */
	uint16_t	client_port;		/* default 2181 */
	char		client_port_address[256];	/* default 0.0.0.0 */
	int		max_client_cnxns;	/* default 60, 0 = unlimited */
	int		min_session_timeout;	/* default 2 * tick_time */
	int		max_session_timeout;	/* default 20 * tick_time */
	char		four_letter_whitelist[1024];	/* default "srvr" (ZK 3.8) */
	uint16_t	metrics_port;	/* metricsProvider.httpPort, default 7000 */
	enum config_peer_type peer_type;	/* peerType */
	int		jute_maxbuffer;		/* jute.maxbuffer, default 1048575 */
	int		frontends;		/* corral.frontends, default 1 */
	int		log_retain;		/* corral.logRetain, default 100000 */
	int		snap_count;		/* snapCount, default 100000 */
	int		snap_scale_nodes;	/* corral.snapScaleNodes, 100000 */
	int		container_check_ms;	/* znode.container.checkIntervalMs */
	int		container_max_per_minute;	/* znode.container.maxPerMinute */
	int		standalone_enabled;	/* standaloneEnabled, default 1 */
	int		reconfig_enabled;	/* reconfigEnabled, default 0 */
	/* security (ZooKeeper reads these as zookeeper.* system properties) */
	char		super_digest[256];	/* "super:<digest>", "" = none */
	char		skip_acl[16];		/* skipACL, "yes" skips checks */
	int		sasl_provider;		/* authProvider.N = SASL provider */
	char		jaas_config[CONFIG_PATH_MAX];	/* JAAS file, "" = none */
	char		sasl_super_user[256];	/* superUser, "" = none */
	uint32_t	myid;			/* dataDir/myid, 0 if standalone */
	uint64_t	membership_version;	/* of servers[], 0: zoo.cfg's */
	int		nservers;
	struct config_server servers[CONFIG_MAX_SERVERS];
};

/*
 * Parse FILE into cfg (defaults first). Errors go to errf as
 * "FILE:LINE: key: message" (all of them); warnings as "FILE:LINE: key:
 * unknown key, ignored". Returns 0, or -1 when any error was found.
 * Reads dataDir/myid when server.N lines are present.
 */
int	config_load(struct config *, const char *file, FILE *errf);
/* Parse from a string (tests, fuzzing); name is used in messages. */
int	config_parse(struct config *, const char *name, const char *text,
	    size_t len, FILE *errf);
/* Print the normalized config as zoo.cfg text (parse(print(c)) == c). */
void	config_print(const struct config *, FILE *);
/* 1 when the node runs alone: as ZooKeeper, fewer than 2 participants and
 * no observer (standaloneEnabled=false forces quorum mode). */
int	config_standalone(const struct config *);
/* 1 if the four-letter word is allowed by 4lw.commands.whitelist ("*" = all). */
int	config_4lw_allowed(const struct config *, const char *word);
/* 1 if skipACL=yes: ACL checks are skipped (super for everyone). */
int	config_skip_acl(const struct config *);
/* The membership text ZooKeeper keeps in /zookeeper/config ("" alone). */
size_t	config_membership(const struct config *, char *buf, size_t len);
/*
 * Parse one server spec, host:quorumPort:electionPort[:type][;[addr:]port]
 * into sv (id untouched). NULL, or why it is bad.
 */
const char *config_server_parse(const char *spec, struct config_server *sv);
/* The role of sid among servers[0..n): 1 participant, 0 observer, -1 none. */
int	config_server_role(const struct config_server *, int n, uint32_t sid);
/* How many of servers[0..n) are participants. */
int	config_server_voters(const struct config_server *, int n);
/* This node's server entry, NULL in standalone mode. */
const struct config_server *config_self(const struct config *);

#endif
