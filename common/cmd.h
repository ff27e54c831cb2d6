/*
 * Commands as they travel and as they are logged. A command's value is
 * [u32 LE header length][nanopb Command][payload]; the store logs values
 * verbatim, and a replica forwards them without encoding them again. A
 * batch is a run of [u32 LE value length][value] records: one message per
 * hop and loop turn carries every command of that turn.
 *
 * Batches arrive from other processes and nodes: every reader here checks
 * lengths and returns -1 on anything malformed, never trusting a length.
 */
#ifndef CORRAL_COMMON_CMD_H
#define CORRAL_COMMON_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb.h"

/* A decoded command; payload points into the value it came from. */
struct cmd {
	Command		 h;
	const uint8_t	*payload;
	size_t		 len;
};

/* What a replica needs of a command to order and track it. */
struct cmd_key {
	uint64_t	 zxid;
	uint64_t	 prev_zxid;
	uint64_t	 session;
	int32_t		 opcode;
	int64_t		 arg;
};

/* Decode a value; -1 if malformed. */
int	cmd_decode(const uint8_t *val, size_t vlen, struct cmd *);
/* Only the key fields, skipping the rest; -1 if malformed. */
int	cmd_peek(const uint8_t *val, size_t vlen, struct cmd_key *);
/* Encode one value, [u32 LE header length][h][payload]; caller frees. */
uint8_t	*cmd_encode(const Command *h, const void *payload, size_t len,
	    size_t *vlen);

/* A batch being built. */
struct cmd_batch {
	uint8_t		*buf;
	size_t		 len, cap;
	size_t		 n;		/* records */
	uint64_t	 first_prev;	/* prev_zxid of the first record */
	uint64_t	 last_zxid;	/* zxid of the last record */
};

/* Encode h and payload as one more record. */
void	cmd_batch_add(struct cmd_batch *, const Command *h,
	    const void *payload, size_t len);
/* Add an encoded value as it is (zxid and prev_zxid for the bounds). */
void	cmd_batch_add_value(struct cmd_batch *, const uint8_t *val,
	    size_t vlen, uint64_t zxid, uint64_t prev_zxid);
/* Empty it for reuse (keeps the buffer). */
void	cmd_batch_clear(struct cmd_batch *);
void	cmd_batch_free(struct cmd_batch *);

/*
 * The next record of a received batch: *p advances past it. Returns 1 and
 * the value, 0 at the end, -1 if the batch is malformed.
 */
int	cmd_batch_next(const uint8_t **p, const uint8_t *end,
	    const uint8_t **val, size_t *vlen);

#endif
