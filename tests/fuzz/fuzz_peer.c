/*
 * Fuzz the nanopb decoders of bytes that come from other servers: the
 * Envelope (frame 1 of every ZeroMQ message, also the store's log value),
 * the ZAB PeerHeader (replicator_peer.c, quorumPort) and the election
 * notification (election_vote.c, electionPort). Input: one selector byte,
 * then the message. What decodes must re-encode and decode to the same
 * struct; a decoded notification must hold only what the decoder promises.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "election.pb.h"
#include "envelope.pb.h"
#include "peer.pb.h"
#include "election/election.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* decode(encode(m)) == m, for a message that decoded from foreign bytes. */
static void
roundtrip(const pb_msgdesc_t *fields, const void *m, size_t size,
    size_t max_size)
{
	uint8_t buf[2048], again[4096];
	pb_ostream_t os = pb_ostream_from_buffer(buf, sizeof(buf));
	pb_istream_t is;

	assert(size <= sizeof(again) && max_size <= sizeof(buf));
	assert(pb_encode(&os, fields, m));
	assert(os.bytes_written <= max_size);
	memset(again, 0, size);
	is = pb_istream_from_buffer(buf, os.bytes_written);
	assert(pb_decode(&is, fields, again));
	assert(memcmp(again, m, size) == 0);
}

static void
envelope(const uint8_t *p, size_t n)
{
	Envelope m;
	pb_istream_t is = pb_istream_from_buffer(p, n);

	memset(&m, 0, sizeof(m));
	if (!pb_decode(&is, Envelope_fields, &m))
		return;
	assert(memchr(m.text, '\0', sizeof(m.text)) != NULL);
	assert(m.auth.size <= sizeof(m.auth.bytes));
	/* a repeated field leaves the longer earlier value past the end */
	memset(m.text + strlen(m.text), 0, sizeof(m.text) - strlen(m.text));
	memset(m.auth.bytes + m.auth.size, 0, sizeof(m.auth.bytes) -
	    m.auth.size);
	roundtrip(Envelope_fields, &m, sizeof(m), Envelope_size);
}

static void
peer_header(const uint8_t *p, size_t n)
{
	PeerHeader m;
	pb_istream_t is = pb_istream_from_buffer(p, n);

	memset(&m, 0, sizeof(m));
	if (!pb_decode(&is, PeerHeader_fields, &m))
		return;
	assert(m.auth.size <= sizeof(m.auth.bytes));
	memset(m.auth.bytes + m.auth.size, 0, sizeof(m.auth.bytes) -
	    m.auth.size);
	roundtrip(PeerHeader_fields, &m, sizeof(m), PeerHeader_size);
}

/* Three voters and an observer, as tests/config/cluster.in. */
static const struct config *
ensemble(void)
{
	static struct config cfg;
	static const uint32_t ids[] = { 1, 2, 3, 9 };

	if (cfg.nservers == 0) {
		for (int i = 0; i < 4; i++) {
			cfg.servers[i].id = ids[i];
			cfg.servers[i].type = ids[i] == 9 ? CONFIG_OBSERVER :
			    CONFIG_PARTICIPANT;
		}
		cfg.nservers = 4;
		cfg.myid = 2;
	}
	return &cfg;
}

static void
notification(const uint8_t *p, size_t n)
{
	const struct config *cfg = ensemble();
	struct election_vote v, w;
	uint8_t buf[ELECTION_NOTIFICATION_MAX];
	const char *why = NULL;
	size_t len;

	if (election_vote_decode(p, n, cfg, &v, &why) == -1) {
		assert(why != NULL);
		return;
	}
	assert(v.state <= ELECTION_OBSERVING);
	/* any server id: a sender missing from cfg may be joining */
	assert(v.sid >= 1 && v.sid <= 254);
	assert(v.leader <= 254);
	len = election_vote_encode(&v, buf, sizeof(buf));
	assert(len > 0);
	assert(election_vote_decode(buf, len, cfg, &w, &why) == 0);
	assert(memcmp(&v, &w, sizeof(v)) == 0);
	/* the pure rules must not trip on a foreign vote */
	(void)election_vote_better(&v, &w, cfg);
	(void)election_quorum_reached(&v, 1, &w, cfg);
	(void)election_vote_check_leader(&v, 1, v.leader, v.election_epoch,
	    cfg->myid, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		envelope(data + 1, size - 1);
		break;
	case 1:
		peer_header(data + 1, size - 1);
		break;
	case 2:
		notification(data + 1, size - 1);
		break;
	}
	return 0;
}
