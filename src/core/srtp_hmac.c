/* HMAC-SHA1 for the AES-CM profiles (RFC 3711 §4.2.1, RFC 2104) with the
 * inner and outer SHA-1 states computed once per session key.
 *
 * Why the low-level SHA1_* calls, deprecated in OpenSSL 3: a SHA_CTX is a
 * plain struct, so restoring the precomputed ipad/opad state per packet is a
 * 96-byte copy. The EVP alternatives cost more per packet (measured on this
 * machine, see docs/benchmarks.md: EVP_MD_CTX_copy_ex goes through the
 * provider's dupctx, EVP_MAC_init re-keys). The deprecation warnings are
 * silenced for this file only; the functions remain in OpenSSL 3.x.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "srtp_internal.h"

#include <string.h>

#include <openssl/crypto.h>

#define HMAC_BLOCK 64 /* SHA-1 block size */

void rg_srtp_hmac_init(struct rg_srtp_hmac *h, const uint8_t key[RG_SRTP_AUTH_KEY_LEN])
{
  uint8_t pad[HMAC_BLOCK];
  /* The 20-byte key is shorter than a block: zero-padded, never hashed. */
  memset(pad, 0x36, sizeof pad);
  for (size_t i = 0; i < RG_SRTP_AUTH_KEY_LEN; i++)
    pad[i] ^= key[i];
  SHA1_Init(&h->inner);
  SHA1_Update(&h->inner, pad, sizeof pad);
  memset(pad, 0x5c, sizeof pad);
  for (size_t i = 0; i < RG_SRTP_AUTH_KEY_LEN; i++)
    pad[i] ^= key[i];
  SHA1_Init(&h->outer);
  SHA1_Update(&h->outer, pad, sizeof pad);
  OPENSSL_cleanse(pad, sizeof pad);
}

void rg_srtp_hmac(const struct rg_srtp_hmac *h, const uint8_t *a, size_t a_len, const uint8_t *b,
                  size_t b_len, uint8_t out[SHA_DIGEST_LENGTH])
{
  SHA_CTX c = h->inner;
  uint8_t inner[SHA_DIGEST_LENGTH];
  SHA1_Update(&c, a, a_len);
  if (b_len)
    SHA1_Update(&c, b, b_len);
  SHA1_Final(inner, &c);
  c = h->outer;
  SHA1_Update(&c, inner, sizeof inner);
  SHA1_Final(out, &c);
}

void rg_srtp_hmac_wipe(struct rg_srtp_hmac *h)
{
  OPENSSL_cleanse(h, sizeof *h);
}
