/*
 * The JAAS login file ZooKeeper reads for SASL (java.security.auth.login
 * .config): sections "Name { module flag key=value ... ; };". corral only
 * needs the user_NAME="password" options of DigestLoginModule in the
 * "Server" section. Pure: the caller reads the file.
 */
#ifndef CORRAL_COMMON_JAAS_H
#define CORRAL_COMMON_JAAS_H

#include <stddef.h>

typedef void jaas_user_cb(void *arg, const char *user, const char *password);

/*
 * Call cb for every user_NAME option of section (NUL-terminated strings,
 * valid during the call). Returns the number of users, or -1 when the
 * section is missing or the text is malformed.
 */
int	jaas_users(const char *text, size_t len, const char *section,
	    jaas_user_cb *cb, void *arg);

#endif
