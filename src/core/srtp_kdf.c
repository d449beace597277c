/* SRTP session key derivation (RFC 3711 §4.3.1 with key derivation rate 0,
 * RFC 6188 §7 for the AES-256 PRF, RFC 7714 §11 for the GCM profiles).
 *
 * The PRF is AES in counter mode keyed with the master key; the initial counter
 * block for label L is (master_salt XOR (L << 48)) << 16. With KDR 0 the
 * "r" term is zero, so each key is derived once, at context creation.
 */
#include "srtp_internal.h"

#include <string.h>

#include <openssl/crypto.h>

#include "rtcgate/error.h"

/* RFC 3711 §4.3.2 labels. */
enum { LABEL_RTP_ENC = 0, LABEL_RTP_AUTH = 1, LABEL_RTP_SALT = 2,
       LABEL_RTCP_ENC = 3, LABEL_RTCP_AUTH = 4, LABEL_RTCP_SALT = 5 };

/* The label sits at octet 7 of the 14-octet key_id/salt space: key_id is
 * label (8 bits) || r (48 bits), aligned to the right of the 112-bit salt. */
#define KDF_LABEL_OCTET 7

int rg_srtp_aes_cm(EVP_CIPHER_CTX *ctx, const uint8_t iv[RG_SRTP_CM_IV_LEN], uint8_t *buf,
                   size_t len)
{
  int outl = 0;
  if (len > RG_SRTP_MAX_PACKET)
    return RG_ERR_TOO_LARGE;
  /* Only the IV changes: the key schedule was set up once in the context. */
  if (EVP_EncryptInit_ex2(ctx, NULL, NULL, iv, NULL) != 1)
    return RG_ERR_CRYPTO;
  if (len && EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len) != 1)
    return RG_ERR_CRYPTO;
  return RG_OK;
}

static int prf(EVP_CIPHER_CTX *ctx, const uint8_t salt14[RG_SRTP_MAX_SALT_LEN], uint8_t label,
               uint8_t *out, size_t len)
{
  uint8_t iv[RG_SRTP_CM_IV_LEN] = {0};
  memcpy(iv, salt14, RG_SRTP_MAX_SALT_LEN);
  iv[KDF_LABEL_OCTET] ^= label;
  memset(out, 0, len);
  return rg_srtp_aes_cm(ctx, iv, out, len);
}

int rg_srtp_derive_keys(const struct rg_srtp_profile_info *info, const uint8_t *master_key,
                        const uint8_t *master_salt, struct rg_srtp_session_keys *out)
{
  struct rg_srtp_session_keys k;
  uint8_t salt14[RG_SRTP_MAX_SALT_LEN] = {0};
  EVP_CIPHER *alg = NULL;
  EVP_CIPHER_CTX *ctx = NULL;
  int rc = RG_ERR_CRYPTO;

  if (!info || info->salt_len > sizeof salt14 || info->key_len > RG_SRTP_MAX_KEY_LEN)
    return RG_ERR_INVAL;
  /* RFC 7714 §11: the 96-bit GCM master salt enters the same PRF, padded
   * with zero octets on the right to the 112-bit width. */
  memcpy(salt14, master_salt, info->salt_len);
  memset(&k, 0, sizeof k);

  alg = EVP_CIPHER_fetch(NULL, info->key_len == 32 ? "AES-256-CTR" : "AES-128-CTR", NULL);
  ctx = EVP_CIPHER_CTX_new();
  if (!alg || !ctx || EVP_EncryptInit_ex2(ctx, alg, master_key, NULL, NULL) != 1)
    goto fail;
  /* Session salts have the master salt's length (14 CM, 12 GCM). */
  if (prf(ctx, salt14, LABEL_RTP_ENC, k.rtp_enc, info->key_len) ||
      prf(ctx, salt14, LABEL_RTP_SALT, k.rtp_salt, info->salt_len) ||
      prf(ctx, salt14, LABEL_RTCP_ENC, k.rtcp_enc, info->key_len) ||
      prf(ctx, salt14, LABEL_RTCP_SALT, k.rtcp_salt, info->salt_len))
    goto fail;
  if (!info->aead && (prf(ctx, salt14, LABEL_RTP_AUTH, k.rtp_auth, RG_SRTP_AUTH_KEY_LEN) ||
                      prf(ctx, salt14, LABEL_RTCP_AUTH, k.rtcp_auth, RG_SRTP_AUTH_KEY_LEN)))
    goto fail;
  *out = k;
  rc = RG_OK;
fail:
  OPENSSL_cleanse(&k, sizeof k);
  OPENSSL_cleanse(salt14, sizeof salt14);
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(alg);
  return rc;
}
