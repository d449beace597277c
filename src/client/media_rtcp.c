/* RTCP SR, RR and SDES writers (RFC 3550 §6.4, §6.5) and the reading of the
 * peer's reports about our stream, including the round-trip time of §6.4.1. */
#include "media_internal.h"
#include "core/rtp_bytes_internal.h"
#include "rtcgate/error.h"

#include <string.h>

#define SSRC_LEN 4
#define SDES_CNAME 1               /* item type */
#define SDES_ITEM_HEADER 2         /* type + length */
#define US_PER_S 1000000u
#define MID32_UNITS 65536u         /* LSR/DLSR/A count 1/65536 s */

static void put_header(uint8_t *p, unsigned count, uint8_t type, size_t len)
{
  p[0] = (uint8_t)(2u << 6 | count); /* V=2, no padding */
  p[1] = type;
  rg_put_be16(p + 2, (uint16_t)(len / 4 - 1));
}

static void put_block(uint8_t *p, const struct rg_rtcp_report_block *b)
{
  int32_t lost = b->cumulative_lost;
  if (lost > 0x7FFFFF)
    lost = 0x7FFFFF;
  if (lost < -0x800000)
    lost = -0x800000;
  rg_put_be32(p, b->ssrc);
  rg_put_be32(p + 4, (uint32_t)b->fraction_lost << 24 | ((uint32_t)lost & 0xFFFFFFu));
  rg_put_be32(p + 8, b->ext_highest_seq);
  rg_put_be32(p + 12, b->jitter);
  rg_put_be32(p + 16, b->lsr);
  rg_put_be32(p + 20, b->dlsr);
}

static int write_report(uint8_t *buf, size_t cap, uint8_t type, uint32_t ssrc,
                        const struct rg_rtcp_sender_info *si,
                        const struct rg_rtcp_report_block *blocks, unsigned n, size_t *out_len)
{
  size_t len = RG_RTCP_HEADER_LEN + SSRC_LEN + (si ? RG_RTCP_SR_INFO_LEN : 0) +
               (size_t)n * RG_RTCP_REPORT_BLOCK_LEN;
  uint8_t *p;
  unsigned i;
  if (buf == NULL || out_len == NULL || (blocks == NULL && n > 0))
    return RG_ERR_INVAL;
  if (n > RG_RTCP_MAX_BLOCKS)
    return RG_ERR_TOO_LARGE;
  if (cap < len)
    return RG_ERR_BUFFER;
  put_header(buf, n, type, len);
  rg_put_be32(buf + RG_RTCP_HEADER_LEN, ssrc);
  p = buf + RG_RTCP_HEADER_LEN + SSRC_LEN;
  if (si != NULL) {
    rg_put_be32(p, (uint32_t)(si->ntp >> 32));
    rg_put_be32(p + 4, (uint32_t)si->ntp);
    rg_put_be32(p + 8, si->rtp_ts);
    rg_put_be32(p + 12, si->packets);
    rg_put_be32(p + 16, si->octets);
    p += RG_RTCP_SR_INFO_LEN;
  }
  for (i = 0; i < n; i++, p += RG_RTCP_REPORT_BLOCK_LEN)
    put_block(p, &blocks[i]);
  *out_len = len;
  return RG_OK;
}

int rg_media_rtcp_write_sr(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const struct rg_rtcp_sender_info *si,
                           const struct rg_rtcp_report_block *blocks, unsigned n, size_t *out_len)
{
  if (si == NULL)
    return RG_ERR_INVAL;
  return write_report(buf, cap, RG_RTCP_SR, ssrc, si, blocks, n, out_len);
}

int rg_media_rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                           const struct rg_rtcp_report_block *blocks, unsigned n, size_t *out_len)
{
  return write_report(buf, cap, RG_RTCP_RR, ssrc, NULL, blocks, n, out_len);
}

int rg_media_rtcp_write_sdes(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname,
                             size_t cname_len, size_t *out_len)
{
  /* chunk: SSRC, CNAME item, then at least one zero octet ending the item
   * list, padded up to a 32-bit boundary (RFC 3550 §6.5). */
  size_t items = SDES_ITEM_HEADER + cname_len + 1;
  size_t len = RG_RTCP_HEADER_LEN + SSRC_LEN + ((items + 3) & ~(size_t)3);
  uint8_t *p;
  if (buf == NULL || out_len == NULL || (cname == NULL && cname_len > 0))
    return RG_ERR_INVAL;
  if (cname_len == 0 || cname_len > RG_RTCP_CNAME_MAX)
    return RG_ERR_INVAL;
  if (cap < len)
    return RG_ERR_BUFFER;
  put_header(buf, 1, RG_RTCP_SDES, len);
  rg_put_be32(buf + RG_RTCP_HEADER_LEN, ssrc);
  p = buf + RG_RTCP_HEADER_LEN + SSRC_LEN;
  memset(p, 0, len - RG_RTCP_HEADER_LEN - SSRC_LEN);
  p[0] = SDES_CNAME;
  p[1] = (uint8_t)cname_len;
  memcpy(p + SDES_ITEM_HEADER, cname, cname_len);
  *out_len = len;
  return RG_OK;
}

/* RFC 3550 §6.4.1: RTT = A - LSR - DLSR in 1/65536 s, A being our arrival time. */
static void learn_rtt(struct rg_media_remote_report *r, const struct rg_rtcp_report_block *b,
                      uint64_t ntp_now)
{
  uint32_t a = rg_media_ntp_mid32(ntp_now);
  uint32_t rtt;
  if (b->lsr == 0)
    return; /* the peer has not seen an SR from us yet */
  rtt = a - b->lsr - b->dlsr;
  if ((int32_t)rtt < 0)
    return; /* clocks disagree or a stale echo: no estimate beats a wrong one */
  r->have_rtt = true;
  r->rtt_us = (uint64_t)rtt * US_PER_S / MID32_UNITS;
}

int rg_media_rtcp_receive(const uint8_t *buf, size_t len, uint64_t now_us, uint64_t ntp_now,
                          uint32_t our_ssrc, struct rg_rtp_rx_stats *rx,
                          struct rg_media_remote_report *remote)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_summary sum;
  int rc, found = 0;

  if (buf == NULL || remote == NULL)
    return RG_ERR_INVAL;
  /* Validate the whole compound first: a bad tail must not leave half an update. */
  rc = rg_rtcp_walk(buf, len, &sum);
  if (rc != RG_OK)
    return rc;
  rg_rtcp_iter_init(&it, buf, len);
  while ((rc = rg_rtcp_iter_next(&it, &p)) == 1) {
    unsigned i;
    if (p.type != RG_RTCP_SR && p.type != RG_RTCP_RR)
      continue;
    if (p.type == RG_RTCP_SR && rx != NULL && rx->init && p.sender_ssrc == rx->ssrc) {
      struct rg_rtcp_sender_info si;
      if (rg_rtcp_sr_sender_info(&p, &si) == RG_OK)
        rg_rtp_rx_stats_on_sr(rx, si.ntp, now_us);
    }
    for (i = 0; i < p.count; i++) {
      struct rg_rtcp_report_block b;
      if (rg_rtcp_report_block(&p, i, &b) != RG_OK || b.ssrc != our_ssrc)
        continue;
      remote->valid = true;
      remote->fraction_lost = b.fraction_lost;
      remote->cumulative_lost = b.cumulative_lost;
      remote->ext_highest_seq = b.ext_highest_seq;
      remote->jitter = b.jitter;
      learn_rtt(remote, &b, ntp_now);
      found++;
    }
  }
  return rc < 0 ? rc : found;
}
