/* rtcgate — per-leg SSRC allow-list and the one place where media drops are
 * counted (DESIGN.md security contract, item 5).
 *
 * The caller builds the list from the leg's SDP (a=ssrc, a=ssrc-group FID/SIM/FEC)
 * and checks every packet AFTER SRTP/SRTCP unprotect. Drops decided elsewhere
 * (SRTP auth failure, replay, packets before DTLS is verified) are recorded here
 * too, so one set of counters tells every reason a packet did not pass.
 *
 * Rules:
 *  - nothing passes until rg_ssrc_policy_set_ready(p, true) (DTLS up and the
 *    fingerprint verified): before that every check returns NOT_READY;
 *  - RTP: the packet must parse (rg_rtp_parse) and its SSRC be a media SSRC;
 *  - RTCP: the compound must validate (rg_rtcp_walk), carry at least one sender
 *    SSRC, and every packet's sender SSRC must be a media SSRC or an extra RTCP
 *    sender SSRC (rg_ssrc_policy_add_rtcp_sender). Extra RTCP senders never
 *    admit RTP.
 * Why extra RTCP senders: libwebrtc (Chrome, Edge, Safari's engine) sends RTCP
 * for an m-section without a send stream (recvonly, or no a=ssrc) from a fixed
 * SSRC that is not in its SDP: 1 for video (kDefaultRtcpReceiverReportSsrc) and
 * 0xFA17FA17 for audio (receiver_reports_ssrc_), see webrtc issue 4740 and
 * chromium issue 547661. A leg that receives only must still send RR, NACK, PLI,
 * REMB and transport-cc feedback, so the broker adds these two for such legs.
 *
 * Storage is embedded: no allocation at init or per packet. Lookup is an
 * open-addressing hash (linear probing, load <= 1/2), so O(1).
 */
#ifndef RTCGATE_SSRC_POLICY_H
#define RTCGATE_SSRC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_SSRC_POLICY_MAX 64          /* SSRCs per leg (media + extra RTCP senders) */
#define RG_SSRC_POLICY_SLOTS 128       /* power of two, 2 x MAX keeps probes short */
#define RG_SSRC_POLICY_MID_MAX 16      /* bytes of a=mid kept as a tag */

/* libwebrtc's RTCP sender SSRCs for m-sections without a send stream. */
#define RG_SSRC_LIBWEBRTC_VIDEO_RTCP 1u
#define RG_SSRC_LIBWEBRTC_AUDIO_RTCP 0xFA17FA17u

/* Verdicts; the X-macro keeps the names and the enum together. */
#define RG_SSRC_VERDICT_MAP(X)                \
  X(ACCEPT, "accept")                         \
  X(DROP_UNKNOWN_SSRC, "unknown_ssrc")        \
  X(DROP_AUTH, "auth")                        \
  X(DROP_REPLAY, "replay")                    \
  X(DROP_MALFORMED, "malformed")              \
  X(DROP_NOT_READY, "not_ready")

enum rg_ssrc_verdict {
#define RG_SSRC_VERDICT_ENUM(name, text) RG_SSRC_##name,
  RG_SSRC_VERDICT_MAP(RG_SSRC_VERDICT_ENUM)
#undef RG_SSRC_VERDICT_ENUM
  RG_SSRC_VERDICT_COUNT
};

enum rg_media_kind {
  RG_MEDIA_NONE = 0,
  RG_MEDIA_AUDIO,
  RG_MEDIA_VIDEO,
};

/* What the caller said about one SSRC. */
struct rg_ssrc_entry {
  uint32_t ssrc;
  uint8_t kind;                       /* enum rg_media_kind */
  bool rtcp_only;                     /* extra RTCP sender, not a media SSRC */
  uint8_t mid_len;
  char mid[RG_SSRC_POLICY_MID_MAX];   /* not NUL-terminated */
};

struct rg_ssrc_policy_counters {
  uint64_t accepted_packets;
  uint64_t accepted_bytes;
  uint64_t accepted_rtcp_packets;     /* subset of accepted_packets */
  uint64_t dropped[RG_SSRC_VERDICT_COUNT]; /* by reason; [RG_SSRC_ACCEPT] stays 0 */
  uint64_t dropped_bytes;
};

/* The counters sit next to the flags that every packet reads (the struct's
 * first two cache lines), ahead of the probe table. */
struct rg_ssrc_policy {
  bool ready;
  uint8_t n;                                   /* entries used */
  struct rg_ssrc_policy_counters c;
  uint8_t slot_idx[RG_SSRC_POLICY_SLOTS];      /* entry index + 1; 0 = empty */
  uint32_t slot_ssrc[RG_SSRC_POLICY_SLOTS];    /* copy of the key, to probe without touching entries */
  struct rg_ssrc_entry entries[RG_SSRC_POLICY_MAX];
};

/* Empty list, not ready, zero counters. */
void rg_ssrc_policy_init(struct rg_ssrc_policy *p);
/* Nothing is held outside the struct; provided for the _init/_cleanup pairing. */
void rg_ssrc_policy_cleanup(struct rg_ssrc_policy *p);

/* Adds a media SSRC with an optional tag (mid may be NULL / mid_len 0).
 * Adding an SSRC again updates its tag (and turns an extra RTCP sender into a
 * media SSRC). RG_ERR_TOO_LARGE when full, RG_ERR_INVAL for mid_len > MID_MAX. */
int rg_ssrc_policy_add(struct rg_ssrc_policy *p, uint32_t ssrc, enum rg_media_kind kind,
                       const char *mid, size_t mid_len);
/* Adds many media SSRCs with one kind and no mid; stops at the first error. */
int rg_ssrc_policy_add_list(struct rg_ssrc_policy *p, const uint32_t *ssrcs, size_t n,
                            enum rg_media_kind kind);
/* Allows ssrc as an RTCP sender only (see the libwebrtc note above).
 * A media SSRC stays a media SSRC. */
int rg_ssrc_policy_add_rtcp_sender(struct rg_ssrc_policy *p, uint32_t ssrc);
/* Forgets all SSRCs (renegotiation); keeps counters and readiness. */
void rg_ssrc_policy_clear(struct rg_ssrc_policy *p);

void rg_ssrc_policy_set_ready(struct rg_ssrc_policy *p, bool ready);

/* The entry for ssrc or NULL. Counts nothing. */
const struct rg_ssrc_entry *rg_ssrc_policy_lookup(const struct rg_ssrc_policy *p, uint32_t ssrc);
/* Prefetch only (see rg_srtp_prefetch): stage 0 the probe slot of ssrc,
 * stage 1 (once stage 0 has landed) its entry. */
void rg_ssrc_policy_prefetch(const struct rg_ssrc_policy *p, int stage, uint32_t ssrc);

/* Decide on one decrypted packet and count the verdict (packets and bytes). */
enum rg_ssrc_verdict rg_ssrc_policy_check_rtp(struct rg_ssrc_policy *p, const uint8_t *pkt, size_t len);
enum rg_ssrc_verdict rg_ssrc_policy_check_rtcp(struct rg_ssrc_policy *p, const uint8_t *pkt, size_t len);

/* Counts a drop decided elsewhere (AUTH, REPLAY, NOT_READY, MALFORMED, ...).
 * RG_SSRC_ACCEPT or an out-of-range value is counted as MALFORMED, so a caller
 * bug never hides a drop. */
void rg_ssrc_policy_record_drop(struct rg_ssrc_policy *p, enum rg_ssrc_verdict reason, size_t len);

/* "accept", "unknown_ssrc", "auth", "replay", "malformed", "not_ready"; "invalid" otherwise. */
const char *rg_ssrc_policy_verdict_name(enum rg_ssrc_verdict v);

static inline const struct rg_ssrc_policy_counters *rg_ssrc_policy_get_counters(const struct rg_ssrc_policy *p)
{
  return &p->c;
}

#endif
