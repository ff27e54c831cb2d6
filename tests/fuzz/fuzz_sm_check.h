/*
 * Invariant checks on a state machine, shared by fuzz_sm and fuzz_sm_load.
 * They look inside (common/sm_int.h): a broken invariant aborts, which the
 * fuzzer reports as a finding.
 */
#ifndef CORRAL_TESTS_FUZZ_SM_CHECK_H
#define CORRAL_TESTS_FUZZ_SM_CHECK_H

#include "common/jute.h"
#include "common/sm.h"

/* Hash, parent/child links, counts, ephemeral lists, ACL refs, data size. */
void	check_sm(const struct sm *);
/* Every node (sorted by path, with its child count) and session, encoded. */
void	state_encode(const struct sm *, struct jute_writer *);
/* sm must survive encode -> load -> sm_load_finish unchanged. */
void	check_reload(const struct sm *);

#endif
