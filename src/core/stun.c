/* STUN message parser (RFC 8489 §5, §6.3, §14): framing checks and decoding of
 * the attributes ICE uses. Works in place over the caller's buffer. */
#include "rtcgate/stun.h"
#include "rtcgate/error.h"

#include <string.h>

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t be32(const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t be64(const uint8_t *p) { return ((uint64_t)be32(p) << 32) | be32(p + 4); }

bool rg_stun_looks_like(const uint8_t *data, size_t len)
{
  if (len < RG_STUN_HEADER_LEN || (data[0] & 0xC0) != 0)
    return false;
  size_t body = be16(data + 2);
  return (body & 3) == 0 && body + RG_STUN_HEADER_LEN == len && be32(data + 4) == RG_STUN_MAGIC_COOKIE;
}

/* (X-)MAPPED-ADDRESS value (RFC 8489 §14.1/§14.2). The xor key is the magic
 * cookie followed by the transaction ID, which the header holds in order. */
static int decode_addr(struct rg_addr *out, const uint8_t *v, size_t len, const uint8_t *header, bool xored)
{
  struct rg_addr a;
  memset(&a, 0, sizeof a);
  if (len < 4)
    return RG_ERR_MALFORMED;
  size_t iplen;
  if (v[1] == 0x01 && len == 8) {
    a.family = RG_AF_INET4;
    iplen = 4;
  } else if (v[1] == 0x02 && len == 20) {
    a.family = RG_AF_INET6;
    iplen = 16;
  } else {
    return RG_ERR_MALFORMED;
  }
  a.port = be16(v + 2);
  memcpy(a.ip, v + 4, iplen);
  if (xored) {
    a.port ^= (uint16_t)(RG_STUN_MAGIC_COOKIE >> 16);
    for (size_t i = 0; i < iplen; i++)
      a.ip[i] ^= header[4 + i];
  }
  *out = a;
  return RG_OK;
}

static int set_bytes(struct rg_stun_bytes *b, const uint8_t *v, size_t len, size_t max)
{
  if (len > max)
    return RG_ERR_MALFORMED;
  if (!b->ptr) { /* only the first occurrence counts (RFC 8489 §14) */
    b->ptr = v;
    b->len = len;
  }
  return RG_OK;
}

/* Decodes one counted attribute into m. Known attributes with a value of the
 * wrong shape make the whole message malformed. */
static int decode_attr(struct rg_stun_msg *m, uint16_t type, const uint8_t *v, size_t len)
{
  switch (type) {
  case RG_STUN_ATTR_USERNAME:
    return set_bytes(&m->username, v, len, RG_STUN_MAX_USERNAME);
  case RG_STUN_ATTR_SOFTWARE:
    return set_bytes(&m->software, v, len, RG_STUN_MAX_SOFTWARE);
  case RG_STUN_ATTR_REALM:
    return set_bytes(&m->realm, v, len, RG_STUN_MAX_REASON);
  case RG_STUN_ATTR_NONCE:
    return set_bytes(&m->nonce, v, len, RG_STUN_MAX_REASON);
  case RG_STUN_ATTR_MESSAGE_INTEGRITY:
    return len == RG_STUN_MI_LEN ? RG_OK : RG_ERR_MALFORMED;
  case RG_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    return len >= RG_STUN_MI256_MIN_LEN && len <= RG_STUN_MI256_LEN && len % 4 == 0 ? RG_OK : RG_ERR_MALFORMED;
  case RG_STUN_ATTR_FINGERPRINT:
    return len == 4 ? RG_OK : RG_ERR_MALFORMED;
  case RG_STUN_ATTR_PRIORITY:
    if (len != 4)
      return RG_ERR_MALFORMED;
    if (!m->has_priority)
      m->priority = be32(v);
    m->has_priority = true;
    return RG_OK;
  case RG_STUN_ATTR_USE_CANDIDATE:
    if (len != 0)
      return RG_ERR_MALFORMED;
    m->use_candidate = true;
    return RG_OK;
  case RG_STUN_ATTR_ICE_CONTROLLING:
  case RG_STUN_ATTR_ICE_CONTROLLED: {
    if (len != 8)
      return RG_ERR_MALFORMED;
    bool controlling = type == RG_STUN_ATTR_ICE_CONTROLLING;
    bool *has = controlling ? &m->has_ice_controlling : &m->has_ice_controlled;
    if (!*has)
      *(controlling ? &m->ice_controlling : &m->ice_controlled) = be64(v);
    *has = true;
    return RG_OK;
  }
  case RG_STUN_ATTR_XOR_MAPPED_ADDRESS:
  case RG_STUN_ATTR_MAPPED_ADDRESS: {
    bool xored = type == RG_STUN_ATTR_XOR_MAPPED_ADDRESS;
    struct rg_addr a;
    int rc = decode_addr(&a, v, len, m->data, xored);
    if (rc != RG_OK)
      return rc;
    bool *has = xored ? &m->has_xor_mapped : &m->has_mapped;
    if (!*has)
      *(xored ? &m->xor_mapped : &m->mapped) = a;
    *has = true;
    return RG_OK;
  }
  case RG_STUN_ATTR_ERROR_CODE: {
    if (len < 4 || len > 4 + RG_STUN_MAX_REASON)
      return RG_ERR_MALFORMED;
    unsigned cls = v[2] & 0x07, num = v[3];
    if (cls < 3 || cls > 6 || num > 99)
      return RG_ERR_MALFORMED;
    if (!m->has_error) {
      m->error_code = (uint16_t)(cls * 100 + num);
      m->error_reason.ptr = v + 4;
      m->error_reason.len = len - 4;
    }
    m->has_error = true;
    return RG_OK;
  }
  case RG_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    if (len % 2)
      return RG_ERR_MALFORMED;
    for (size_t i = 0; i + 1 < len && m->nunknown_listed < RG_STUN_MAX_UNKNOWN; i += 2)
      m->unknown_listed[m->nunknown_listed++] = be16(v + i);
    return RG_OK;
  default: /* every type this parser knows has a case above */
    if (type < 0x8000 && m->nunknown < RG_STUN_MAX_UNKNOWN)
      m->unknown[m->nunknown++] = type;
    return RG_OK;
  }
}

int rg_stun_parse(struct rg_stun_msg *msg, const uint8_t *data, size_t len)
{
  if (len > RG_STUN_MAX_MESSAGE)
    return RG_ERR_TOO_LARGE;
  if (len < RG_STUN_HEADER_LEN || (data[0] & 0xC0) != 0)
    return RG_ERR_MALFORMED;
  size_t body = be16(data + 2);
  if (body + RG_STUN_HEADER_LEN != len || (body & 3) != 0 || be32(data + 4) != RG_STUN_MAGIC_COOKIE)
    return RG_ERR_MALFORMED;

  /* Large struct, but out-parameters are written only on success. */
  struct rg_stun_msg m;
  memset(&m, 0, sizeof m);
  m.data = data;
  m.len = len;
  uint16_t t = be16(data) & 0x3FFF;
  m.cls = (uint8_t)(((t >> 4) & 1) | ((t >> 7) & 2));
  m.method = (uint16_t)((t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80));
  memcpy(m.tid, data + 8, RG_STUN_TID_LEN);
  m.mi_index = m.mi256_index = m.fingerprint_index = -1;

  size_t seen = 0;
  for (size_t off = RG_STUN_HEADER_LEN; off < len;) {
    /* len - off >= 4 holds: both are multiples of 4. */
    uint16_t type = be16(data + off);
    size_t alen = be16(data + off + 2);
    size_t padded = (alen + 3) & ~(size_t)3;
    if (padded > len - off - 4)
      return RG_ERR_MALFORMED;
    if (m.fingerprint_index >= 0)
      return RG_ERR_MALFORMED; /* FINGERPRINT must be last (RFC 8489 §14.7) */
    if (++seen > RG_STUN_MAX_ATTRS)
      return RG_ERR_TOO_LARGE;

    /* RFC 8489 §9: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and
     * FINGERPRINT count; after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT. */
    bool counted = true;
    if (m.mi256_index >= 0)
      counted = type == RG_STUN_ATTR_FINGERPRINT;
    else if (m.mi_index >= 0)
      counted = type == RG_STUN_ATTR_FINGERPRINT || type == RG_STUN_ATTR_MESSAGE_INTEGRITY_SHA256;

    if (counted) {
      int rc = decode_attr(&m, type, data + off + 4, alen);
      if (rc != RG_OK)
        return rc;
      struct rg_stun_attr *a = &m.attrs[m.nattrs];
      a->type = type;
      a->len = (uint16_t)alen;
      a->offset = (uint16_t)(off + 4);
      if (type == RG_STUN_ATTR_MESSAGE_INTEGRITY)
        m.mi_index = (int)m.nattrs;
      else if (type == RG_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
        m.mi256_index = (int)m.nattrs;
      else if (type == RG_STUN_ATTR_FINGERPRINT)
        m.fingerprint_index = (int)m.nattrs;
      m.nattrs++;
    }
    off += 4 + padded;
  }
  *msg = m;
  return RG_OK;
}

int rg_stun_find(const struct rg_stun_msg *msg, uint16_t type, const uint8_t **value, size_t *len)
{
  for (size_t i = 0; i < msg->nattrs; i++) {
    if (msg->attrs[i].type == type) {
      *value = msg->data + msg->attrs[i].offset;
      *len = msg->attrs[i].len;
      return RG_OK;
    }
  }
  return RG_ERR_NOT_FOUND;
}
