/* rtcgate — RTCP compound packets (RFC 3550 §6), feedback (RFC 4585, RFC 5104),
 * reduced-size RTCP (RFC 5506).
 *
 * Input is plaintext RTCP: after SRTCP unprotect, with the SRTCP index and tag
 * already stripped. Views are zero-copy and point into the caller's bytes.
 *
 * Validation of a compound (rg_rtcp_iter_next / rg_rtcp_walk):
 *  - every packet has V=2, a packet type 192..223 (the RTCP range of RFC 5761 §4)
 *    and a length field that fits the remaining bytes; the lengths must add up
 *    to the datagram length exactly;
 *  - only the last packet may set P, and its padding count is 1..body length;
 *  - type-specific minimum sizes (SR/RR report blocks, SDES chunks, BYE list,
 *    APP name, feedback SSRC pair, XR sender SSRC).
 * The first packet need not be SR/RR: reduced-size RTCP (RFC 5506) is accepted.
 */
#ifndef RTCGATE_RTCP_H
#define RTCGATE_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rg_rtcp_type {
  RG_RTCP_SR = 200,
  RG_RTCP_RR = 201,
  RG_RTCP_SDES = 202,
  RG_RTCP_BYE = 203,
  RG_RTCP_APP = 204,
  RG_RTCP_RTPFB = 205, /* RFC 4585 transport-layer feedback */
  RG_RTCP_PSFB = 206,  /* RFC 4585 payload-specific feedback */
  RG_RTCP_XR = 207,    /* RFC 3611 */
};

#define RG_RTCP_TYPE_MIN 192       /* RFC 5761 §4: RTCP packet types live in 192..223 */
#define RG_RTCP_TYPE_MAX 223
#define RG_RTCP_HEADER_LEN 4
#define RG_RTCP_REPORT_BLOCK_LEN 24
#define RG_RTCP_SR_INFO_LEN 20     /* NTP(8) + RTP ts(4) + packets(4) + octets(4) */
#define RG_RTCP_MAX_PACKETS 64     /* per compound; more is refused (RG_ERR_TOO_LARGE) */

/* Feedback message types (FMT in the count field). */
#define RG_RTCP_RTPFB_NACK 1       /* RFC 4585 §6.2.1 generic NACK */
#define RG_RTCP_RTPFB_TWCC 15      /* draft-holmer-rmcat-transport-wide-cc-extensions-01 */
#define RG_RTCP_PSFB_PLI 1         /* RFC 4585 §6.3.1 */
#define RG_RTCP_PSFB_FIR 4         /* RFC 5104 §4.3.1 */
#define RG_RTCP_PSFB_AFB 15        /* RFC 4585 §6.4 application layer (REMB lives here) */
#define RG_RTCP_REMB_MAX_SSRCS 255 /* its SSRC count is 8 bits */

/* One packet of a compound. */
struct rg_rtcp_pkt {
  const uint8_t *ptr;    /* first byte of this packet's header */
  size_t len;            /* 4 * (length field + 1) */
  uint8_t type;          /* packet type (enum rg_rtcp_type or other 192..223) */
  uint8_t count;         /* RC / SC / FMT */
  bool padding;          /* P bit */
  const uint8_t *body;   /* after the 4-byte header */
  size_t body_len;       /* without padding */
  bool has_sender;       /* false only for an empty SDES or BYE */
  uint32_t sender_ssrc;  /* SSRC of packet sender / first chunk / first BYE SSRC */
  uint32_t media_ssrc;   /* RTPFB/PSFB: SSRC of media source; 0 otherwise */
  const uint8_t *fci;    /* RTPFB/PSFB: feedback control information, else NULL */
  size_t fci_len;
};

struct rg_rtcp_iter {
  const uint8_t *buf;
  size_t len;
  size_t off;
  unsigned n;            /* packets returned so far */
  int err;               /* sticky: the first error, returned again on later calls */
};

void rg_rtcp_iter_init(struct rg_rtcp_iter *it, const uint8_t *buf, size_t len);

/* 1 with *out = next packet, 0 at the exact end of the compound,
 * RG_ERR_MALFORMED / RG_ERR_TOO_LARGE otherwise (iteration then stops). An empty
 * compound (len 0) is malformed. */
int rg_rtcp_iter_next(struct rg_rtcp_iter *it, struct rg_rtcp_pkt *out);

/* Whole-compound summary, for the SSRC policy and for counters. */
struct rg_rtcp_summary {
  unsigned count;                                  /* packets */
  unsigned n_senders;                              /* entries in senders[] */
  bool has_sender;                                 /* n_senders > 0 */
  uint32_t first_sender_ssrc;                      /* "the" sender SSRC */
  uint32_t senders[RG_RTCP_MAX_PACKETS];           /* each packet's sender SSRC, in order */
  uint8_t types[RG_RTCP_MAX_PACKETS];              /* each packet's type, in order */
};

/* Validates the whole compound; fills *out only on success. */
int rg_rtcp_walk(const uint8_t *buf, size_t len, struct rg_rtcp_summary *out);

/* --- SR / RR contents ----------------------------------------------------- */

struct rg_rtcp_sender_info {
  uint64_t ntp;          /* 32.32 fixed point */
  uint32_t rtp_ts;
  uint32_t packets;
  uint32_t octets;
};

struct rg_rtcp_report_block {
  uint32_t ssrc;         /* source this block reports on */
  uint8_t fraction_lost; /* 8-bit fixed point */
  int32_t cumulative_lost; /* 24-bit signed */
  uint32_t ext_highest_seq;
  uint32_t jitter;
  uint32_t lsr;
  uint32_t dlsr;
};

/* SR only; RG_ERR_INVAL for another type. */
int rg_rtcp_sr_sender_info(const struct rg_rtcp_pkt *p, struct rg_rtcp_sender_info *out);

/* Report block i < p->count of an SR or RR; RG_ERR_INVAL otherwise. */
int rg_rtcp_report_block(const struct rg_rtcp_pkt *p, unsigned i, struct rg_rtcp_report_block *out);

/* --- Feedback contents ---------------------------------------------------- */

/* Generic NACK items (RTPFB FMT 1): number of PID/BLP pairs, and item i. */
unsigned rg_rtcp_nack_count(const struct rg_rtcp_pkt *p);
int rg_rtcp_nack_item(const struct rg_rtcp_pkt *p, unsigned i, uint16_t *pid, uint16_t *blp);

/* REMB (PSFB FMT 15, "REMB", draft-alvestrand-rmcat-remb-03 §2.2). */
struct rg_rtcp_remb {
  uint64_t bitrate_bps;  /* mantissa << exp; saturates at UINT64_MAX */
  uint8_t n_ssrcs;
  const uint8_t *ssrcs;  /* n_ssrcs big-endian uint32 values */
};
/* RG_ERR_NOT_FOUND when p is not REMB, RG_ERR_MALFORMED when its SSRC list does not fit. */
int rg_rtcp_remb_parse(const struct rg_rtcp_pkt *p, struct rg_rtcp_remb *out);

/* Name of a packet type ("SR", "RTPFB", ...) or "other". */
const char *rg_rtcp_type_name(uint8_t type);

#endif
