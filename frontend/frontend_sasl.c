/*
 * SASL (opcode 102: GetSASLRequest in, SetSASLResponse out) as ZooKeeper's
 * processSasl runs it, with Cyrus SASL doing DIGEST-MD5 as the JVM's
 * SaslServer does for ZooKeeper: service "zookeeper", server name (and
 * realm) "zk-sasl-md5", passwords from the user_NAME="password" options
 * of the JAAS file's Server section. A completed exchange adds sasl:<user>
 * (and super:"" for superUser); a failed one answers AUTHFAILED and
 * closes the connection.
 *
 * Cyrus keeps process-wide state (sasl_server_init, plugins), and its
 * auxprop plugin API passes no argument to the plugin's init: the
 * password table is therefore the one file-level variable here, filled
 * once and read-only afterwards. Passwords live in memory only: no
 * sasldb file, no /etc/sasl2 config (the getopt callback answers).
 */
#include "frontend/frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "common/child.h"
#include "common/jaas.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define ZAUTHFAILED	(-115)
#define ZK_SASL_SERVICE	"zookeeper"
#define ZK_SASL_HOST	"zk-sasl-md5"	/* SecurityUtils: DIGEST-MD5 name */
#define ZK_SASL_PLUGIN	"corral"

struct sasl_user {
	char	*name, *password;
};

/* Cyrus state is per process; see the top of the file. */
static struct {
	int			 state;	/* 0 untried, 1 ready, -1 failed */
	struct sasl_user	*users;
	size_t			 nusers;
} sasl_db;

static void
add_user(void *arg, const char *user, const char *password)
{
	(void)arg;
	sasl_db.users = xreallocarray(sasl_db.users, sasl_db.nusers + 1,
	    sizeof(*sasl_db.users));
	sasl_db.users[sasl_db.nusers].name = xstrdup(user);
	sasl_db.users[sasl_db.nusers].password = xstrdup(password);
	sasl_db.nusers++;
}

/* "bob" or "bob@realm": the entry of bob. */
static const struct sasl_user *
find_user(const char *user, unsigned len)
{
	const char *at = memchr(user, '@', len);
	size_t i, n = at != NULL ? (size_t)(at - user) : len;

	for (i = 0; i < sasl_db.nusers; i++)
		if (strlen(sasl_db.users[i].name) == n &&
		    memcmp(sasl_db.users[i].name, user, n) == 0)
			return &sasl_db.users[i];
	return NULL;
}

/* Our auxprop: the authid's userPassword from the JAAS table. */
static int
aux_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
    const char *user, unsigned ulen)
{
	const struct propval *cur;
	const struct sasl_user *u;

	(void)glob;
	if ((flags & SASL_AUXPROP_AUTHZID) || (u = find_user(user, ulen)) ==
	    NULL)
		return SASL_NOUSER;
	for (cur = sp->utils->prop_get(sp->propctx); cur && cur->name; cur++)
		if (strcmp(cur->name, SASL_AUX_PASSWORD) == 0) {
			if (cur->values != NULL) {
				if (!(flags & SASL_AUXPROP_OVERRIDE))
					continue;
				sp->utils->prop_erase(sp->propctx, cur->name);
			}
			sp->utils->prop_set(sp->propctx, cur->name,
			    u->password, (int)strlen(u->password));
		}
	return SASL_OK;
}

static sasl_auxprop_plug_t aux_plug = {
	0, 0, NULL, NULL, aux_lookup, (char *)ZK_SASL_PLUGIN, NULL
};

static int
aux_init(const sasl_utils_t *utils, int max_version, int *out_version,
    sasl_auxprop_plug_t **plug, const char *name)
{
	(void)utils;
	(void)name;
	if (max_version < SASL_AUXPROP_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_AUXPROP_PLUG_VERSION;
	*plug = &aux_plug;
	return SASL_OK;
}

/* Cyrus options, instead of a config file. */
static int
get_opt(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	(void)ctx;
	(void)plugin;
	if (strcmp(option, "auxprop_plugin") == 0)
		*result = ZK_SASL_PLUGIN;
	else if (strcmp(option, "mech_list") == 0)
		*result = "DIGEST-MD5";
	else
		return SASL_FAIL;
	if (len != NULL)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static sasl_callback_t callbacks[] = {
	{ SASL_CB_GETOPT, (int (*)(void))(void (*)(void))get_opt, NULL },
	{ SASL_CB_LIST_END, NULL, NULL }
};

/* Read the JAAS file's Server users and start Cyrus; -1 if unusable. */
static int
exchange_setup(const struct config *cfg)
{
	FILE *fp;
	char *text = NULL;
	size_t len = 0;
	int n;

	if (sasl_db.state != 0)
		return sasl_db.state > 0 ? 0 : -1;
	sasl_db.state = -1;
	if (cfg->jaas_config[0] == '\0') {
		log_warnx("SASL: no java.security.auth.login.config file");
		return -1;
	}
	if ((fp = fopen(cfg->jaas_config, "r")) == NULL) {
		log_warn("SASL: %s", cfg->jaas_config);
		return -1;
	}
	text = xmalloc(1 << 20);
	len = fread(text, 1, 1 << 20, fp);
	fclose(fp);
	n = jaas_users(text, len, "Server", add_user, NULL);
	free(text);
	if (n < 0) {
		log_warnx("SASL: %s: no valid Server section", cfg->jaas_config);
		return -1;
	}
	if (sasl_server_init(callbacks, "corral") != SASL_OK ||
	    sasl_auxprop_add_plugin(ZK_SASL_PLUGIN, aux_init) != SASL_OK) {
		log_warnx("SASL: Cyrus SASL init failed");
		return -1;
	}
	log_info("SASL: %d user(s) from %s", n, cfg->jaas_config);
	sasl_db.state = 1;
	return 0;
}

static void
reply(struct frontend *f, struct conn *c, int32_t xid, int32_t err,
    const char *tok, unsigned len)
{
	struct jute_writer w;

	jute_writer_init(&w);
	jute_put_bytes(&w, tok, tok != NULL ? (int32_t)len : -1);
	frontend_conn_reply(f, c, xid, 0, err, &w);
	jute_writer_free(&w);
}

/* The exchange is over: sasl:<user>, and super for superUser. */
static int
exchange_done(struct frontend *f, struct conn *c)
{
	const void *v = NULL;
	const char *user, *at;
	size_t n;

	if (sasl_getprop(c->sasl, SASL_USERNAME, &v) != SASL_OK || v == NULL)
		return -1;
	user = v;
	n = strlen(user);
	if ((at = strchr(user, '@')) != NULL && strcmp(at + 1, ZK_SASL_HOST) == 0)
		n = (size_t)(at - user);
	if (frontend_auth_add(f, c, "sasl", user, n) < 0)
		return -1;
	if (f->c->cfg.sasl_super_user[0] != '\0' &&
	    strlen(f->c->cfg.sasl_super_user) == n &&
	    memcmp(f->c->cfg.sasl_super_user, user, n) == 0)
		return frontend_auth_add(f, c, "super", "", 0);
	return 0;
}

/* One step of the exchange; SASL_OK, SASL_CONTINUE or an error. */
static int
exchange_step(struct conn *c, const struct jute_bytes *in, const char **out,
    unsigned *outlen)
{
	const char *tok = in->len > 0 ? (const char *)in->p : NULL;
	unsigned tlen = in->len > 0 ? (unsigned)in->len : 0;

	if (c->sasl == NULL) {
		sasl_conn_t *sc = NULL;

		/* rspauth comes with SASL_OK, as the JVM's server sends it:
		 * the client sends nothing after it */
		if (sasl_server_new(ZK_SASL_SERVICE, ZK_SASL_HOST, NULL, NULL, NULL,
		    NULL, SASL_SUCCESS_DATA, &sc) != SASL_OK)
			return SASL_FAIL;
		c->sasl = sc;
		return sasl_server_start(sc, "DIGEST-MD5", tok, tlen, out,
		    outlen);
	}
	return sasl_server_step(c->sasl, tok, tlen, out, outlen);
}

void
frontend_sasl_packet(struct frontend *f, struct conn *c, int32_t xid,
    const uint8_t *p, size_t n)
{
	struct jute_reader rd;
	struct jute_bytes in;
	const char *out = NULL;
	unsigned outlen = 0;
	int rc;

	jute_reader_init(&rd, p, n);
	if (jute_get_bytes(&rd, &in) < 0) {
		frontend_conn_close(f, c, "malformed SASL request");
		return;
	}
	rc = SASL_FAIL;
	if (f->c->cfg.sasl_provider && exchange_setup(&f->c->cfg) == 0)
		rc = exchange_step(c, &in, &out, &outlen);
	if (rc == SASL_OK && exchange_done(f, c) < 0)
		rc = SASL_FAIL;
	if (rc == SASL_OK || rc == SASL_CONTINUE) {
		reply(f, c, xid, 0, out, outlen);
		if (rc == SASL_OK)
			frontend_sasl_conn_gone(c);
		return;
	}
	log_info("client=%s: SASL authentication failed: %s", c->peer,
	    c->sasl != NULL ? sasl_errdetail(c->sasl) : sasl_errstring(rc,
	    NULL, NULL));
	reply(f, c, xid, ZAUTHFAILED, NULL, 0);
	frontend_sasl_conn_gone(c);
	frontend_conn_close_after_flush(f, c);
}

void
frontend_sasl_conn_gone(struct conn *c)
{
	sasl_conn_t *sc = c->sasl;

	if (sc != NULL)
		sasl_dispose(&sc);
	c->sasl = NULL;
}
