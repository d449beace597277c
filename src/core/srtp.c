/* SRTP context lifecycle: validate the configuration, derive the session
 * keys, fetch and key the ciphers once, size the stream table. The packet
 * paths are in srtp_rtp.c and srtp_rtcp.c.
 */
#include "srtp_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "rtcgate/error.h"

/* Slots are kept at most half full so a probe for an absent SSRC stays short. */
#define SLOT_LOAD_INVERSE 2u

static uint32_t pow2_at_least(uint32_t n)
{
  uint32_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

static int check_config(const struct rg_srtp_config *cfg, uint32_t window)
{
  if (cfg->direction != RG_SRTP_PROTECT && cfg->direction != RG_SRTP_UNPROTECT)
    return RG_ERR_INVAL;
  if (cfg->max_streams == 0 || cfg->max_streams > RG_SRTP_MAX_STREAMS)
    return RG_ERR_INVAL;
  if (window < RG_SRTP_REPLAY_WINDOW_MIN || window > RG_SRTP_REPLAY_WINDOW_MAX ||
      (window & (window - 1)) != 0)
    return RG_ERR_INVAL;
  /* Two windows (RTP, SRTCP) per stream, on the receiving side only. */
  if (cfg->direction == RG_SRTP_UNPROTECT &&
      (uint64_t)cfg->max_streams * (window / 8) * 2 > RG_SRTP_MAX_WINDOW_MEMORY)
    return RG_ERR_TOO_LARGE;
  return RG_OK;
}

static int leg_init(struct rg_srtp *s, struct rg_srtp_leg *leg, const uint8_t *enc_key,
                    const uint8_t *auth_key, const uint8_t *salt, uint8_t tag_len)
{
  leg->cipher = EVP_CIPHER_CTX_new();
  if (!leg->cipher)
    return RG_ERR_NOMEM;
  /* CTR is its own inverse, so CM contexts always "encrypt"; GCM contexts
   * keep the direction of the SRTP context for their whole life. */
  int enc = s->info->aead ? s->direction == RG_SRTP_PROTECT : 1;
  if (EVP_CipherInit_ex2(leg->cipher, s->alg, enc_key, NULL, enc, NULL) != 1)
    return RG_ERR_CRYPTO;
  if (!s->info->aead)
    rg_srtp_hmac_init(&leg->mac, auth_key);
  memcpy(leg->salt, salt, s->info->salt_len);
  leg->tag_len = tag_len;
  return RG_OK;
}

static const char *cipher_name(const struct rg_srtp_profile_info *info)
{
  if (info->aead)
    return info->key_len == 32 ? "AES-256-GCM" : "AES-128-GCM";
  return info->key_len == 32 ? "AES-256-CTR" : "AES-128-CTR";
}

int rg_srtp_new_with_keys(const struct rg_srtp_config *cfg, const struct rg_srtp_session_keys *k,
                          struct rg_srtp **out)
{
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(cfg->profile);
  if (!info)
    return RG_ERR_UNSUPPORTED;
  uint32_t window = cfg->replay_window ? cfg->replay_window : RG_SRTP_REPLAY_WINDOW_DEFAULT;
  int rc = check_config(cfg, window);
  if (rc)
    return rc;

  struct rg_srtp *s = calloc(1, sizeof *s);
  if (!s)
    return RG_ERR_NOMEM;
  s->info = info;
  s->direction = cfg->direction;
  s->max_streams = cfg->max_streams;
  s->window_bits = window;
  s->window_words = window / 64;
  uint32_t nslots = pow2_at_least(cfg->max_streams * SLOT_LOAD_INVERSE);
  s->slot_mask = nslots - 1;
  /* The session salts are secret, so the slot layout is not predictable from
   * outside; any mix of them will do. */
  s->hash_seed = rg_srtp_be32(k->rtp_salt) ^ rg_srtp_be32(k->rtcp_salt + 4);

  rc = RG_ERR_NOMEM;
  s->slots = calloc(nslots, sizeof *s->slots);
  if (!s->slots)
    goto fail;
  if (s->direction == RG_SRTP_UNPROTECT) {
    size_t words = (size_t)cfg->max_streams * s->window_words;
    s->rtp_windows = calloc(words, sizeof *s->rtp_windows);
    s->rtcp_windows = calloc(words, sizeof *s->rtcp_windows);
    if (!s->rtp_windows || !s->rtcp_windows)
      goto fail;
  }
  rc = RG_ERR_CRYPTO;
  s->alg = EVP_CIPHER_fetch(NULL, cipher_name(info), NULL);
  if (!s->alg)
    goto fail;
  if ((rc = leg_init(s, &s->rtp, k->rtp_enc, k->rtp_auth, k->rtp_salt, info->rtp_tag_len)) ||
      (rc = leg_init(s, &s->rtcp, k->rtcp_enc, k->rtcp_auth, k->rtcp_salt, info->rtcp_tag_len)))
    goto fail;
  *out = s;
  return RG_OK;
fail:
  rg_srtp_free(s);
  return rc;
}

int rg_srtp_new(const struct rg_srtp_config *cfg, struct rg_srtp **out)
{
  if (!cfg || !out || !cfg->master_key || !cfg->master_salt)
    return RG_ERR_INVAL;
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(cfg->profile);
  if (!info)
    return RG_ERR_UNSUPPORTED;
  if (cfg->master_key_len != info->key_len || cfg->master_salt_len != info->salt_len)
    return RG_ERR_INVAL;
  struct rg_srtp_session_keys k;
  int rc = rg_srtp_derive_keys(info, cfg->master_key, cfg->master_salt, &k);
  if (rc == RG_OK)
    rc = rg_srtp_new_with_keys(cfg, &k, out);
  OPENSSL_cleanse(&k, sizeof k);
  return rc;
}

static void leg_cleanup(struct rg_srtp_leg *leg)
{
  EVP_CIPHER_CTX_free(leg->cipher); /* cleanses the key schedule */
  rg_srtp_hmac_wipe(&leg->mac);
  OPENSSL_cleanse(leg->salt, sizeof leg->salt);
}

void rg_srtp_free(struct rg_srtp *s)
{
  if (!s)
    return;
  leg_cleanup(&s->rtp);
  leg_cleanup(&s->rtcp);
  EVP_CIPHER_free(s->alg);
  free(s->slots);
  free(s->rtp_windows);
  free(s->rtcp_windows);
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
}

uint32_t rg_srtp_stream_count(const struct rg_srtp *s)
{
  return s->n_streams;
}

int rg_srtp_set_next_rtcp_index(struct rg_srtp *s, uint32_t ssrc, uint32_t index)
{
  if (s->direction != RG_SRTP_PROTECT || index > RG_SRTP_RTCP_INDEX_MAX)
    return RG_ERR_INVAL;
  struct rg_srtp_stream *st = rg_srtp_stream_find(s, ssrc);
  if (!st && !(st = rg_srtp_stream_add(s, ssrc)))
    return RG_ERR_TOO_LARGE;
  st->rtcp_highest = index;
  return RG_OK;
}

int rg_srtp_gcm(const struct rg_srtp *s, EVP_CIPHER_CTX *ctx, const uint8_t iv[RG_SRTP_GCM_IV_LEN],
                const uint8_t *aad, size_t aad_len, const uint8_t *aad2, size_t aad2_len,
                uint8_t *data, size_t data_len, uint8_t *tag)
{
  int outl = 0;
  uint8_t none[RG_SRTP_CM_IV_LEN]; /* GCM's Final emits no bytes; it only needs a place */
  const int seal = s->direction == RG_SRTP_PROTECT;
  const int tag_len = s->rtp.tag_len; /* 16 for both RTP and SRTCP */
  /* enc = -1: keep the direction set at creation; only the nonce changes. */
  if (EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL) != 1)
    return RG_ERR_CRYPTO;
  if (EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
    return RG_ERR_CRYPTO;
  if (aad2_len && EVP_CipherUpdate(ctx, NULL, &outl, aad2, (int)aad2_len) != 1)
    return RG_ERR_CRYPTO;
  if (data_len && EVP_CipherUpdate(ctx, data, &outl, data, (int)data_len) != 1)
    return RG_ERR_CRYPTO;
  if (seal) {
    if (EVP_CipherFinal_ex(ctx, none, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_len, tag) != 1)
      return RG_ERR_CRYPTO;
    return RG_OK;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, tag) != 1)
    return RG_ERR_CRYPTO;
  /* The tag comparison inside Final is constant time. (The tag get/set goes
   * through EVP_CIPHER_CTX_ctrl, which OpenSSL 3.0 turns into a one-entry
   * OSSL_PARAM; no public 3.0 API avoids that, and the bench's EVP-limit loop
   * pays it too.) */
  return EVP_CipherFinal_ex(ctx, none, &outl) == 1 ? RG_OK : RG_ERR_AUTH;
}
