/* RTP fixed header, CSRC list, extension bounds and padding (RFC 3550 §5.1, §5.3.1). */
#include "rtcgate/rtp.h"
#include "rtcgate/error.h"
#include "rtp_bytes_internal.h"

int rg_rtp_parse(const uint8_t *buf, size_t len, struct rg_rtp_view *out)
{
  struct rg_rtp_view v = {0};
  size_t off;

  if (buf == NULL || len < RG_RTP_FIXED_HEADER_LEN)
    return RG_ERR_MALFORMED;
  v.buf = buf;
  v.len = len;
  v.version = buf[0] >> 6;
  if (v.version != RG_RTP_VERSION)
    return RG_ERR_MALFORMED;
  v.padding = (buf[0] & 0x20) != 0;
  v.extension = (buf[0] & 0x10) != 0;
  v.csrc_count = buf[0] & 0x0F;
  v.marker = (buf[1] & 0x80) != 0;
  v.payload_type = buf[1] & 0x7F;
  v.seq = rg_be16(buf + 2);
  v.timestamp = rg_be32(buf + 4);
  v.ssrc = rg_be32(buf + 8);

  off = RG_RTP_FIXED_HEADER_LEN + 4u * v.csrc_count;
  if (off > len)
    return RG_ERR_MALFORMED;

  if (v.extension) {
    size_t ext_len;
    if (len - off < RG_RTP_EXT_HEADER_LEN)
      return RG_ERR_MALFORMED;
    v.ext_profile = rg_be16(buf + off);
    ext_len = 4u * rg_be16(buf + off + 2);
    off += RG_RTP_EXT_HEADER_LEN;
    if (ext_len > len - off)
      return RG_ERR_MALFORMED;
    v.ext_data = buf + off;
    v.ext_len = ext_len;
    off += ext_len;
  }
  v.header_len = off;

  if (v.padding) {
    /* The last octet counts the padding including itself (§5.1), so it
     * must be at least 1 and may not eat into the header. */
    uint8_t pad = buf[len - 1];
    if (off == len || pad == 0 || pad > len - off)
      return RG_ERR_MALFORMED;
    v.padding_len = pad;
  }
  v.payload_len = len - off - v.padding_len;
  *out = v;
  return RG_OK;
}

uint32_t rg_rtp_csrc(const struct rg_rtp_view *v, unsigned i)
{
  if (i >= v->csrc_count)
    return 0;
  return rg_be32(v->buf + RG_RTP_FIXED_HEADER_LEN + 4u * i);
}

int rg_rtp_set_ssrc(uint8_t *buf, size_t len, uint32_t ssrc)
{
  if (buf == NULL || len < RG_RTP_FIXED_HEADER_LEN)
    return RG_ERR_MALFORMED;
  rg_put_be32(buf + 8, ssrc);
  return RG_OK;
}

int rg_rtp_set_seq(uint8_t *buf, size_t len, uint16_t seq)
{
  if (buf == NULL || len < RG_RTP_FIXED_HEADER_LEN)
    return RG_ERR_MALFORMED;
  rg_put_be16(buf + 2, seq);
  return RG_OK;
}

int rg_rtp_set_timestamp(uint8_t *buf, size_t len, uint32_t ts)
{
  if (buf == NULL || len < RG_RTP_FIXED_HEADER_LEN)
    return RG_ERR_MALFORMED;
  rg_put_be32(buf + 4, ts);
  return RG_OK;
}

int rg_rtp_set_payload_type(uint8_t *buf, size_t len, uint8_t pt)
{
  if (buf == NULL || len < RG_RTP_FIXED_HEADER_LEN)
    return RG_ERR_MALFORMED;
  if (pt > RG_RTP_PT_MAX)
    return RG_ERR_INVAL;
  buf[1] = (uint8_t)((buf[1] & 0x80) | pt);
  return RG_OK;
}
