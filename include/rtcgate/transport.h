/* rtcgate — one media leg's transport: ICE + DTLS + SRTP + SSRC policy, sans-IO.
 *
 * The transport composes the cores for one leg (one BUNDLEd, rtcp-muxed 5-tuple):
 *
 *   datagram in -> demux (RFC 7983) -> STUN:  ICE agent (lite or controlling)
 *                                   -> DTLS:  DTLS endpoint (client or server)
 *                                   -> SRTP:  unprotect -> SSRC policy -> media out
 *   media out   -> protect -> datagram to the ICE-selected peer address
 *
 * Shape (STYLE.md, after str0m and quicly):
 *
 *   n = rg_transport_handle_datagram(t, now, &from, buf, len, &media);   // media: 1
 *   rg_transport_handle_timeout(t, now);
 *   while (rg_transport_poll(t, &out, buf, cap) == 0 && out.kind != RG_TRANSPORT_OUT_NONE) ...
 *   arm(rg_transport_next_timeout(t));
 *
 * Security rules it enforces (DESIGN.md, security contract items 3-6):
 *  - no media in either direction until DTLS is connected AND the peer's
 *    certificate matched a fingerprint from its SDP; before that every media
 *    packet is dropped and counted as not_ready;
 *  - SRTP keys come only from the DTLS exporter;
 *  - after unprotect, every RTP SSRC and RTCP sender SSRC must be in the
 *    leg's allow-list; drops are counted by reason in one place (the policy);
 *  - a fingerprint mismatch makes the transport inert: nothing more is sent,
 *    no keys exist, and the event is reported once;
 *  - DTLS and SRTP are accepted only from an address that passed an
 *    authenticated ICE check (lite) or is the nominated remote (controlling).
 *
 * The transport allocates at rg_transport_new only; the per-packet path
 * (handle_datagram for SRTP, protect_*) allocates nothing.
 */
#ifndef RTCGATE_TRANSPORT_H
#define RTCGATE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/addr.h"
#include "rtcgate/dtls.h"
#include "rtcgate/ice.h"
#include "rtcgate/ssrc_policy.h"

enum rg_transport_ice_mode {
  RG_TRANSPORT_ICE_LITE = 1,        /* media broker: answers checks */
  RG_TRANSPORT_ICE_CONTROLLING = 2, /* native client: sends checks to an ice-lite peer */
};

/* Addresses that passed an authenticated check and may carry DTLS/SRTP
 * before (or besides) the nominated one; a few are enough for one peer. */
#define RG_TRANSPORT_MAX_VALIDATED 4
#define RG_TRANSPORT_MAX_SSRCS RG_SSRC_POLICY_MAX

struct rg_transport_config {
  int ice_mode; /* enum rg_transport_ice_mode */
  struct rg_ice_credentials creds;
  /* Controlling mode only: the peer's candidates (from its SDP), tie-breaker
   * and optional deterministic seed (tests). */
  const struct rg_ice_candidate *remote_candidates;
  size_t n_remote_candidates;
  uint64_t tie_breaker;
  bool seeded;
  uint64_t seed;

  struct rg_dtls_ctx *dtls_ctx; /* shared; must outlive the transport */
  struct rg_dtls_config dtls;   /* role, the peer's fingerprints, profiles, MTU */

  /* The peer's SSRCs from its SDP (a=ssrc, ssrc-group), with their kinds;
   * extra RTCP-only sender SSRCs (see ssrc_policy.h on libwebrtc). */
  const struct rg_ssrc_entry *remote_ssrcs;
  size_t n_remote_ssrcs;
  const uint32_t *remote_rtcp_senders;
  size_t n_remote_rtcp_senders;

  uint32_t srtp_max_streams;   /* 0: RG_TRANSPORT_MAX_SSRCS */
  uint32_t srtp_replay_window; /* 0: the SRTP default (1024) */
  /* Either mode: consent is lost this long after the last check (lite) or
   * answered check (controlling); 0: RG_ICE_CONSENT_TIMEOUT_US (30 s). */
  uint64_t consent_timeout_us;
};

enum rg_transport_event_type {
  RG_TRANSPORT_EV_ICE_CONNECTED = 1,   /* addr: the peer address media goes to */
  RG_TRANSPORT_EV_ICE_ADDRESS_CHANGED, /* addr: the new peer address */
  RG_TRANSPORT_EV_FINGERPRINT_VERIFIED,
  RG_TRANSPORT_EV_FINGERPRINT_MISMATCH, /* the transport is inert from now on */
  RG_TRANSPORT_EV_DTLS_CONNECTED,       /* version, cipher, srtp_profile; media may flow */
  RG_TRANSPORT_EV_CONSENT_LOST,         /* 30 s (configured) without consent (RFC 7675) */
  RG_TRANSPORT_EV_DTLS_CLOSED,          /* the peer sent close_notify */
  RG_TRANSPORT_EV_FAILED,               /* DTLS or ICE failed: err, reason */
};

struct rg_transport_event {
  int type; /* enum rg_transport_event_type */
  struct rg_addr addr;
  int err;
  const char *reason; /* constant text, never NULL for FAILED */
  int srtp_profile;
  char version[16];
  char cipher[64];
  struct rg_fingerprint fingerprint; /* VERIFIED: the SDP one; MISMATCH: the cert's sha-256 */
};

enum rg_transport_output_kind {
  RG_TRANSPORT_OUT_NONE = 0,
  RG_TRANSPORT_OUT_TRANSMIT, /* len bytes in the poll buffer, to dest */
  RG_TRANSPORT_OUT_EVENT,
};

struct rg_transport_output {
  int kind; /* enum rg_transport_output_kind */
  struct rg_addr dest;
  size_t len;
  struct rg_transport_event ev;
};

/* A media packet that authenticated, was not a replay, and passed the
 * policy: plaintext RTP or RTCP, in place in the caller's buffer. */
struct rg_transport_media {
  bool rtcp;
  uint8_t *data;
  size_t len;
  uint32_t ssrc; /* RTP SSRC or first RTCP sender SSRC */
};

enum rg_transport_state {
  RG_TRANSPORT_NEW = 1,  /* waiting for ICE */
  RG_TRANSPORT_CONNECTING, /* ICE has a peer; DTLS handshaking */
  RG_TRANSPORT_READY,    /* DTLS up, fingerprint verified, SRTP keyed */
  RG_TRANSPORT_FAILED,   /* fingerprint mismatch, DTLS failure, ICE failure */
  RG_TRANSPORT_CLOSED,   /* consent lost or DTLS closed */
};

struct rg_transport_stats {
  uint64_t rx_datagrams, tx_datagrams;
  uint64_t rx_unknown_source; /* DTLS/SRTP from an address ICE never validated */
  uint64_t rx_other;          /* first byte of no protocol spoken here */
  uint64_t tx_refused;        /* media the caller tried to send before READY */
  uint64_t fingerprint_mismatches;
  const struct rg_ssrc_policy_counters *media; /* drops by reason, accepted */
  const struct rg_ice_stats *ice;
  struct rg_dtls_stats dtls;
};

struct rg_transport;

/* Copies what it needs from cfg (credentials, fingerprints, SSRCs). */
int rg_transport_new(struct rg_transport **out, const struct rg_transport_config *cfg, uint64_t now_us);
void rg_transport_free(struct rg_transport *t);

/* One datagram received from `from`. For SRTP/SRTCP the buffer is decrypted
 * in place: returns 1 and fills *media when a media packet passed every
 * check; 0 when the datagram was consumed (STUN, DTLS); a negative rg_err
 * when it was dropped (counted: RG_ERR_STATE not ready, RG_ERR_AUTH,
 * RG_ERR_REPLAY, RG_ERR_MALFORMED, RG_ERR_UNKNOWN_SSRC, RG_ERR_NOT_FOUND for an
 * unknown source, RG_ERR_CLOSED when inert). */
int rg_transport_handle_datagram(struct rg_transport *t, uint64_t now_us, const struct rg_addr *from,
                                 uint8_t *data, size_t len, struct rg_transport_media *media);
int rg_transport_handle_timeout(struct rg_transport *t, uint64_t now_us);
/* Absolute µs of the next call to handle_timeout, or UINT64_MAX. */
uint64_t rg_transport_next_timeout(const struct rg_transport *t);
/* Next datagram (into buf) or event; out->kind NONE when drained. */
int rg_transport_poll(struct rg_transport *t, struct rg_transport_output *out, uint8_t *buf, size_t cap);

/* Protects plaintext RTP/RTCP in place (cap: buffer size, needs room for the
 * SRTP trailer) and gives the destination. Returns the datagram length, or
 * RG_ERR_STATE before READY (counted, nothing leaves), or an SRTP error. */
int rg_transport_protect_rtp(struct rg_transport *t, uint8_t *pkt, size_t len, size_t cap, struct rg_addr *dest);
int rg_transport_protect_rtcp(struct rg_transport *t, uint8_t *pkt, size_t len, size_t cap, struct rg_addr *dest);

/* Prefetch only: no effect on state or results. For a relay that handles a
 * batch of datagrams over thousands of transports and wants the cache misses
 * of different packets to overlap (each packet's own lookups are a chain, one
 * miss after the other). Call stage 0 for every packet of the batch, then
 * stage 1 for every packet, and so on up to RG_TRANSPORT_PREFETCH_STAGES - 1;
 * each stage reads only what the one before prefetched. rx: the lines
 * handle_datagram will read for a media packet of ssrc; else the lines
 * protect will read. */
#define RG_TRANSPORT_PREFETCH_STAGES 4
void rg_transport_prefetch(const struct rg_transport *t, int stage, bool rx, uint32_t ssrc, bool rtcp);

/* Sends DTLS close_notify (poll it out); the transport is CLOSED after. */
int rg_transport_close(struct rg_transport *t, uint64_t now_us);

int rg_transport_state(const struct rg_transport *t);
/* Whether `from` passed an authenticated ICE check (or is the nominated
 * peer): the only addresses this transport accepts DTLS and SRTP from. A
 * caller routing datagrams by source address must learn addresses from this,
 * never from a datagram that merely reached the transport. */
bool rg_transport_address_validated(const struct rg_transport *t, const struct rg_addr *from);
void rg_transport_get_stats(const struct rg_transport *t, struct rg_transport_stats *out);

#endif
