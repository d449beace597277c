/* rtcgate — SRTP/SRTCP protection (RFC 3711, RFC 7714) on OpenSSL 3 EVP.
 *
 * A context is ONE direction (protect or unprotect) keyed by a profile, a
 * master key and a master salt (the DTLS-SRTP exporter gives one pair per
 * direction, RFC 5764 §4.2). The session keys do not depend on the SSRC, so one
 * set of cipher contexts serves every SSRC; per-SSRC state (roll-over counter,
 * highest sequence number, replay windows, SRTCP index) lives in an
 * open-addressing table sized once at creation: nothing is allocated after
 * rg_srtp_new, and a new SSRC beyond the cap is refused (RG_ERR_TOO_LARGE).
 *
 * Packets are transformed in place in caller-owned buffers. Every function
 * returns the new packet length (>= 0) or a negative rg_err:
 *   RG_ERR_MALFORMED  not an RTP/RTCP packet we can parse, or too short
 *   RG_ERR_AUTH       authentication tag mismatch (forged, corrupted, wrong key)
 *   RG_ERR_REPLAY     already received, or older than the replay window
 *   RG_ERR_BUFFER     protect: cap leaves no room for the trailer
 *   RG_ERR_TOO_LARGE  stream table full (new SSRC), or packet above the size cap
 *   RG_ERR_STATE      wrong direction for this context, or index space exhausted
 * A packet that fails changes no context state: streams are created and their
 * roll-over counter and windows advanced only after the packet authenticated.
 * On failure the buffer's contents are unspecified (GCM decrypts before it can
 * check the tag); drop the packet.
 */
#ifndef RTCGATE_SRTP_H
#define RTCGATE_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/srtp_profile.h"

#define RG_SRTP_REPLAY_WINDOW_DEFAULT 1024u /* packets; RFC 3711 asks >= 64 */
#define RG_SRTP_REPLAY_WINDOW_MIN 64u
#define RG_SRTP_REPLAY_WINDOW_MAX 32768u   /* a power of two: a slot is index % window */
#define RG_SRTP_MAX_STREAMS 65536u         /* per context */
#define RG_SRTP_MAX_PACKET 65535u          /* bytes, a UDP payload's upper bound */
#define RG_SRTP_MAX_WINDOW_MEMORY (256u * 1024u * 1024u) /* bytes of windows per context */
#define RG_SRTP_MAX_RTP_TRAILER 16u        /* bytes protect adds to RTP (GCM tag) */
#define RG_SRTP_MAX_RTCP_TRAILER 20u       /* bytes protect adds to RTCP (tag + index) */

enum rg_srtp_direction {
  RG_SRTP_PROTECT = 1,   /* outbound: protect_rtp / protect_rtcp */
  RG_SRTP_UNPROTECT = 2, /* inbound: unprotect_rtp / unprotect_rtcp */
};

struct rg_srtp_config {
  int profile;                /* enum rg_srtp_profile */
  int direction;              /* enum rg_srtp_direction */
  const uint8_t *master_key;  /* profile's key_len bytes */
  size_t master_key_len;
  const uint8_t *master_salt; /* profile's salt_len bytes */
  size_t master_salt_len;
  uint32_t max_streams;       /* 1..RG_SRTP_MAX_STREAMS distinct SSRCs */
  uint32_t replay_window;     /* 0 = default; else a power of two in MIN..MAX */
};

struct rg_srtp;

/* Derives the session keys (RFC 3711 §4.3, KDR 0; RFC 7714 §11), fetches the
 * ciphers once and sizes the stream table. RG_ERR_INVAL for bad lengths or
 * limits, RG_ERR_UNSUPPORTED for an unknown profile, RG_ERR_TOO_LARGE when the
 * windows would exceed RG_SRTP_MAX_WINDOW_MEMORY, RG_ERR_NOMEM, RG_ERR_CRYPTO. */
int rg_srtp_new(const struct rg_srtp_config *cfg, struct rg_srtp **out);
/* Wipes key material and frees; NULL is fine. */
void rg_srtp_free(struct rg_srtp *s);

/* RTP: pkt holds len bytes of plaintext RTP in a buffer of cap bytes; on
 * success it holds the SRTP packet and its length is returned. */
int rg_srtp_protect_rtp(struct rg_srtp *s, uint8_t *pkt, size_t len, size_t cap);
/* Prefetch only (no effect on state or results), for a caller that handles a
 * batch of packets over many contexts and wants their cache misses to
 * overlap: stage 0 the context's per-packet fields, stage 1 (once stage 0 has
 * landed) the stream slot of ssrc and the cipher object, stage 2 (once stage 1
 * has landed) the stream's replay window. Each stage reads only what the stage
 * before prefetched. */
void rg_srtp_prefetch(const struct rg_srtp *s, int stage, uint32_t ssrc, bool rtcp);
/* SRTP in, RTP out (same buffer); returns the plaintext length. */
int rg_srtp_unprotect_rtp(struct rg_srtp *s, uint8_t *pkt, size_t len);

/* RTCP: always sent encrypted (E=1) with the next 31-bit SRTCP index of the
 * sender SSRC. Unprotect accepts E=1 and E=0 (authenticated-only) packets. */
int rg_srtp_protect_rtcp(struct rg_srtp *s, uint8_t *pkt, size_t len, size_t cap);
int rg_srtp_unprotect_rtcp(struct rg_srtp *s, uint8_t *pkt, size_t len);

/* How many SSRCs the context holds state for. */
uint32_t rg_srtp_stream_count(const struct rg_srtp *s);

#endif
