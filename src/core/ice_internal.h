/* Shared internals of the ICE agents (ice_common.c): credentials, output and
 * event queues, randomness, and the STUN server side both agents run. */
#ifndef RTCGATE_ICE_INTERNAL_H
#define RTCGATE_ICE_INTERNAL_H

#include "rtcgate/ice.h"
#include "rtcgate/stun.h"

int rg_ice__common_init(struct rg_ice_common *c, const struct rg_ice_credentials *cr, bool silent_auth,
                        bool seeded, uint64_t seed);
void rg_ice__common_cleanup(struct rg_ice_common *c);

/* Random bytes from the seeded generator or RAND_bytes. */
int rg_ice__random(struct rg_ice_common *c, void *out, size_t n);

/* Output queue: take a slot, fill it, commit it. NULL (counted) when full. */
struct rg_ice_datagram *rg_ice__tx_slot(struct rg_ice_common *c);
void rg_ice__tx_commit(struct rg_ice_common *c, const struct rg_addr *dest, size_t len);
void rg_ice__event(struct rg_ice_common *c, uint8_t type, const struct rg_addr *addr);
int rg_ice__poll(struct rg_ice_common *c, struct rg_ice_output *out, uint8_t *buf, size_t cap);

/* Parses a datagram and applies the checks every ICE message must pass
 * (framing, FINGERPRINT, Binding method). Counts and returns the drop reason. */
int rg_ice__parse(struct rg_ice_common *c, struct rg_stun_msg *m, const uint8_t *data, size_t len);

/* What the STUN server side learned about an authenticated request. */
enum rg_ice_role { RG_ICE_ROLE_CONTROLLED = 0, RG_ICE_ROLE_CONTROLLING = 1 };

/* Answers a Binding request (RFC 8489 §9.1.3, RFC 8445 §7.3): 400/401 for
 * missing or failed authentication (or a counted drop when silent), 420 for
 * unknown comprehension-required attributes, 487 for a role conflict we win
 * (controlling role only), else a success response. RG_OK only for success. */
int rg_ice__answer_request(struct rg_ice_common *c, const struct rg_stun_msg *m, const struct rg_addr *from,
                           enum rg_ice_role role, uint64_t tie_breaker);

#endif
