/*
 * Typed messages over ZeroMQ: frame 1 is a nanopb Envelope, frame 2 an
 * optional raw payload. The only place that includes generated nanopb
 * headers.
 */
#ifndef CORRAL_COMMON_MSG_H
#define CORRAL_COMMON_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "common/cmd.h"
#include "envelope.pb.h"

#define MSG_IDENT_MAX	256

/* A received message; payload points into the zmq frame until msg_close. */
struct msg {
	uint8_t		 ident[MSG_IDENT_MAX];	/* ROUTER peer identity */
	size_t		 ident_len;
	Envelope	 env;
	zmq_msg_t	 frame;
	int		 has_payload;
	const uint8_t	*payload;
	size_t		 len;
};

/*
 * Send env (+ payload when payload != NULL) on sock. ident/ident_len route
 * through a ROUTER (NULL otherwise). Non-blocking: returns 0, or -1 with
 * errno (EAGAIN at the high-water mark, EHOSTUNREACH for a gone peer).
 */
int	msg_send(void *sock, const uint8_t *ident, size_t ident_len,
	    const Envelope *env, const void *payload, size_t len);
/* The framing under msg_send for any encoded header (peer messages). */
int	msg_send_frames(void *sock, const uint8_t *ident, size_t ident_len,
	    const void *hdr, size_t hlen, const void *payload, size_t len);
/*
 * Receive one message without blocking. router: expect an identity frame.
 * Returns 0, or -1 with errno EAGAIN when none is pending. A message that
 * does not decode is our own bug (only our processes talk here): fatalx.
 */
int	msg_recv(void *sock, int router, struct msg *);
void	msg_close(struct msg *);
/*
 * The framing under msg_recv, for other headers (peer messages): the
 * ROUTER identity when router, then the header frame into hdr (caller
 * closes it); -1 with errno EAGAIN when nothing is pending.
 */
int	msg_recv_header(void *sock, int router, uint8_t *ident,
	    size_t *ident_len, size_t ident_cap, zmq_msg_t *hdr);
/* The optional payload frame (1 if there was one; caller closes frame). */
int	msg_recv_payload(void *sock, zmq_msg_t *frame);
/* Drop the rest of a multipart message (after a header we refuse). */
void	msg_discard_rest(void *sock);
const char *msg_type_name(int type);
/* An empty envelope of the given type. */
Envelope msg_env(MsgType type);
/* The envelope of a batch message: its last zxid, first prev_zxid, count. */
Envelope msg_batch_env(MsgType type, const struct cmd_batch *);
/*
 * cmd_batch_next over a received batch message; every command but the
 * last counts as one more message for the loop's coalescing (msg_recv
 * counted the message itself).
 */
int	msg_batch_next(const uint8_t **p, const uint8_t *end,
	    const uint8_t **val, size_t *vlen);

#endif
