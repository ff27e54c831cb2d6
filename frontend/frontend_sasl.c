/* SASL (opcode 102): placeholder until Cyrus SASL is wired in. */
#include "frontend/frontend.h"

#define ZAUTHFAILED	(-115)

void
frontend_sasl_packet(struct frontend *f, struct conn *c, int32_t xid,
    const uint8_t *p, size_t n)
{
	(void)p;
	(void)n;
	frontend_conn_reply(f, c, xid, 0, ZAUTHFAILED, NULL);
	frontend_conn_close_after_flush(f, c);
}

void
frontend_sasl_conn_gone(struct conn *c)
{
	(void)c;
}
