/* rtcgate client SDK — RTP media for one audio stream: packetizer, RFC 3550
 * receive statistics, jitter buffer, RTCP SR/RR/SDES writers and the reading
 * of the peer's reports. Library-internal (the session layer uses it).
 *
 * Sans-IO like the cores: times are arguments. now_us is the caller's
 * monotonic clock (microseconds); ntp is the wall clock as 64-bit NTP
 * (32.32 fixed point, rg_media_ntp_from_unix_us), used only inside RTCP.
 */
#ifndef RTCGATE_CLIENT_MEDIA_INTERNAL_H
#define RTCGATE_CLIENT_MEDIA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/client_media.h"
#include "rtcgate/rtcp.h"

/* --- Time ------------------------------------------------------------------ */

#define RG_NTP_UNIX_OFFSET 2208988800u /* seconds from 1900-01-01 to 1970-01-01 */

uint64_t rg_media_ntp_from_unix_us(uint64_t unix_us);
/* The middle 32 bits (16.16 seconds) that LSR/DLSR use, RFC 3550 §6.4.1. */
static inline uint32_t rg_media_ntp_mid32(uint64_t ntp)
{
  return (uint32_t)(ntp >> 16);
}

/* --- Sender ------------------------------------------------------------------ */

struct rg_rtp_tx {
  uint32_t ssrc;
  uint32_t clock_rate;
  uint8_t pt;
  bool mark_next;        /* marker on the next packet: first of a talkspurt (RFC 3551 §4.1) */
  uint16_t seq;          /* of the next packet */
  uint32_t ts;           /* of the next packet */
  uint32_t packets;      /* SR sender's packet count */
  uint32_t octets;       /* SR sender's octet count: payload only (RFC 3550 §6.4.1) */
  bool sent_any;
  uint32_t last_ts;      /* timestamp of the last packet sent ... */
  uint64_t last_us;      /* ... and when: maps now_us to an RTP time for the SR */
};

/* first_seq / first_ts should be random (RFC 3550 §5.1); the caller draws them. */
int rg_rtp_tx_init(struct rg_rtp_tx *tx, uint32_t ssrc, uint8_t pt, uint32_t clock_rate,
                   uint16_t first_seq, uint32_t first_ts);
/* The next packet starts a talkspurt (marker bit set). */
void rg_rtp_tx_mark_next(struct rg_rtp_tx *tx);
/* Writes a 12-byte header and the payload into out, then advances seq by one
 * and the timestamp by `samples` (RTP clock units the payload lasts).
 * RG_ERR_BUFFER when cap is short, RG_ERR_TOO_LARGE above RG_AUDIO_MAX_PAYLOAD. */
int rg_rtp_tx_packetize(struct rg_rtp_tx *tx, uint64_t now_us, const uint8_t *payload, size_t len,
                        uint32_t samples, uint8_t *out, size_t cap, size_t *out_len);
/* Sender info for an SR at now_us: RTP time extrapolated from the last packet. */
void rg_rtp_tx_sender_info(const struct rg_rtp_tx *tx, uint64_t now_us, uint64_t ntp,
                           struct rg_rtcp_sender_info *out);

/* --- Receive statistics (RFC 3550 A.1, A.3, A.8) ---------------------------- */

#define RG_RTP_MAX_DROPOUT 3000   /* RFC 3550 A.1 */
#define RG_RTP_MAX_MISORDER 100
#define RG_RTP_SEQ_MOD 65536u

struct rg_rtp_rx_stats {
  uint32_t clock_rate;
  bool init;
  uint32_t ssrc;
  uint16_t max_seq;
  uint32_t cycles;          /* shifted count of wraps: multiples of 65536 */
  uint32_t base_seq;
  uint32_t bad_seq;
  uint32_t received;
  uint32_t expected_prior;
  uint32_t received_prior;
  uint32_t transit;         /* last relative transit time, timestamp units */
  uint32_t jitter_q4;       /* interarrival jitter * 16 (A.8) */
  uint8_t last_fraction;    /* fraction lost of the last report interval */
  uint32_t lsr;             /* middle of the last SR's NTP time; 0 = none yet */
  uint64_t lsr_us;          /* when that SR arrived */
};

struct rg_rtp_rx_summary {
  uint32_t received;
  uint32_t expected;
  int32_t lost;              /* cumulative, may be negative with duplicates */
  uint8_t fraction_lost;     /* of the last report interval, /256 */
  uint32_t ext_highest_seq;  /* cycles << 16 | highest seq */
  uint32_t jitter;           /* timestamp units */
  double jitter_ms;
};

int rg_rtp_rx_stats_init(struct rg_rtp_rx_stats *s, uint32_t clock_rate);
/* Counts one received packet. The first one fixes the SSRC: the caller has
 * already authenticated it (SRTP) and checked it against the SDP, so there is
 * no MIN_SEQUENTIAL probation. Returns 1 when counted, 0 when it looked like a
 * sequence jump (counted only once it repeats, as in A.1), RG_ERR_UNKNOWN_SSRC
 * for another SSRC. */
int rg_rtp_rx_stats_update(struct rg_rtp_rx_stats *s, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts,
                           uint64_t now_us);
void rg_rtp_rx_stats_summary(const struct rg_rtp_rx_stats *s, struct rg_rtp_rx_summary *out);
/* Records a sender report from the source (for LSR/DLSR). */
void rg_rtp_rx_stats_on_sr(struct rg_rtp_rx_stats *s, uint64_t ntp, uint64_t now_us);
/* A report block about this source at now_us; starts a new interval for the
 * fraction lost (A.3). RG_ERR_STATE before any packet. */
int rg_rtp_rx_stats_report(struct rg_rtp_rx_stats *s, uint64_t now_us,
                           struct rg_rtcp_report_block *out);

/* --- Jitter buffer ------------------------------------------------------------ */

#define RG_JB_WINDOW 10           /* 200 ms of 20 ms frames: the bound on buffered audio */
#define RG_JB_SLOTS 16            /* storage: a power of two >= the window, divides 2^16 */
#define RG_JB_MAX_DELAY_MS 180    /* playout delay; leaves one slot of headroom */
#define RG_JB_DEFAULT_DELAY_MS 60
#define RG_JB_RESYNC_JUMP 100     /* a forward jump this large is a new sequence, not loss */

struct rg_jb_slot {
  bool used;
  bool marker;
  uint16_t seq;
  uint32_t ts;
  uint16_t len;
  uint8_t data[RG_AUDIO_MAX_PAYLOAD];
};

struct rg_jb_counters {
  uint64_t pushed, played, lost, late, duplicate, overflow, too_large, underruns, resyncs;
};

struct rg_jb {
  struct rg_jb_slot slots[RG_JB_SLOTS];
  unsigned count;
  bool started;             /* next_seq is meaningful */
  bool playing;             /* primed: pop advances */
  bool priming;             /* a packet came while !playing: playout starts at prime_until_us */
  uint16_t next_seq;        /* next frame to hand out */
  uint64_t prime_until_us;
  uint64_t delay_us;
  struct rg_jb_counters c;
};

struct rg_jb_frame {
  bool lost;                /* no payload: conceal (PLC) */
  bool marker;
  uint16_t seq;
  uint32_t ts;              /* 0 when lost */
  const uint8_t *data;      /* valid until the next call on the buffer */
  size_t len;
};

int rg_jb_init(struct rg_jb *jb, unsigned delay_ms);
/* RG_OK when stored; RG_ERR_REPLAY for a late or duplicate packet,
 * RG_ERR_TOO_LARGE for a payload above RG_AUDIO_MAX_PAYLOAD (each counted). */
int rg_jb_push(struct rg_jb *jb, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload,
               size_t len, uint64_t now_us);
/* Called once per 20 ms tick: the next frame in sequence order, a lost frame
 * when it is missing but later ones are here, or RG_ERR_AGAIN while priming
 * or when the buffer ran dry (then it primes again for the playout delay). */
int rg_jb_pop(struct rg_jb *jb, uint64_t now_us, struct rg_jb_frame *out);

/* --- RTCP writers and the peer's reports ------------------------------------ */

#define RG_RTCP_MAX_BLOCKS 31     /* RC is 5 bits */
#define RG_RTCP_CNAME_MAX 255     /* SDES item length is one byte */

int rg_media_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const struct rg_rtcp_sender_info *si,
                           const struct rg_rtcp_report_block *blocks, unsigned n, size_t *out_len);
int rg_media_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const struct rg_rtcp_report_block *blocks, unsigned n, size_t *out_len);
/* One SDES chunk with a CNAME item (RFC 3550 §6.5), padded to 32 bits. */
int rg_media_rtcp_write_sdes(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname,
                             size_t cname_len, size_t *out_len);

/* What the peer reports about our stream. */
struct rg_media_remote_report {
  bool valid;                /* a report block about our SSRC was seen */
  uint8_t fraction_lost;
  int32_t cumulative_lost;
  uint32_t ext_highest_seq;
  uint32_t jitter;           /* timestamp units */
  bool have_rtt;
  uint64_t rtt_us;           /* A - LSR - DLSR, RFC 3550 §6.4.1 */
};

/* Reads a plaintext compound: a report block about our_ssrc updates *remote
 * (with the round trip when it echoes one of our SRs); an SR from the source
 * rx tracks (rx may be NULL) is recorded for our own LSR/DLSR. Returns the
 * number of report blocks about us, or RG_ERR_MALFORMED / RG_ERR_TOO_LARGE. */
int rg_media_rtcp_receive(const uint8_t *buf, size_t len, uint64_t now_us, uint64_t ntp_now,
                          uint32_t our_ssrc, struct rg_rtp_rx_stats *rx,
                          struct rg_media_remote_report *remote);

#endif
