/* RTP header extension elements, one-byte and two-byte forms (RFC 8285 §4). */
#include "rtcgate/error.h"
#include "rtcgate/rtp.h"

enum rg_rtp_ext_form rg_rtp_ext_form(const struct rg_rtp_view *v)
{
  if (!v->extension)
    return RG_RTP_EXT_FORM_NONE;
  if (v->ext_profile == RG_RTP_EXT_ONE_BYTE_PROFILE)
    return RG_RTP_EXT_FORM_ONE_BYTE;
  if ((v->ext_profile & RG_RTP_EXT_TWO_BYTE_MASK) == RG_RTP_EXT_TWO_BYTE_PROFILE)
    return RG_RTP_EXT_FORM_TWO_BYTE;
  return RG_RTP_EXT_FORM_PROFILE;
}

int rg_rtp_ext_iter_init(struct rg_rtp_ext_iter *it, const struct rg_rtp_view *v)
{
  enum rg_rtp_ext_form form = rg_rtp_ext_form(v);
  if (form == RG_RTP_EXT_FORM_NONE)
    return RG_ERR_NOT_FOUND;
  if (form == RG_RTP_EXT_FORM_PROFILE)
    return RG_ERR_UNSUPPORTED;
  it->p = v->ext_data;
  it->len = v->ext_len;
  it->off = 0;
  it->form = (uint8_t)form;
  return RG_OK;
}

/* One-byte form: 4-bit ID, 4-bit L, L+1 data bytes. A zero byte is padding
 * (RFC 8285 §4.2 reserves ID 0 for it); like libwebrtc we skip any ID-0 byte
 * whatever its L, since it carries no element. ID 15 stops processing. */
static int next_one_byte(struct rg_rtp_ext_iter *it, struct rg_rtp_ext_elem *out)
{
  while (it->off < it->len) {
    uint8_t b = it->p[it->off];
    uint8_t id = b >> 4;
    size_t n = (size_t)(b & 0x0F) + 1;
    if (id == 0) {
      it->off++;
      continue;
    }
    if (id == RG_RTP_EXT_ONE_BYTE_ID_STOP) {
      it->off = it->len;
      return 0;
    }
    if (n > it->len - it->off - 1)
      return RG_ERR_MALFORMED;
    out->id = id;
    out->len = (uint8_t)n;
    out->data = it->p + it->off + 1;
    it->off += 1 + n;
    return 1;
  }
  return 0;
}

/* Two-byte form: 8-bit ID, 8-bit length (0..255), data. ID 0 is a single
 * padding byte (RFC 8285 §4.3). */
static int next_two_byte(struct rg_rtp_ext_iter *it, struct rg_rtp_ext_elem *out)
{
  while (it->off < it->len) {
    uint8_t id = it->p[it->off];
    size_t n;
    if (id == 0) {
      it->off++;
      continue;
    }
    if (it->len - it->off < 2)
      return RG_ERR_MALFORMED;
    n = it->p[it->off + 1];
    if (n > it->len - it->off - 2)
      return RG_ERR_MALFORMED;
    out->id = id;
    out->len = (uint8_t)n;
    out->data = it->p + it->off + 2;
    it->off += 2 + n;
    return 1;
  }
  return 0;
}

int rg_rtp_ext_next(struct rg_rtp_ext_iter *it, struct rg_rtp_ext_elem *out)
{
  struct rg_rtp_ext_elem e;
  int rc;
  if (it->form == RG_RTP_EXT_FORM_ONE_BYTE)
    rc = next_one_byte(it, &e);
  else if (it->form == RG_RTP_EXT_FORM_TWO_BYTE)
    rc = next_two_byte(it, &e);
  else
    return RG_ERR_INVAL;
  if (rc < 0) {
    it->off = it->len; /* a broken extension yields nothing more */
    return rc;
  }
  if (rc == 1)
    *out = e;
  return rc;
}

int rg_rtp_ext_find(const struct rg_rtp_view *v, uint8_t id, struct rg_rtp_ext_elem *out)
{
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  int rc = rg_rtp_ext_iter_init(&it, v);
  if (rc < 0)
    return rc;
  while ((rc = rg_rtp_ext_next(&it, &e)) == 1) {
    if (e.id == id) {
      *out = e;
      return RG_OK;
    }
  }
  return rc < 0 ? rc : RG_ERR_NOT_FOUND;
}
