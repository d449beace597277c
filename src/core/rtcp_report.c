/* Contents of SR/RR (RFC 3550 §6.4), generic NACK (RFC 4585 §6.2.1) and REMB
 * (draft-alvestrand-rmcat-remb-03 §2.2) from an already validated packet. */
#include "rtcgate/error.h"
#include "rtcgate/rtcp.h"
#include "rtp_bytes_internal.h"

#include <string.h>

#define SSRC_LEN 4
#define REMB_HEADER_LEN 8          /* "REMB" + num SSRC + exp/mantissa */
#define REMB_MANTISSA_BITS 18
#define CUM_LOST_SIGN 0x800000u    /* 24-bit two's complement */

int rg_rtcp_sr_sender_info(const struct rg_rtcp_pkt *p, struct rg_rtcp_sender_info *out)
{
  const uint8_t *s;
  if (p->type != RG_RTCP_SR || p->body_len < SSRC_LEN + RG_RTCP_SR_INFO_LEN)
    return RG_ERR_INVAL;
  s = p->body + SSRC_LEN;
  out->ntp = (uint64_t)rg_be32(s) << 32 | rg_be32(s + 4);
  out->rtp_ts = rg_be32(s + 8);
  out->packets = rg_be32(s + 12);
  out->octets = rg_be32(s + 16);
  return RG_OK;
}

int rg_rtcp_report_block(const struct rg_rtcp_pkt *p, unsigned i, struct rg_rtcp_report_block *out)
{
  size_t first;
  const uint8_t *b;
  uint32_t lost;
  if (p->type == RG_RTCP_SR)
    first = SSRC_LEN + RG_RTCP_SR_INFO_LEN;
  else if (p->type == RG_RTCP_RR)
    first = SSRC_LEN;
  else
    return RG_ERR_INVAL;
  if (i >= p->count || first + ((size_t)i + 1) * RG_RTCP_REPORT_BLOCK_LEN > p->body_len)
    return RG_ERR_INVAL;
  b = p->body + first + (size_t)i * RG_RTCP_REPORT_BLOCK_LEN;
  out->ssrc = rg_be32(b);
  out->fraction_lost = b[4];
  lost = rg_be32(b + 4) & 0xFFFFFFu;
  out->cumulative_lost = (lost & CUM_LOST_SIGN) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
  out->ext_highest_seq = rg_be32(b + 8);
  out->jitter = rg_be32(b + 12);
  out->lsr = rg_be32(b + 16);
  out->dlsr = rg_be32(b + 20);
  return RG_OK;
}

static bool is_nack(const struct rg_rtcp_pkt *p)
{
  return p->type == RG_RTCP_RTPFB && p->count == RG_RTCP_RTPFB_NACK && p->fci != NULL;
}

unsigned rg_rtcp_nack_count(const struct rg_rtcp_pkt *p)
{
  return is_nack(p) ? (unsigned)(p->fci_len / 4) : 0;
}

int rg_rtcp_nack_item(const struct rg_rtcp_pkt *p, unsigned i, uint16_t *pid, uint16_t *blp)
{
  if (i >= rg_rtcp_nack_count(p))
    return RG_ERR_INVAL;
  *pid = rg_be16(p->fci + 4u * i);
  *blp = rg_be16(p->fci + 4u * i + 2);
  return RG_OK;
}

int rg_rtcp_remb_parse(const struct rg_rtcp_pkt *p, struct rg_rtcp_remb *out)
{
  uint8_t n, exp;
  uint32_t mantissa;
  uint64_t bps;
  if (p->type != RG_RTCP_PSFB || p->count != RG_RTCP_PSFB_AFB || p->fci == NULL ||
      p->fci_len < 4 || memcmp(p->fci, "REMB", 4) != 0)
    return RG_ERR_NOT_FOUND;
  if (p->fci_len < REMB_HEADER_LEN)
    return RG_ERR_MALFORMED;
  n = p->fci[4];
  exp = p->fci[5] >> 2;
  mantissa = (uint32_t)(p->fci[5] & 0x03) << 16 | rg_be16(p->fci + 6);
  if ((size_t)n * SSRC_LEN > p->fci_len - REMB_HEADER_LEN)
    return RG_ERR_MALFORMED;
  /* An 18-bit mantissa shifted by up to 63 can overflow 64 bits: saturate. */
  if (mantissa != 0 && exp > 64 - REMB_MANTISSA_BITS && (mantissa >> (64 - exp)) != 0)
    bps = UINT64_MAX;
  else
    bps = (uint64_t)mantissa << exp;
  out->bitrate_bps = bps;
  out->n_ssrcs = n;
  out->ssrcs = p->fci + REMB_HEADER_LEN;
  return RG_OK;
}
