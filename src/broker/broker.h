/* rtcgate — the one interface between the gateway and the media broker.
 *
 * The gateway (HTTPS/WSS, tokens, call routing) and the broker (media legs,
 * relay) run on different threads in `rtcgate serve` and talk only through
 * the calls and events below, so that a networked control protocol between
 * a gateway and remote brokers can later carry the same messages.
 *
 * Threads: the broker owns one worker thread with its own src/io event loop,
 * UDP socket and every leg; nothing on the per-packet path takes a lock. The
 * functions here are called from the gateway's thread: each posts a message
 * to the worker and waits for its reply (control plane only; a mutex and a
 * condition variable are fine here). Events come back through the callback,
 * which runs ON THE BROKER THREAD: it must only copy the event and wake the
 * gateway (e.g. lws_cancel_service), never block or call back into the broker.
 *
 * A call has two legs: the caller's (the broker answers its offer and takes
 * a=setup:active, so it is the DTLS client) and the callee's (the broker
 * offers actpass, the callee's answer decides; browsers answer active, so the
 * broker is DTLS server). Each leg is ICE-lite on the one media port.
 */
#ifndef RTCGATE_BROKER_H
#define RTCGATE_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_CALL_ID_MAX 64 /* [A-Za-z0-9_-]{8,64} */
#define RG_BROKER_ERR_MAX 160

struct rg_broker;

struct rg_broker_config {
  const char *media_ip;       /* e.g. "127.0.0.1"; the address put in candidates and bound */
  uint16_t media_port;        /* e.g. 10000; one UDP port for every leg (0: ephemeral, see rg_broker_media_port) */
  uint32_t setup_timeout_ms;  /* a leg not secured this long after the answer: media_failed (10000) */
  uint32_t max_calls;         /* refuse new calls beyond this (limit) */
  uint64_t now_unix;          /* wall clock at start, for the DTLS certificate's validity */
  /* A secured leg whose peer sent no ICE check this long: LEG_FAILED
   * "timeout" (RFC 7675 consent). 0: 30000; else 100..600000. */
  uint32_t consent_timeout_ms;
  /* Bytes asked for the media socket's receive buffer, the queue that rides
   * out moments when the worker is not running. 0: RG_UDP_SOCKBUF (4 MB),
   * capped by net.core.rmem_max. Set: asked for as an operator's explicit
   * choice, beyond net.core.rmem_max where the process may (CAP_NET_ADMIN). */
  uint32_t receive_buffer;
};

enum rg_leg_side { RG_LEG_CALLER = 0, RG_LEG_CALLEE = 1 };

enum rg_broker_event_type {
  RG_BROKER_EV_LEG_SECURED = 1, /* DTLS up, fingerprint verified, SRTP keyed */
  RG_BROKER_EV_LEG_FAILED,      /* reason "media_failed" (mismatch, DTLS failure, setup timeout)
                                   or "timeout" (consent lost 30 s, consent_timeout_ms) */
};

struct rg_broker_event {
  int type; /* enum rg_broker_event_type */
  char call_id[RG_CALL_ID_MAX + 1];
  int side; /* enum rg_leg_side */
  char dtls_version[16];  /* "DTLS 1.2" */
  char dtls_cipher[64];   /* OpenSSL name, e.g. "ECDHE-ECDSA-AES128-GCM-SHA256" */
  char srtp_profile[32];  /* "AEAD_AES_256_GCM", "AES128_CM_HMAC_SHA1_80", ... */
  char reason[24];        /* FAILED: hangup reason for the protocol */
  char detail[RG_BROKER_ERR_MAX]; /* FAILED: human-readable cause */
};

typedef void (*rg_broker_event_fn)(void *arg, const struct rg_broker_event *ev);

/* Per-leg view for GET /v1/calls/<id>. */
struct rg_broker_leg_stats {
  bool present;
  char ice_state[16];   /* "new", "connected", "lost" */
  char dtls_state[16];  /* "new", "connecting", "connected", "failed", "closed" */
  char dtls_version[16];
  char dtls_cipher[64];
  char srtp_profile[32];
  bool fingerprint_verified;
  uint64_t packets_in, bytes_in, packets_out, bytes_out;
  uint64_t drops_unknown_ssrc, drops_auth, drops_replay, drops_malformed, drops_not_ready;
};

struct rg_broker_metrics {
  uint64_t calls_active, legs_active;
  uint64_t packets_relayed, bytes_relayed;
  uint64_t drops_unknown_ssrc, drops_auth, drops_replay, drops_malformed, drops_not_ready;
  uint64_t dtls_handshakes_ok;
  uint64_t dtls_failures_fingerprint, dtls_failures_timeout, dtls_failures_other;
  /* Added with the worker: datagrams no leg claimed (unknown ufrag or source,
   * truncated), media whose other leg was not secured, datagrams the kernel
   * refused to send. */
  uint64_t datagrams_unrouted, relay_not_ready, tx_errors;
  /* DTLS datagrams queued behind media, and refused because the queue was
   * full (the peer resends). */
  uint64_t dtls_deferred, dtls_defer_dropped;
  /* Datagrams the kernel dropped because the media socket's receive buffer
   * was full: the worker fell behind (net.core.rmem_max caps the buffer). */
  uint64_t receive_overflows;
  /* The media socket's receive buffer in bytes, as the kernel reports it
   * (twice what was granted: its bookkeeping counts in the same budget). */
  uint64_t receive_buffer_bytes;
};

/* Every call below returns RG_ERR_CLOSED at once (err "media broker
 * stopped") once the worker thread has died (its event loop failed); the
 * broker then serves nothing more, and rg_broker_stop/_free still clean up. */

/* Creates the broker: its DTLS certificate (ECDSA P-256) and context. */
int rg_broker_new(struct rg_broker **out, const struct rg_broker_config *cfg, rg_broker_event_fn fn, void *arg);
/* Binds the UDP port and starts the worker thread. */
int rg_broker_start(struct rg_broker *b);
/* Ends every call (no events), stops and joins the worker. */
void rg_broker_stop(struct rg_broker *b);
void rg_broker_free(struct rg_broker *b);

/* The caller's offer: checks it (DESIGN.md contract item 2), creates the call
 * and both legs, and returns the broker's offer for the callee (malloc'ed,
 * NUL-terminated; caller frees). On a bad SDP returns RG_ERR_MALFORMED with a
 * clear text in err; RG_ERR_STATE for a call_id in use; RG_ERR_TOO_LARGE at
 * max_calls. media_kinds (out, optional): bit 0 audio, bit 1 video offered. */
int rg_broker_offer(struct rg_broker *b, const char *call_id, const char *sdp, size_t len, char **callee_offer,
                    unsigned *media_kinds, char *err, size_t err_cap);
/* The callee's answer: checked the same way; returns the broker's answer for
 * the caller (malloc'ed). RG_ERR_NOT_FOUND for an unknown call. media_kinds
 * (out, optional): bit 0 audio, bit 1 video carried by the answer (a section
 * it rejected with port 0 does not count), so the gateway can hold the
 * callee to its token as it holds the caller.
 * Setup timers: neither leg's runs while the call rings; both start here,
 * when both transports exist (setup_timeout_ms from the answer). */
int rg_broker_answer(struct rg_broker *b, const char *call_id, const char *sdp, size_t len, char **caller_answer,
                     unsigned *media_kinds, char *err, size_t err_cap);
/* Ends a call and frees its legs (DTLS close_notify sent). Unknown: RG_ERR_NOT_FOUND. */
int rg_broker_hangup(struct rg_broker *b, const char *call_id);
int rg_broker_call_stats(struct rg_broker *b, const char *call_id, struct rg_broker_leg_stats legs[2]);
void rg_broker_get_metrics(struct rg_broker *b, struct rg_broker_metrics *m);
/* The broker certificate's sha-256 fingerprint text ("sha-256 AB:..."). */
const char *rg_broker_fingerprint(const struct rg_broker *b);
/* The UDP port actually bound (cfg media_port 0 binds an ephemeral port);
 * 0 before rg_broker_start. */
uint16_t rg_broker_media_port(const struct rg_broker *b);
/* The media socket's receive buffer as the kernel granted it (bytes, its own
 * doubled accounting), and what the broker asked for in the same terms;
 * 0, 0 before rg_broker_start. */
void rg_broker_receive_buffer(const struct rg_broker *b, size_t *granted, size_t *asked);

#endif
