/* STUN integrity and fingerprint checks (RFC 8489 §9, §14.5-§14.7) and the
 * long-term key. STUN is not on the per-packet media path (a few messages per
 * leg every few seconds), so one-shot OpenSSL calls are used here. */
#include "rtcgate/error.h"
#include "rtcgate/stun.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* A key longer than this is no ICE password (at most 256 chars, RFC 8445). */
#define STUN_MAX_KEY_LEN 1024

uint32_t rg_stun_crc32(const uint8_t *data, size_t len)
{
  /* Bitwise CRC-32 (reflected 0x04C11DB7): messages are small and this keeps
   * a 1 KB table out of the core; a STUN message costs well under 1 µs. */
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

int rg_stun_check_fingerprint(const struct rg_stun_msg *msg)
{
  if (msg->fingerprint_index < 0)
    return RG_ERR_NOT_FOUND;
  const struct rg_stun_attr *a = &msg->attrs[msg->fingerprint_index];
  /* FINGERPRINT is the last attribute, so the header length already covers
   * it, as RFC 8489 §14.7 asks for the CRC input. */
  const uint8_t *v = msg->data + a->offset;
  uint32_t want = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) | ((uint32_t)v[2] << 8) | v[3];
  uint32_t got = rg_stun_crc32(msg->data, (size_t)a->offset - 4) ^ RG_STUN_FINGERPRINT_XOR;
  return got == want ? RG_OK : RG_ERR_MALFORMED;
}

int rg_stun_check_integrity(const struct rg_stun_msg *msg, const uint8_t *key, size_t key_len)
{
  if (key_len > STUN_MAX_KEY_LEN || (key_len > 0 && !key))
    return RG_ERR_INVAL;
  /* MESSAGE-INTEGRITY-SHA256 is the stronger tag: prefer it when present. */
  int idx = msg->mi256_index >= 0 ? msg->mi256_index : msg->mi_index;
  if (idx < 0)
    return RG_ERR_NOT_FOUND;
  bool sha256 = idx == msg->mi256_index;
  const struct rg_stun_attr *a = &msg->attrs[idx];
  size_t hdr_off = (size_t)a->offset - 4;

  /* The HMAC covers the message up to the attribute, with the header length
   * set as if the attribute were the last one (RFC 8489 §14.5, §14.6). */
  uint8_t copy[RG_STUN_MAX_MESSAGE];
  memcpy(copy, msg->data, hdr_off);
  size_t adjusted = (size_t)a->offset + a->len - RG_STUN_HEADER_LEN;
  copy[2] = (uint8_t)(adjusted >> 8);
  copy[3] = (uint8_t)adjusted;

  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  static const uint8_t empty = 0; /* HMAC wants a non-NULL key pointer */
  if (!HMAC(sha256 ? EVP_sha256() : EVP_sha1(), key_len ? key : &empty, (int)key_len, copy, hdr_off, mac,
            &mac_len))
    return RG_ERR_CRYPTO;
  int rc = CRYPTO_memcmp(mac, msg->data + a->offset, a->len) == 0 ? RG_OK : RG_ERR_AUTH;
  OPENSSL_cleanse(mac, sizeof mac);
  return rc;
}

int rg_stun_long_term_key(uint8_t key[RG_STUN_LONG_TERM_KEY_LEN], const uint8_t *user, size_t user_len,
                          const uint8_t *realm, size_t realm_len, const uint8_t *pass, size_t pass_len)
{
  if (user_len > RG_STUN_MAX_USERNAME || realm_len > RG_STUN_MAX_REASON || pass_len > STUN_MAX_KEY_LEN)
    return RG_ERR_INVAL;
  int rc = RG_ERR_CRYPTO;
  unsigned int out_len = 0;
  uint8_t out[EVP_MAX_MD_SIZE];
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx)
    return RG_ERR_NOMEM;
  if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 || EVP_DigestUpdate(ctx, user, user_len) != 1 ||
      EVP_DigestUpdate(ctx, ":", 1) != 1 || EVP_DigestUpdate(ctx, realm, realm_len) != 1 ||
      EVP_DigestUpdate(ctx, ":", 1) != 1 || EVP_DigestUpdate(ctx, pass, pass_len) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &out_len) != 1 || out_len != RG_STUN_LONG_TERM_KEY_LEN)
    goto fail;
  memcpy(key, out, RG_STUN_LONG_TERM_KEY_LEN);
  rc = RG_OK;
fail:
  EVP_MD_CTX_free(ctx);
  OPENSSL_cleanse(out, sizeof out);
  return rc;
}
