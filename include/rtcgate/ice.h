/* rtcgate — ICE agents (RFC 8445) with consent freshness (RFC 7675), sans-IO.
 *
 * Two agents share one shape (see docs/ice.md):
 *   - rg_ice_lite: the media broker's ICE-lite agent (RFC 8445 §2.5). It only
 *     answers connectivity checks, learns the peer's address from nominated
 *     checks and watches consent.
 *   - rg_ice_agent: the native client's controlling full agent toward an
 *     ICE-lite peer, host candidates only, aggressive nomination.
 *
 * Feed datagrams with handle_stun(now) and the clock with handle_timeout(now);
 * drain poll() until RG_ICE_OUT_NONE; sleep until next_timeout(). Times are
 * microseconds on the caller's clock. Nothing here opens sockets or reads a
 * clock. After "consent lost" or "failed" an agent is inert: input returns
 * RG_ERR_CLOSED and is counted, nothing more comes out.
 *
 * Storage is the caller's (_init/_cleanup); fields below are private.
 */
#ifndef RTCGATE_ICE_H
#define RTCGATE_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/addr.h"
#include "rtcgate/stun.h"

#define RG_ICE_MAX_UFRAG 256              /* RFC 8445 §5.3 */
#define RG_ICE_MAX_PWD 256
#define RG_ICE_MAX_REMOTE_CANDIDATES 8
#define RG_ICE_MAX_DATAGRAM 640           /* largest request: 513-byte USERNAME */
#define RG_ICE_OUT_QUEUE 4                /* queued datagrams per agent (poll drains) */
#define RG_ICE_EVENT_QUEUE 8
#define RG_ICE_TA_US 50000ull             /* pacing of new checks (RFC 8445 §14.2) */
#define RG_ICE_RTO_US 500000ull           /* initial RTO (RFC 8489 §6.2.1) */
#define RG_ICE_RC 7                       /* transmissions per check (Rc) */
#define RG_ICE_RM 16                      /* last wait, in initial RTOs (Rm) */
#define RG_ICE_CONSENT_SENDS 3            /* transmissions per consent check: 0, 0.5, 1.5 s */
#define RG_ICE_CONSENT_MIN_US 4000000ull  /* RFC 7675 §5.1: 5 s * [0.8, 1.2] */
#define RG_ICE_CONSENT_MAX_US 6000000ull
#define RG_ICE_CONSENT_TIMEOUT_US 30000000ull /* RFC 7675 §5.1 */
#define RG_ICE_CONSENT_TIMEOUT_MIN_US 100000ull   /* configurable range (tests shorten it) */
#define RG_ICE_CONSENT_TIMEOUT_MAX_US 600000000ull
#define RG_ICE_MAX_TRANSACTIONS (RG_ICE_MAX_REMOTE_CANDIDATES + 4)
#define RG_ICE_NO_TIMEOUT UINT64_MAX

/* Credentials from the two SDPs (a=ice-ufrag, a=ice-pwd), as (ptr, len). */
struct rg_ice_credentials {
  const char *local_ufrag;
  size_t local_ufrag_len;
  const char *local_pwd;
  size_t local_pwd_len;
  const char *remote_ufrag;
  size_t remote_ufrag_len;
  const char *remote_pwd;
  size_t remote_pwd_len;
};

enum rg_ice_event_type {
  RG_ICE_EVENT_SELECTED = 1,     /* lite: first nominated check; addr = peer */
  RG_ICE_EVENT_ADDRESS_CHANGED,  /* lite: a later nominated check from addr */
  RG_ICE_EVENT_CONNECTED,        /* agent: nominated pair works; addr = remote */
  RG_ICE_EVENT_CONSENT_LOST,     /* both: 30 s (configured) without consent; inert */
  RG_ICE_EVENT_FAILED,           /* agent: every check failed; agent inert */
};

enum rg_ice_output_kind { RG_ICE_OUT_NONE = 0, RG_ICE_OUT_DATAGRAM, RG_ICE_OUT_EVENT };

struct rg_ice_output {
  uint8_t kind;   /* enum rg_ice_output_kind */
  uint8_t event;  /* enum rg_ice_event_type, for RG_ICE_OUT_EVENT */
  struct rg_addr addr; /* datagram destination, or the event's address */
  size_t len;     /* datagram length, written to the poll buffer */
};

/* Drops and answers by reason. Every input is counted exactly once. */
struct rg_ice_stats {
  uint64_t rx_malformed;          /* not parseable as STUN */
  uint64_t rx_no_fingerprint;     /* ICE requires FINGERPRINT (RFC 8445 §7.1) */
  uint64_t rx_bad_fingerprint;
  uint64_t rx_unsupported_method; /* not Binding */
  uint64_t rx_missing_auth;       /* no USERNAME or integrity: 400 */
  uint64_t rx_bad_username;       /* 401 */
  uint64_t rx_bad_integrity;      /* 401 for requests, drop for responses */
  uint64_t rx_unknown_attrs;      /* 420 for requests, drop for responses */
  uint64_t rx_indications;        /* Binding indications: keepalives, ignored */
  uint64_t rx_unexpected_response;/* lite: it sends no requests */
  uint64_t rx_unknown_transaction;
  uint64_t rx_bad_source;         /* response not from the check's destination */
  uint64_t rx_error_responses;
  uint64_t rx_after_close;
  uint64_t role_conflicts;
  uint64_t checks_answered;       /* success responses sent */
  uint64_t errors_sent;
  uint64_t requests_sent;         /* first transmissions */
  uint64_t retransmissions;
  uint64_t responses_accepted;
  uint64_t tx_queue_full;         /* outputs lost because poll() lagged */
  uint64_t events_dropped;
};

/* ---- private parts shared by both agents ---- */
struct rg_ice_datagram {
  struct rg_addr dest;
  uint16_t len;
  uint8_t data[RG_ICE_MAX_DATAGRAM];
};
struct rg_ice_common {
  uint8_t local_ufrag[RG_ICE_MAX_UFRAG], remote_ufrag[RG_ICE_MAX_UFRAG];
  uint8_t local_pwd[RG_ICE_MAX_PWD], remote_pwd[RG_ICE_MAX_PWD];
  uint16_t local_ufrag_len, remote_ufrag_len, local_pwd_len, remote_pwd_len;
  bool closed;
  bool silent_auth_failures;
  bool seeded;
  uint64_t rng;
  struct rg_ice_datagram out[RG_ICE_OUT_QUEUE];
  uint8_t out_head, out_count;
  struct rg_ice_output events[RG_ICE_EVENT_QUEUE];
  uint8_t ev_head, ev_count;
  struct rg_ice_stats stats;
};

/* ---- ICE-lite agent (media broker) ---- */

struct rg_ice_lite_config {
  struct rg_ice_credentials creds;
  /* RFC 8489 §9.1.3 answers missing or failed authentication with 400/401
   * (the default). true: drop those silently, counted, instead. */
  bool silent_auth_failures;
  /* Consent is lost this long after the last check on the selected pair;
   * 0: RG_ICE_CONSENT_TIMEOUT_US (RFC 7675's 30 s). Tests and operators
   * shorten it; it is never longer than RG_ICE_CONSENT_TIMEOUT_MAX_US. */
  uint64_t consent_timeout_us;
};

struct rg_ice_lite {
  struct rg_ice_common c;
  bool selected;
  struct rg_addr peer;
  bool consent_armed;
  uint64_t last_consent_us;
  uint64_t consent_timeout_us;
};

int rg_ice_lite_init(struct rg_ice_lite *a, const struct rg_ice_lite_config *cfg);
void rg_ice_lite_cleanup(struct rg_ice_lite *a);
/* 0 when the datagram was a valid check that got a success response (or a
 * keepalive indication); otherwise the reason it was refused or dropped
 * (an error response may still have been queued). */
int rg_ice_lite_handle_stun(struct rg_ice_lite *a, uint64_t now_us, const struct rg_addr *from, const uint8_t *data,
                            size_t len);
int rg_ice_lite_handle_timeout(struct rg_ice_lite *a, uint64_t now_us);
uint64_t rg_ice_lite_next_timeout(const struct rg_ice_lite *a);
/* Writes the next output; a datagram goes to buf (RG_ERR_BUFFER if cap is too
 * small: the datagram stays queued). out->kind RG_ICE_OUT_NONE when drained. */
int rg_ice_lite_poll(struct rg_ice_lite *a, struct rg_ice_output *out, uint8_t *buf, size_t cap);
/* The selected peer address, if any. */
bool rg_ice_lite_peer(const struct rg_ice_lite *a, struct rg_addr *peer);
const struct rg_ice_stats *rg_ice_lite_stats(const struct rg_ice_lite *a);

/* ---- controlling agent (native client) ---- */

struct rg_ice_candidate {
  struct rg_addr addr;
  uint32_t priority;
};

struct rg_ice_agent_config {
  struct rg_ice_credentials creds;
  const struct rg_ice_candidate *remote; /* 1..RG_ICE_MAX_REMOTE_CANDIDATES */
  size_t n_remote;
  uint64_t tie_breaker;
  /* PRIORITY sent in checks; 0 gives the RFC 8445 §5.1.2.1 value of a
   * peer-reflexive candidate of component 1 with the highest local pref. */
  uint32_t priority;
  /* Deterministic transaction IDs and consent jitter (tests); otherwise
   * OpenSSL RAND_bytes. */
  bool seeded;
  uint64_t seed;
  bool silent_auth_failures;
  /* Consent timeout, 0: RG_ICE_CONSENT_TIMEOUT_US. The consent check
   * interval keeps RFC 7675's ratio: timeout / 6 * [0.8, 1.2] (4-6 s at 30 s). */
  uint64_t consent_timeout_us;
};

struct rg_ice_txn {
  bool active;
  bool consent;
  uint8_t cand;
  uint8_t sends;
  uint8_t tid[RG_STUN_TID_LEN];
  uint64_t next_us;
  uint64_t rto_us;
};

enum rg_ice_agent_state { RG_ICE_CHECKING = 0, RG_ICE_CONNECTED, RG_ICE_DONE };

struct rg_ice_agent {
  struct rg_ice_common c;
  struct rg_ice_candidate remote[RG_ICE_MAX_REMOTE_CANDIDATES];
  uint8_t n_remote;
  uint8_t next_cand;
  uint8_t selected;
  uint8_t state; /* enum rg_ice_agent_state */
  uint64_t tie_breaker;
  uint32_t priority;
  uint64_t next_pace_us;
  uint64_t next_consent_us;
  uint64_t last_consent_us;
  uint64_t consent_timeout_us;
  struct rg_ice_txn txn[RG_ICE_MAX_TRANSACTIONS];
};

int rg_ice_agent_init(struct rg_ice_agent *a, const struct rg_ice_agent_config *cfg, uint64_t now_us);
void rg_ice_agent_cleanup(struct rg_ice_agent *a);
int rg_ice_agent_handle_stun(struct rg_ice_agent *a, uint64_t now_us, const struct rg_addr *from,
                             const uint8_t *data, size_t len);
int rg_ice_agent_handle_timeout(struct rg_ice_agent *a, uint64_t now_us);
uint64_t rg_ice_agent_next_timeout(const struct rg_ice_agent *a);
int rg_ice_agent_poll(struct rg_ice_agent *a, struct rg_ice_output *out, uint8_t *buf, size_t cap);
/* The remote address of the nominated pair, once connected. */
bool rg_ice_agent_remote(const struct rg_ice_agent *a, struct rg_addr *remote);
const struct rg_ice_stats *rg_ice_agent_stats(const struct rg_ice_agent *a);

#endif
