/* STUN message writer (RFC 8489 §5, §14) into a caller buffer. The header
 * length is kept current after every attribute, so integrity and fingerprint
 * can be computed over the buffer as it stands. */
#include "rtcgate/error.h"
#include "rtcgate/stun.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define STUN_MAX_KEY_LEN 1024

static void put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
  put16(p, (uint16_t)(v >> 16));
  put16(p + 2, (uint16_t)v);
}

static int fail(struct rg_stun_writer *w, int err)
{
  if (w->err == RG_OK)
    w->err = err;
  return w->err;
}

int rg_stun_writer_init(struct rg_stun_writer *w, uint8_t *buf, size_t cap, uint16_t method, uint8_t cls,
                        const uint8_t tid[RG_STUN_TID_LEN])
{
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap < RG_STUN_MAX_MESSAGE ? cap : RG_STUN_MAX_MESSAGE;
  if (method > 0x0FFF || cls > 3)
    return fail(w, RG_ERR_INVAL);
  if (!buf || w->cap < RG_STUN_HEADER_LEN)
    return fail(w, RG_ERR_BUFFER);
  /* Method bits M0-M11 interleaved with class bits C0 (bit 4), C1 (bit 8). */
  uint16_t type = (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                             ((cls & 1) << 4) | ((cls & 2) << 7));
  put16(buf, type);
  put16(buf + 2, 0);
  put32(buf + 4, RG_STUN_MAGIC_COOKIE);
  memcpy(buf + 8, tid, RG_STUN_TID_LEN);
  w->len = RG_STUN_HEADER_LEN;
  return RG_OK;
}

/* Reserves an attribute of value length len; returns the value pointer. */
static uint8_t *reserve(struct rg_stun_writer *w, uint16_t type, size_t len)
{
  if (w->err != RG_OK)
    return NULL;
  size_t padded = (len + 3) & ~(size_t)3;
  if (len > 0xFFFF || padded + 4 > w->cap - w->len) {
    fail(w, RG_ERR_BUFFER);
    return NULL;
  }
  uint8_t *p = w->buf + w->len;
  put16(p, type);
  put16(p + 2, (uint16_t)len);
  memset(p + 4 + len, w->pad, padded - len);
  w->len += 4 + padded;
  put16(w->buf + 2, (uint16_t)(w->len - RG_STUN_HEADER_LEN));
  return p + 4;
}

int rg_stun_write_attr(struct rg_stun_writer *w, uint16_t type, const void *value, size_t len)
{
  if (w->err == RG_OK && len > 0 && !value)
    return fail(w, RG_ERR_INVAL);
  uint8_t *v = reserve(w, type, len);
  if (!v)
    return w->err;
  if (len)
    memcpy(v, value, len);
  return RG_OK;
}

int rg_stun_write_u32(struct rg_stun_writer *w, uint16_t type, uint32_t value)
{
  uint8_t v[4];
  put32(v, value);
  return rg_stun_write_attr(w, type, v, sizeof v);
}

int rg_stun_write_u64(struct rg_stun_writer *w, uint16_t type, uint64_t value)
{
  uint8_t v[8];
  put32(v, (uint32_t)(value >> 32));
  put32(v + 4, (uint32_t)value);
  return rg_stun_write_attr(w, type, v, sizeof v);
}

int rg_stun_write_xor_addr(struct rg_stun_writer *w, uint16_t type, const struct rg_addr *addr)
{
  size_t iplen = addr->family == RG_AF_INET4 ? 4 : addr->family == RG_AF_INET6 ? 16 : 0;
  if (w->err == RG_OK && iplen == 0)
    return fail(w, RG_ERR_INVAL);
  uint8_t *v = reserve(w, type, 4 + iplen);
  if (!v)
    return w->err;
  v[0] = 0;
  v[1] = iplen == 4 ? 0x01 : 0x02;
  /* xor key: magic cookie then transaction ID, as they sit in the header. */
  put16(v + 2, (uint16_t)(addr->port ^ (RG_STUN_MAGIC_COOKIE >> 16)));
  for (size_t i = 0; i < iplen; i++)
    v[4 + i] = addr->ip[i] ^ w->buf[4 + i];
  return RG_OK;
}

int rg_stun_write_error_code(struct rg_stun_writer *w, uint16_t code, const char *reason, size_t reason_len)
{
  if (w->err == RG_OK && (code < 300 || code > 699 || reason_len > RG_STUN_MAX_REASON || (reason_len && !reason)))
    return fail(w, RG_ERR_INVAL);
  uint8_t *v = reserve(w, RG_STUN_ATTR_ERROR_CODE, 4 + reason_len);
  if (!v)
    return w->err;
  v[0] = v[1] = 0;
  v[2] = (uint8_t)(code / 100);
  v[3] = (uint8_t)(code % 100);
  if (reason_len)
    memcpy(v + 4, reason, reason_len);
  return RG_OK;
}

int rg_stun_write_unknown_attrs(struct rg_stun_writer *w, const uint16_t *types, size_t n)
{
  if (w->err == RG_OK && (n == 0 || n > RG_STUN_MAX_UNKNOWN))
    return fail(w, RG_ERR_INVAL);
  uint8_t *v = reserve(w, RG_STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);
  if (!v)
    return w->err;
  for (size_t i = 0; i < n; i++)
    put16(v + 2 * i, types[i]);
  return RG_OK;
}

/* Appends an HMAC attribute: the header length is first set to include it,
 * then the HMAC is taken over everything before it (RFC 8489 §14.5/§14.6). */
static int write_hmac(struct rg_stun_writer *w, uint16_t type, const EVP_MD *md, const uint8_t *key,
                      size_t key_len, size_t tag_len)
{
  if (w->err != RG_OK)
    return w->err;
  if (key_len > STUN_MAX_KEY_LEN || (key_len && !key))
    return fail(w, RG_ERR_INVAL);
  size_t start = w->len;
  uint8_t *v = reserve(w, type, tag_len);
  if (!v)
    return w->err;
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  static const uint8_t empty = 0;
  if (!HMAC(md, key_len ? key : &empty, (int)key_len, w->buf, start, mac, &mac_len) || mac_len < tag_len)
    return fail(w, RG_ERR_CRYPTO);
  memcpy(v, mac, tag_len);
  OPENSSL_cleanse(mac, sizeof mac);
  return RG_OK;
}

int rg_stun_write_integrity(struct rg_stun_writer *w, const uint8_t *key, size_t key_len)
{
  return write_hmac(w, RG_STUN_ATTR_MESSAGE_INTEGRITY, EVP_sha1(), key, key_len, RG_STUN_MI_LEN);
}

int rg_stun_write_integrity_sha256(struct rg_stun_writer *w, const uint8_t *key, size_t key_len, size_t tag_len)
{
  if (w->err == RG_OK && (tag_len < RG_STUN_MI256_MIN_LEN || tag_len > RG_STUN_MI256_LEN || tag_len % 4))
    return fail(w, RG_ERR_INVAL);
  return write_hmac(w, RG_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, EVP_sha256(), key, key_len, tag_len);
}

int rg_stun_write_fingerprint(struct rg_stun_writer *w)
{
  size_t start = w->len;
  uint8_t *v = reserve(w, RG_STUN_ATTR_FINGERPRINT, 4);
  if (!v)
    return w->err;
  put32(v, rg_stun_crc32(w->buf, start) ^ RG_STUN_FINGERPRINT_XOR);
  return RG_OK;
}

int rg_stun_writer_finish(const struct rg_stun_writer *w, size_t *len)
{
  if (w->err != RG_OK)
    return w->err;
  *len = w->len;
  return RG_OK;
}
