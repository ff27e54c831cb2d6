/* JAAS login file: the user_NAME="password" options of one section. */
#include "common/jaas.h"

#include <ctype.h>
#include <string.h>


enum tok { T_END, T_WORD, T_STRING, T_PUNCT, T_BAD };

struct lexer {
	const char	*p, *end;
	char		 buf[1024];	/* the token, NUL-terminated */
};

/* Skip blanks and // or block comments. */
static void
skip(struct lexer *l)
{
	for (;;) {
		while (l->p < l->end && isspace((unsigned char)*l->p))
			l->p++;
		if (l->end - l->p >= 2 && l->p[0] == '/' && l->p[1] == '/') {
			while (l->p < l->end && *l->p != '\n')
				l->p++;
		} else if (l->end - l->p >= 2 && l->p[0] == '/' &&
		    l->p[1] == '*') {
			const char *e = l->p + 2;

			while (e + 1 < l->end && !(e[0] == '*' && e[1] == '/'))
				e++;
			l->p = e + 1 < l->end ? e + 2 : l->end;
		} else
			return;
	}
}

static enum tok
next(struct lexer *l)
{
	size_t n = 0;

	skip(l);
	if (l->p >= l->end)
		return T_END;
	if (strchr("{};=", *l->p) != NULL) {
		l->buf[0] = *l->p++;
		l->buf[1] = '\0';
		return T_PUNCT;
	}
	if (*l->p == '"') {
		for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
			if (*l->p == '\\' && l->p + 1 < l->end)
				l->p++;
			if (n + 1 >= sizeof(l->buf))
				return T_BAD;
			l->buf[n++] = *l->p;
		}
		if (l->p >= l->end)
			return T_BAD;
		l->p++;
		l->buf[n] = '\0';
		return T_STRING;
	}
	while (l->p < l->end && !isspace((unsigned char)*l->p) &&
	    strchr("{};=\"", *l->p) == NULL) {
		if (n + 1 >= sizeof(l->buf))
			return T_BAD;
		l->buf[n++] = *l->p++;
	}
	l->buf[n] = '\0';
	return T_WORD;
}

/* Inside a section: options until "};"; users reported if want. */
static int
section_body(struct lexer *l, int want, jaas_user_cb *cb, void *arg)
{
	enum tok t;
	char key[sizeof(l->buf)];
	int users = 0;

	while ((t = next(l)) != T_END && t != T_BAD) {
		if (t == T_PUNCT && l->buf[0] == '}')
			return next(l) == T_PUNCT && l->buf[0] == ';' ? users :
			    -1;
		if (t != T_WORD)
			continue;	/* ';' ends a module entry */
		memcpy(key, l->buf, sizeof(key));
		skip(l);
		if (l->p >= l->end || *l->p != '=')
			continue;	/* module class or flag */
		next(l);
		t = next(l);
		if (t != T_WORD && t != T_STRING)
			return -1;
		if (want && strncmp(key, "user_", 5) == 0 && key[5] != '\0') {
			cb(arg, key + 5, l->buf);
			users++;
		}
	}
	return -1;
}

int
jaas_users(const char *text, size_t len, const char *section,
    jaas_user_cb *cb, void *arg)
{
	struct lexer l = { text, text + len, { 0 } };
	enum tok t;
	int found = -1, n, want;

	while ((t = next(&l)) == T_WORD) {
		want = strcmp(l.buf, section) == 0;
		if (next(&l) != T_PUNCT || l.buf[0] != '{')
			return -1;
		if ((n = section_body(&l, want, cb, arg)) < 0)
			return -1;
		if (want)
			found = n;
	}
	return t == T_END ? found : -1;
}
