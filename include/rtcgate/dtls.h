/* rtcgate — one DTLS 1.2 endpoint for DTLS-SRTP (RFC 6347, 5763, 5764, 8122).
 *
 * Sans-IO: the caller feeds datagrams and the time, then drains datagrams to
 * send and events, and asks when to call back:
 *
 *   rg_dtls_handle_datagram(d, now, buf, len);   or rg_dtls_handle_timeout(d, now);
 *   while ((n = rg_dtls_poll_datagram(d, out, sizeof out)) > 0) send(out, n);
 *   while (rg_dtls_poll_event(d, &ev)) ...;
 *   arm(rg_dtls_next_timeout(d));
 *
 * Only DTLS 1.2 is spoken; a peer offering DTLS 1.3 is answered with 1.2.
 * The peer's certificate must hash to one of the SDP fingerprints given in the
 * config. If it does not, the endpoint stops silently: no alert, no datagram,
 * no keys; it reports RG_DTLS_EV_FINGERPRINT_MISMATCH once and ignores all
 * further input (see docs/dtls.md).
 *
 * Ownership: a struct rg_dtls_ctx (one SSL_CTX: certificate, cipher suites,
 * groups) is shared by many sessions and must outlive them all; the caller
 * frees it last. Sessions on different threads may share one context.
 */
#ifndef RTCGATE_DTLS_H
#define RTCGATE_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/fingerprint.h"
#include "rtcgate/srtp_profile.h"

struct rg_cert;
struct rg_dtls_ctx;
struct rg_dtls;

enum rg_dtls_role { RG_DTLS_CLIENT = 1, RG_DTLS_SERVER = 2 };

enum rg_dtls_state {
  RG_DTLS_STATE_HANDSHAKING = 1,
  RG_DTLS_STATE_CONNECTED,
  RG_DTLS_STATE_CLOSED,   /* close_notify sent or received */
  RG_DTLS_STATE_FAILED,   /* inert after a handshake failure or timeout */
  RG_DTLS_STATE_MISMATCH, /* inert after a fingerprint mismatch */
};

enum rg_dtls_event_type {
  RG_DTLS_EV_NONE = 0,
  RG_DTLS_EV_FINGERPRINT_VERIFIED, /* fingerprint = the SDP fingerprint that matched */
  RG_DTLS_EV_FINGERPRINT_MISMATCH, /* fingerprint = sha-256 of the peer's certificate */
  RG_DTLS_EV_CONNECTED,            /* version, cipher, srtp_profile */
  RG_DTLS_EV_CLOSED,               /* the peer sent close_notify */
  RG_DTLS_EV_FAILED,               /* err and reason */
};

#define RG_DTLS_MTU_DEFAULT 1200
#define RG_DTLS_MTU_MIN 256  /* OpenSSL refuses a smaller DTLS MTU */
#define RG_DTLS_MTU_MAX 1500
#define RG_DTLS_MAX_FINGERPRINTS 4
#define RG_DTLS_MAX_PROFILES 4
#define RG_DTLS_DATAGRAM_MAX 16384 /* larger input datagrams are dropped */
#define RG_DTLS_NO_TIMEOUT UINT64_MAX

/* Retransmission schedule on the caller's clock (RFC 6347 §4.2.4.1): the
 * last flight is resent after 1 s, then after doubling intervals capped at
 * RG_DTLS_RTX_MAX_US; after RG_DTLS_RTX_MAX_COUNT resends without progress
 * the next expiry fails the handshake with RG_ERR_TIMEOUT. */
#define RG_DTLS_RTX_INITIAL_US 1000000u
#define RG_DTLS_RTX_MAX_US 8000000u
#define RG_DTLS_RTX_MAX_COUNT 6

struct rg_dtls_config {
  int role; /* enum rg_dtls_role */
  /* a=fingerprint values from the peer's SDP; the peer certificate must match
   * one of them, each hashed with its own hash function. Copied. */
  struct rg_fingerprint remote_fps[RG_DTLS_MAX_FINGERPRINTS];
  size_t n_remote_fps;
  /* use_srtp offer/preference order (enum rg_srtp_profile); copied. */
  int srtp_profiles[RG_DTLS_MAX_PROFILES];
  size_t n_srtp_profiles;
  size_t mtu; /* largest datagram this endpoint emits, RG_DTLS_MTU_MIN..MAX */
};

struct rg_dtls_event {
  int type;                        /* enum rg_dtls_event_type */
  int err;                         /* FAILED: negative rg_err */
  const char *reason;              /* FAILED: constant text, never NULL */
  int srtp_profile;                /* CONNECTED: enum rg_srtp_profile */
  char version[16];                /* CONNECTED: "DTLS 1.2" (the only one spoken) */
  char cipher[64];                 /* CONNECTED: OpenSSL suite name */
  struct rg_fingerprint fingerprint;
};

#define RG_DTLS_SRTP_KEY_MAX 32
#define RG_DTLS_SRTP_SALT_MAX 14

/* RFC 5764 §4.2 keying material split into this endpoint's write (local) and
 * read (remote) master key and salt. */
struct rg_dtls_srtp_keys {
  int profile; /* enum rg_srtp_profile */
  uint8_t key_len, salt_len;
  uint8_t local_key[RG_DTLS_SRTP_KEY_MAX], local_salt[RG_DTLS_SRTP_SALT_MAX];
  uint8_t remote_key[RG_DTLS_SRTP_KEY_MAX], remote_salt[RG_DTLS_SRTP_SALT_MAX];
};

struct rg_dtls_stats {
  uint64_t datagrams_in, datagrams_out;
  uint64_t dropped_in;      /* not DTLS (RFC 7983 first byte), empty or too large */
  uint64_t dropped_out;     /* output queue full: treated as lost on the wire */
  uint64_t dropped_app;     /* application data after the handshake (ignored) */
  uint64_t retransmissions; /* timer expiries that resent the flight */
  uint64_t flight_replays;  /* final flight resent because the peer resent its own */
};

/* The shared context: certificate, AEAD-only ECDHE suites, X25519/P-256,
 * DTLS 1.2 only, no session resumption. Takes its own references to the
 * certificate and key; cert may be freed afterwards. */
int rg_dtls_ctx_new(struct rg_dtls_ctx **out, const struct rg_cert *cert);
void rg_dtls_ctx_free(struct rg_dtls_ctx *ctx);

/* Defaults: no fingerprints (must be added), SRTP order GCM-256, GCM-128,
 * CM-80, CM-32, MTU 1200. */
void rg_dtls_config_init(struct rg_dtls_config *cfg, int role);
/* Appends one fingerprint; RG_ERR_TOO_LARGE past RG_DTLS_MAX_FINGERPRINTS. */
int rg_dtls_config_add_fingerprint(struct rg_dtls_config *cfg, const struct rg_fingerprint *fp);

int rg_dtls_new(struct rg_dtls **out, struct rg_dtls_ctx *ctx, const struct rg_dtls_config *cfg);
void rg_dtls_free(struct rg_dtls *d);

/* Client: sends the ClientHello. Server: nothing (it waits for one). */
int rg_dtls_start(struct rg_dtls *d, uint64_t now_us);
/* One received datagram (content type 20..63 per RFC 7983). Returns 0, or
 * RG_ERR_MALFORMED/TOO_LARGE for a dropped datagram, RG_ERR_CLOSED when the
 * endpoint is inert (the input is ignored). */
int rg_dtls_handle_datagram(struct rg_dtls *d, uint64_t now_us, const uint8_t *data, size_t len);
/* Call at or after rg_dtls_next_timeout(); earlier calls do nothing. */
int rg_dtls_handle_timeout(struct rg_dtls *d, uint64_t now_us);
/* Absolute time in µs of the next retransmission, or RG_DTLS_NO_TIMEOUT. */
uint64_t rg_dtls_next_timeout(const struct rg_dtls *d);

/* Copies the next datagram to send into buf: returns its length, 0 when
 * there is none, RG_ERR_BUFFER (datagram kept) when cap is too small. */
int rg_dtls_poll_datagram(struct rg_dtls *d, uint8_t *buf, size_t cap);
/* Returns 1 and fills ev, or 0 when there is no event. */
int rg_dtls_poll_event(struct rg_dtls *d, struct rg_dtls_event *ev);

/* Sends close_notify when connected; the endpoint is CLOSED afterwards. */
int rg_dtls_close(struct rg_dtls *d, uint64_t now_us);

/* Only when CONNECTED with a verified fingerprint and an SRTP profile;
 * RG_ERR_STATE otherwise. */
int rg_dtls_export_srtp_keys(struct rg_dtls *d, struct rg_dtls_srtp_keys *out);

int rg_dtls_state(const struct rg_dtls *d);
void rg_dtls_get_stats(const struct rg_dtls *d, struct rg_dtls_stats *out);

#endif
