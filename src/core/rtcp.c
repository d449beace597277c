/* RTCP compound walk and per-type validation (RFC 3550 §6.4-6.7, A.2; RFC 4585 §6;
 * RFC 5506 §3 reduced-size). */
#include "rtcgate/error.h"
#include "rtcgate/rtcp.h"
#include "rtp_bytes_internal.h"

#include <string.h>

#define RTCP_VERSION 2
#define SSRC_LEN 4
#define FB_SSRCS_LEN 8      /* sender SSRC + media source SSRC, RFC 4585 §6.1 */
#define APP_MIN_LEN 8       /* SSRC + 4-char name, RFC 3550 §6.7 */
#define NACK_ITEM_LEN 4     /* PID + BLP */
#define FIR_ITEM_LEN 8      /* SSRC + seq + reserved, RFC 5104 §4.3.1.1 */
#define TWCC_MIN_FCI 8      /* base seq, status count, ref time, fb count */
#define SDES_ITEM_END 0

void rg_rtcp_iter_init(struct rg_rtcp_iter *it, const uint8_t *buf, size_t len)
{
  it->buf = buf;
  it->len = buf == NULL ? 0 : len;
  it->off = 0;
  it->n = 0;
  it->err = 0;
}

/* SDES: sc chunks of SSRC + items + END + null padding to a 32-bit boundary
 * (RFC 3550 §6.5). The chunks must fill the body exactly. */
static int check_sdes(const uint8_t *b, size_t n, unsigned sc)
{
  size_t off = 0;
  for (unsigned c = 0; c < sc; c++) {
    if (n - off < SSRC_LEN)
      return RG_ERR_MALFORMED;
    off += SSRC_LEN;
    for (;;) {
      if (off >= n)
        return RG_ERR_MALFORMED; /* no END item */
      if (b[off] == SDES_ITEM_END)
        break;
      if (n - off < 2 || (size_t)b[off + 1] > n - off - 2)
        return RG_ERR_MALFORMED;
      off += 2 + (size_t)b[off + 1];
    }
    off = (off + 4) & ~(size_t)3; /* END octet plus nulls to the next word */
    if (off > n)
      return RG_ERR_MALFORMED;
  }
  return off == n ? RG_OK : RG_ERR_MALFORMED;
}

/* BYE: sc SSRC/CSRCs, then an optional length-prefixed reason (RFC 3550 §6.6). */
static int check_bye(const uint8_t *b, size_t n, unsigned sc)
{
  size_t off = (size_t)sc * SSRC_LEN;
  if (off > n)
    return RG_ERR_MALFORMED;
  if (off < n && (size_t)b[off] > n - off - 1)
    return RG_ERR_MALFORMED;
  return RG_OK;
}

static int check_feedback(struct rg_rtcp_pkt *p)
{
  if (p->body_len < FB_SSRCS_LEN)
    return RG_ERR_MALFORMED;
  p->media_ssrc = rg_be32(p->body + SSRC_LEN);
  p->fci = p->body + FB_SSRCS_LEN;
  p->fci_len = p->body_len - FB_SSRCS_LEN;
  if (p->type == RG_RTCP_RTPFB && p->count == RG_RTCP_RTPFB_NACK)
    return p->fci_len >= NACK_ITEM_LEN && p->fci_len % NACK_ITEM_LEN == 0 ? RG_OK : RG_ERR_MALFORMED;
  if (p->type == RG_RTCP_RTPFB && p->count == RG_RTCP_RTPFB_TWCC)
    return p->fci_len >= TWCC_MIN_FCI ? RG_OK : RG_ERR_MALFORMED;
  if (p->type == RG_RTCP_PSFB && p->count == RG_RTCP_PSFB_FIR)
    return p->fci_len >= FIR_ITEM_LEN && p->fci_len % FIR_ITEM_LEN == 0 ? RG_OK : RG_ERR_MALFORMED;
  return RG_OK;
}

/* Type-specific minimum sizes and the sender SSRC. */
static int check_body(struct rg_rtcp_pkt *p)
{
  size_t need = 0;
  int rc;
  switch (p->type) {
  case RG_RTCP_SR:
    need = SSRC_LEN + RG_RTCP_SR_INFO_LEN + (size_t)p->count * RG_RTCP_REPORT_BLOCK_LEN;
    break;
  case RG_RTCP_RR:
    need = SSRC_LEN + (size_t)p->count * RG_RTCP_REPORT_BLOCK_LEN;
    break;
  case RG_RTCP_SDES:
    if ((rc = check_sdes(p->body, p->body_len, p->count)) < 0)
      return rc;
    break;
  case RG_RTCP_BYE:
    if ((rc = check_bye(p->body, p->body_len, p->count)) < 0)
      return rc;
    break;
  case RG_RTCP_APP:
    need = APP_MIN_LEN;
    break;
  case RG_RTCP_RTPFB:
  case RG_RTCP_PSFB:
    if ((rc = check_feedback(p)) < 0)
      return rc;
    break;
  case RG_RTCP_XR:
    need = SSRC_LEN;
    break;
  default:
    /* Other RTCP types (IJ, AVB, RSI, ...) have no common sender field:
     * reported without one. */
    return RG_OK;
  }
  if (p->body_len < need)
    return RG_ERR_MALFORMED;
  /* SDES / BYE with a zero count carry no SSRC at all. */
  if ((p->type == RG_RTCP_SDES || p->type == RG_RTCP_BYE) && p->count == 0)
    return RG_OK;
  p->has_sender = true;
  p->sender_ssrc = rg_be32(p->body);
  return RG_OK;
}

static int parse_one(struct rg_rtcp_iter *it, struct rg_rtcp_pkt *out)
{
  const uint8_t *h = it->buf + it->off;
  size_t left = it->len - it->off;
  struct rg_rtcp_pkt p;
  size_t plen;
  int rc;

  if (left < RG_RTCP_HEADER_LEN)
    return RG_ERR_MALFORMED;
  memset(&p, 0, sizeof p);
  if ((h[0] >> 6) != RTCP_VERSION)
    return RG_ERR_MALFORMED;
  p.type = h[1];
  if (p.type < RG_RTCP_TYPE_MIN || p.type > RG_RTCP_TYPE_MAX)
    return RG_ERR_MALFORMED;
  p.padding = (h[0] & 0x20) != 0;
  p.count = h[0] & 0x1F;
  plen = 4u * ((size_t)rg_be16(h + 2) + 1);
  if (plen > left)
    return RG_ERR_MALFORMED;
  p.ptr = h;
  p.len = plen;
  p.body = h + RG_RTCP_HEADER_LEN;
  p.body_len = plen - RG_RTCP_HEADER_LEN;
  if (p.padding) {
    /* Padding goes on the last packet only (RFC 3550 §6.4.1, A.2). */
    uint8_t pad = h[plen - 1];
    if (plen != left || pad == 0 || pad > p.body_len)
      return RG_ERR_MALFORMED;
    p.body_len -= pad;
  }
  if ((rc = check_body(&p)) < 0)
    return rc;
  *out = p;
  return RG_OK;
}

int rg_rtcp_iter_next(struct rg_rtcp_iter *it, struct rg_rtcp_pkt *out)
{
  struct rg_rtcp_pkt p;
  int rc;
  if (it->err < 0)
    return it->err;
  if (it->off == it->len) {
    if (it->n == 0)
      return RG_ERR_MALFORMED;
    return 0;
  }
  if (it->n >= RG_RTCP_MAX_PACKETS) {
    rc = RG_ERR_TOO_LARGE;
    goto stop;
  }
  if ((rc = parse_one(it, &p)) < 0)
    goto stop;
  it->off += p.len;
  it->n++;
  *out = p;
  return 1;
stop:
  it->off = it->len;
  it->err = rc; /* never report a clean end after an error */
  return rc;
}

int rg_rtcp_walk(const uint8_t *buf, size_t len, struct rg_rtcp_summary *out)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_summary s;
  int rc;

  s.count = 0;
  s.n_senders = 0;
  s.has_sender = false;
  s.first_sender_ssrc = 0;
  rg_rtcp_iter_init(&it, buf, len);
  while ((rc = rg_rtcp_iter_next(&it, &p)) == 1) {
    s.types[s.count++] = p.type;
    if (p.has_sender)
      s.senders[s.n_senders++] = p.sender_ssrc;
  }
  if (rc < 0)
    return rc;
  s.has_sender = s.n_senders > 0;
  if (s.has_sender)
    s.first_sender_ssrc = s.senders[0];
  memcpy(out, &s, sizeof s);
  return RG_OK;
}

const char *rg_rtcp_type_name(uint8_t type)
{
  static const char *const names[] = {"SR", "RR", "SDES", "BYE", "APP", "RTPFB", "PSFB", "XR"};
  if (type >= RG_RTCP_SR && type <= RG_RTCP_XR)
    return names[type - RG_RTCP_SR];
  return "other";
}
