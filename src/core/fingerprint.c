/* Fingerprint text <-> binary, as a=fingerprint carries it (RFC 8122 §5). */
#include "rtcgate/fingerprint.h"
#include "rtcgate/error.h"

#include <string.h>
#include <strings.h>

static const struct {
  const char *name;
  uint8_t len;
} hashes[] = {
  [RG_HASH_SHA1] = {"sha-1", 20},     [RG_HASH_SHA224] = {"sha-224", 28},
  [RG_HASH_SHA256] = {"sha-256", 32}, [RG_HASH_SHA384] = {"sha-384", 48},
  [RG_HASH_SHA512] = {"sha-512", 64},
};
#define N_HASHES ((int)(sizeof hashes / sizeof hashes[0]))

const char *rg_hash_name(int hash)
{
  return hash > RG_HASH_NONE && hash < N_HASHES ? hashes[hash].name : NULL;
}

size_t rg_hash_len(int hash)
{
  return hash > RG_HASH_NONE && hash < N_HASHES ? hashes[hash].len : 0;
}

int rg_hash_from_name(const char *name, size_t len)
{
  for (int h = RG_HASH_NONE + 1; h < N_HASHES; h++)
    if (strlen(hashes[h].name) == len && strncasecmp(hashes[h].name, name, len) == 0)
      return h;
  return RG_HASH_NONE;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int rg_fingerprint_parse(struct rg_fingerprint *fp, const char *name, size_t name_len,
                         const char *hex, size_t hex_len)
{
  struct rg_fingerprint out;
  int hash = rg_hash_from_name(name, name_len);
  if (hash == RG_HASH_NONE)
    return RG_ERR_UNSUPPORTED;
  memset(&out, 0, sizeof out);
  out.hash = (uint8_t)hash;
  out.len = (uint8_t)rg_hash_len(hash);
  /* Exactly len pairs "XX" separated by single colons: 3*len - 1 characters. */
  if (hex_len != (size_t)out.len * 3 - 1)
    return RG_ERR_MALFORMED;
  for (size_t i = 0; i < out.len; i++) {
    int hi = hexval(hex[3 * i]), lo = hexval(hex[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i + 1 < out.len && hex[3 * i + 2] != ':'))
      return RG_ERR_MALFORMED;
    out.value[i] = (uint8_t)(hi << 4 | lo);
  }
  *fp = out;
  return RG_OK;
}

int rg_fingerprint_format(const struct rg_fingerprint *fp, char *buf, size_t cap)
{
  static const char digits[] = "0123456789ABCDEF";
  const char *name = rg_hash_name(fp->hash);
  size_t n, need;
  if (!name || fp->len != rg_hash_len(fp->hash))
    return RG_ERR_INVAL;
  n = strlen(name);
  need = n + 1 + (size_t)fp->len * 3; /* name, space, pairs+colons, NUL */
  if (cap < need)
    return RG_ERR_BUFFER;
  memcpy(buf, name, n);
  buf[n++] = ' ';
  for (size_t i = 0; i < fp->len; i++) {
    buf[n++] = digits[fp->value[i] >> 4];
    buf[n++] = digits[fp->value[i] & 15];
    if (i + 1 < fp->len)
      buf[n++] = ':';
  }
  buf[n] = '\0';
  return (int)n;
}

bool rg_fingerprint_equal(const struct rg_fingerprint *a, const struct rg_fingerprint *b)
{
  uint8_t diff = 0;
  if (a->hash != b->hash || a->len != b->len || a->len > RG_FINGERPRINT_MAX)
    return false;
  for (size_t i = 0; i < a->len; i++)
    diff |= a->value[i] ^ b->value[i];
  return diff == 0;
}
