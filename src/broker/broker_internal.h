/* Private state of the media broker, shared by its files:
 *   broker.c        life cycle, worker thread, control messages (public API)
 *   broker_call.c   calls and legs: create, look up (ufrag, address), free
 *   broker_sdp.c    reading a client's SDP and writing the broker's own
 *   broker_relay.c  the worker's datagram path, transport outputs, timers
 *   broker_stats.c  per-call stats and broker metrics
 * Everything below is touched by the worker thread only, except the message
 * slot (mu, cv, pending) and the fields set before the thread starts.
 */
#ifndef RTCGATE_BROKER_INTERNAL_H
#define RTCGATE_BROKER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/broker.h"
#include "io/io_loop.h"
#include "io/io_udp.h"
#include "rtcgate/demux.h"
#include "rtcgate/fingerprint.h"
#include "rtcgate/sdp.h"
#include "rtcgate/transport.h"

#define RG_BROKER_UFRAG_LEN 8  /* 48 random bits: unique enough to route on, RFC 8839 asks >= 24 */
#define RG_BROKER_PWD_LEN 24   /* 144 random bits, RFC 8839 asks >= 128 */
#define RG_BROKER_LEG_ADDRS (RG_TRANSPORT_MAX_VALIDATED + 1) /* validated + nominated */
#define RG_BROKER_MAX_CALLS_DEFAULT 1024u
#define RG_BROKER_MAX_CALLS_LIMIT 65536u
#define RG_BROKER_TIMERS_PER_LEG 2
#define RG_BROKER_DRAIN_MAX 64      /* outputs taken from one transport per drain */
#define RG_BROKER_POLL_BUF 2048     /* largest control datagram (DTLS MTU <= 1500, STUN <= 640) */
#define RG_BROKER_MAX_RTCP_SENDERS 2
/* DTLS waits behind media (broker_defer.c): a handshake step costs a
 * signature or a key exchange (~0.1-1 ms), a relayed packet ~5 us, so a
 * burst of new calls must not delay the packets of established ones. */
#define RG_BROKER_DEFER_SLOTS 512        /* DTLS datagrams waiting; more are dropped (peers resend) */
#define RG_BROKER_DEFER_PER_LEG 8        /* of them from one leg: one peer cannot crowd out the others */
#define RG_BROKER_DEFER_BUDGET_US 1000   /* DTLS work per turn once the socket is drained */
#define RG_BROKER_DEFER_MAX_WAIT_US 200000 /* older than this: served even while media keeps coming, */
#define RG_BROKER_DEFER_FORCED_GAP_US 10000 /* one such datagram per 10 ms at most */

/* What the broker takes from a client's SDP for that client's leg. Strings
 * point into the parsed SDP, which outlives the use. */
struct rg_broker_remote {
  const char *ufrag, *pwd;
  size_t n_fps;
  struct rg_fingerprint fps[RG_DTLS_MAX_FINGERPRINTS];
  int setup; /* enum rg_sdp_setup */
  size_t n_ssrcs;
  struct rg_ssrc_entry ssrcs[RG_TRANSPORT_MAX_SSRCS];
  size_t n_rtcp_senders;
  uint32_t rtcp_senders[RG_BROKER_MAX_RTCP_SENDERS];
  unsigned kinds; /* bit 0 audio, bit 1 video (active sections) */
  size_t n_media;
};

struct rg_broker_leg;

/* One entry of the address -> leg table, embedded in its leg (no allocation). */
struct rg_broker_addr_node {
  struct rg_broker_addr_node *next;
  struct rg_broker_leg *leg;
  struct rg_addr addr;
  bool used;
};

struct rg_broker_call;

/* Field order is for the relay: what a relayed packet reads and counts on
 * both legs (call, transport, side, secured, the packet counters) shares the
 * first cache line; set-up state and texts follow. */
struct rg_broker_leg {
  struct rg_broker_call *call;
  struct rg_transport *t; /* NULL until the leg's SDP is known (callee: at the answer) */
  int side; /* enum rg_leg_side */
  bool secured, failed, closing, ice_connected, consent_lost, fp_verified;
  uint64_t packets_in, bytes_in, packets_out, bytes_out;
  uint64_t id; /* unique for the broker's life: a queued datagram finds its own leg, not a successor */
  uint32_t deferred; /* DTLS datagrams of this leg in the queue */
  uint8_t next_addr;
  struct rg_broker_addr_node addrs[RG_BROKER_LEG_ADDRS];
  char ufrag[RG_BROKER_UFRAG_LEN + 1];
  char pwd[RG_BROKER_PWD_LEN + 1];
  struct rg_broker_leg *ufrag_next;
  struct rg_timer t_timer;     /* the transport's next timeout */
  struct rg_timer setup_timer; /* secured in time, or media_failed */
  char dtls_version[16];
  char dtls_cipher[64];
  char srtp_profile[32];
};

struct rg_broker_call {
  struct rg_broker_call *next;
  struct rg_broker *b;
  char id[RG_CALL_ID_MAX + 1];
  size_t n_media; /* m-sections of the caller's offer; the answer must match */
  struct rg_broker_leg legs[2];
};

enum rg_broker_msg_type {
  RG_BROKER_MSG_OFFER = 1,
  RG_BROKER_MSG_ANSWER,
  RG_BROKER_MSG_HANGUP,
  RG_BROKER_MSG_STATS,
  RG_BROKER_MSG_METRICS,
  RG_BROKER_MSG_STOP,
};

/* A control request: lives on the caller's stack until the worker marks it done. */
struct rg_broker_msg {
  int type;
  const char *call_id;
  const char *sdp;
  size_t len;
  char **out_sdp;
  unsigned *media_kinds;
  char *err;
  size_t err_cap;
  struct rg_broker_leg_stats *legs;
  struct rg_broker_metrics *metrics;
  int result;
  bool done;
};

/* Counters that outlive legs (freed legs' drops are folded in here). */
struct rg_broker_totals {
  uint64_t packets_relayed, bytes_relayed;
  uint64_t drops[RG_SSRC_VERDICT_COUNT];
  uint64_t relay_not_ready; /* media for a leg whose peer leg is not secured */
  uint64_t unrouted;        /* datagrams no leg claimed */
  uint64_t tx_errors;
  uint64_t dtls_ok, dtls_fail_fingerprint, dtls_fail_timeout, dtls_fail_other;
  uint64_t dtls_deferred, dtls_defer_dropped; /* DTLS datagrams queued behind media; refused when full */
};

struct rg_broker_deferred {
  uint64_t queued_us;
  uint64_t leg_id; /* the leg that owned the source address when it arrived */
  struct rg_addr from;
  size_t len;
  uint8_t data[RG_UDP_SLOT];
};

/* FIFO of DTLS datagrams, allocated once at creation. */
struct rg_broker_defer_ring {
  uint32_t head, n;
  struct rg_broker_deferred slot[RG_BROKER_DEFER_SLOTS];
};

struct rg_broker {
  struct rg_broker_config cfg;
  char media_ip[64];
  rg_broker_event_fn fn;
  void *fn_arg;
  struct rg_dtls_ctx *dtls_ctx;
  struct rg_fingerprint fp;
  char fp_text[RG_FINGERPRINT_STRLEN];
  uint64_t hash_seed;

  int fd, wakefd;
  struct rg_addr bound;
  struct rg_loop *loop;
  struct rg_loop_watch sock_watch, wake_watch;
  pthread_t thread;
  bool running;
  bool stop; /* set by rg_broker_stop, or by the worker itself when its loop dies (under the mutex; see broker.c) */

  pthread_mutex_t call_mu; /* serializes control callers */
  pthread_mutex_t mu;      /* guards pending / done */
  pthread_cond_t cv;
  struct rg_broker_msg *pending;

  struct rg_broker_call *calls;
  uint32_t n_calls, max_calls;
  struct rg_broker_leg **ufrag_buckets;
  uint32_t ufrag_mask;
  struct rg_broker_addr_node **addr_buckets;
  uint32_t addr_mask;

  struct rg_udp_rx_batch *rx;
  struct rg_udp_tx_batch tx;
  struct rg_broker_defer_ring *defer;
  bool sock_drained; /* the last look at the socket found it empty */
  uint64_t sock_turns; /* socket callbacks so far: a loop turn without one found the socket idle */
  uint64_t next_leg_id;
  uint64_t defer_forced_us; /* when a DTLS datagram last went ahead of waiting media */
  uint8_t poll_buf[RG_BROKER_POLL_BUF];
  struct rg_broker_totals tot;
};

/* broker_defer.c */
/* Queues leg's DTLS datagram behind media (false: the queue, or the leg's
 * share of it, is full; counted). */
bool rg_broker_defer_(struct rg_broker *b, struct rg_broker_leg *leg, const struct rg_udp_rx *p, uint64_t now_us);
bool rg_broker_defer_pending_(const struct rg_broker *b);
/* Runs queued DTLS datagrams: for up to RG_BROKER_DEFER_BUDGET_US once the
 * socket is drained, else only one that waited too long. */
void rg_broker_run_deferred_(struct rg_broker *b);

/* broker_call.c */
int rg_broker_call_create_(struct rg_broker *b, const char *call_id, struct rg_broker_call **out);
struct rg_broker_call *rg_broker_call_find_(struct rg_broker *b, const char *call_id);
/* Closes both transports (close_notify out), frees the legs, unlinks the call. No events. */
void rg_broker_call_end_(struct rg_broker *b, struct rg_broker_call *c, uint64_t now_us);
struct rg_broker_leg *rg_broker_leg_by_ufrag_(const struct rg_broker *b, const char *ufrag, size_t len);
struct rg_broker_leg *rg_broker_leg_by_addr_(const struct rg_broker *b, const struct rg_addr *a);
/* The bucket an address hashes to (the relay prefetches it). */
struct rg_broker_addr_node *const *rg_broker_addr_bucket_(const struct rg_broker *b, const struct rg_addr *a);
void rg_broker_leg_add_addr_(struct rg_broker *b, struct rg_broker_leg *leg, const struct rg_addr *a);
int rg_broker_leg_start_(struct rg_broker *b, struct rg_broker_leg *leg, const struct rg_broker_remote *r,
                         int dtls_role, uint64_t now_us);

/* broker_sdp.c */
int rg_broker_sdp_read_(const char *text, size_t len, bool answer, struct rg_sdp **out, struct rg_broker_remote *r,
                        char *err, size_t err_cap);
int rg_broker_sdp_rewrite_(struct rg_broker *b, struct rg_sdp *s, const struct rg_broker_leg *leg, int setup,
                           char **out);

/* broker_relay.c */
void rg_broker_on_socket_(void *arg, uint32_t events);
/* Hands a routed datagram of kind to leg's transport: relays media, drains
 * the leg's outputs after anything else. */
void rg_broker_leg_datagram_(struct rg_broker *b, struct rg_broker_leg *leg, struct rg_udp_rx *p,
                             enum rg_demux_kind kind, uint64_t now_us);
void rg_broker_drain_leg_(struct rg_broker *b, struct rg_broker_leg *leg, uint64_t now_us);
void rg_broker_on_transport_timer_(void *arg, struct rg_timer *t, uint64_t now_us);
void rg_broker_on_setup_timer_(void *arg, struct rg_timer *t, uint64_t now_us);
void rg_broker_arm_setup_(struct rg_broker *b, struct rg_broker_leg *leg, uint64_t now_us);

/* broker_stats.c */
void rg_broker_fill_leg_stats_(const struct rg_broker_leg *leg, struct rg_broker_leg_stats *out);
void rg_broker_fill_metrics_(const struct rg_broker *b, struct rg_broker_metrics *m);
void rg_broker_fold_leg_(struct rg_broker *b, const struct rg_broker_leg *leg);

#endif
