/* SRTCP packet transforms (RFC 3711 §3.4; RFC 7714 §9.2, §13.3).
 *
 * Layout, AES-CM:  header(8) | [encrypted] payload | E||index(4) | tag(10)
 *   tag = HMAC-SHA1 over everything before it.
 * Layout, AES-GCM: header(8) | payload | tag(16) | E||index(4)
 *   E=1: AAD = header || E||index, payload encrypted.
 *   E=0: AAD = header || payload || E||index, nothing encrypted.
 * The IV uses the sender SSRC (octets 4..7) and the 31-bit SRTCP index.
 */
#include "srtp_internal.h"

#include <string.h>

#include <openssl/crypto.h>

#include "rtcgate/error.h"

#define RTCP_VERSION 2
#define E_FLAG 0x80000000u

static void cm_iv(const struct rg_srtp_leg *leg, uint32_t ssrc, uint32_t index,
                  uint8_t iv[RG_SRTP_CM_IV_LEN])
{
  memcpy(iv, leg->salt, RG_SRTP_MAX_SALT_LEN);
  iv[14] = iv[15] = 0;
  iv[4] ^= (uint8_t)(ssrc >> 24);
  iv[5] ^= (uint8_t)(ssrc >> 16);
  iv[6] ^= (uint8_t)(ssrc >> 8);
  iv[7] ^= (uint8_t)ssrc;
  iv[10] ^= (uint8_t)(index >> 24); /* the index as a 48-bit value: octets 8..13 */
  iv[11] ^= (uint8_t)(index >> 16);
  iv[12] ^= (uint8_t)(index >> 8);
  iv[13] ^= (uint8_t)index;
}

/* RFC 7714 §9.1: 00 00 || SSRC || 00 00 || 0 || SRTCP index, XOR salt. */
static void gcm_iv(const struct rg_srtp_leg *leg, uint32_t ssrc, uint32_t index,
                   uint8_t iv[RG_SRTP_GCM_IV_LEN])
{
  memcpy(iv, leg->salt, RG_SRTP_GCM_IV_LEN);
  iv[2] ^= (uint8_t)(ssrc >> 24);
  iv[3] ^= (uint8_t)(ssrc >> 16);
  iv[4] ^= (uint8_t)(ssrc >> 8);
  iv[5] ^= (uint8_t)ssrc;
  iv[8] ^= (uint8_t)(index >> 24);
  iv[9] ^= (uint8_t)(index >> 16);
  iv[10] ^= (uint8_t)(index >> 8);
  iv[11] ^= (uint8_t)index;
}

static int rtcp_header_ok(const uint8_t *p, size_t len)
{
  return len >= RG_SRTP_RTCP_HEADER_LEN && (p[0] >> 6) == RTCP_VERSION;
}

int rg_srtp_protect_rtcp(struct rg_srtp *s, uint8_t *pkt, size_t len, size_t cap)
{
  struct rg_srtp_leg *leg = &s->rtcp;
  if (s->direction != RG_SRTP_PROTECT)
    return RG_ERR_STATE;
  if (len > RG_SRTP_MAX_PACKET)
    return RG_ERR_TOO_LARGE;
  if (!rtcp_header_ok(pkt, len))
    return RG_ERR_MALFORMED;
  const size_t out_len = len + RG_SRTP_RTCP_INDEX_LEN + leg->tag_len;
  if (cap < out_len)
    return RG_ERR_BUFFER;
  uint32_t ssrc = rg_srtp_be32(pkt + 4);
  struct rg_srtp_stream *st = rg_srtp_stream_find(s, ssrc);
  if (!st && s->n_streams >= s->max_streams)
    return RG_ERR_TOO_LARGE;
  uint32_t index = st ? st->rtcp_highest : 0;
  if (index > RG_SRTP_RTCP_INDEX_MAX)
    return RG_ERR_STATE; /* 2^31 packets under one key: RFC 3711 §9.2 demands re-keying */
  uint8_t word[RG_SRTP_RTCP_INDEX_LEN];
  rg_srtp_put32(word, E_FLAG | index);
  uint8_t *payload = pkt + RG_SRTP_RTCP_HEADER_LEN;
  size_t payload_len = len - RG_SRTP_RTCP_HEADER_LEN;
  int rc;
  if (s->info->aead) {
    uint8_t iv[RG_SRTP_GCM_IV_LEN];
    gcm_iv(leg, ssrc, index, iv);
    rc = rg_srtp_gcm(s, leg->cipher, iv, pkt, RG_SRTP_RTCP_HEADER_LEN, word, sizeof word, payload,
                     payload_len, pkt + len);
    if (rc)
      return rc;
    memcpy(pkt + len + leg->tag_len, word, sizeof word);
  } else {
    uint8_t iv[RG_SRTP_CM_IV_LEN], mac[SHA_DIGEST_LENGTH];
    cm_iv(leg, ssrc, index, iv);
    if ((rc = rg_srtp_aes_cm(leg->cipher, iv, payload, payload_len)))
      return rc;
    memcpy(pkt + len, word, sizeof word);
    rg_srtp_hmac(&leg->mac, pkt, len + sizeof word, NULL, 0, mac);
    memcpy(pkt + len + sizeof word, mac, leg->tag_len);
  }
  if (!st)
    st = rg_srtp_stream_add(s, ssrc); /* room was checked above */
  st->rtcp_highest = index + 1;
  return (int)out_len;
}

/* Verifies and (when E=1) decrypts; len excludes the trailer, word is E||index. */
static int open_rtcp(struct rg_srtp *s, uint8_t *pkt, size_t len, const uint8_t *word,
                     const uint8_t *tag, size_t auth_len, uint32_t ssrc, uint32_t index, bool enc)
{
  struct rg_srtp_leg *leg = &s->rtcp;
  uint8_t *payload = pkt + RG_SRTP_RTCP_HEADER_LEN;
  size_t payload_len = len - RG_SRTP_RTCP_HEADER_LEN;
  if (s->info->aead) {
    uint8_t iv[RG_SRTP_GCM_IV_LEN];
    gcm_iv(leg, ssrc, index, iv);
    if (enc)
      return rg_srtp_gcm(s, leg->cipher, iv, pkt, RG_SRTP_RTCP_HEADER_LEN, word,
                         RG_SRTP_RTCP_INDEX_LEN, payload, payload_len, (uint8_t *)tag);
    return rg_srtp_gcm(s, leg->cipher, iv, pkt, len, word, RG_SRTP_RTCP_INDEX_LEN, NULL, 0,
                       (uint8_t *)tag);
  }
  uint8_t mac[SHA_DIGEST_LENGTH];
  rg_srtp_hmac(&leg->mac, pkt, auth_len, NULL, 0, mac);
  if (CRYPTO_memcmp(mac, tag, leg->tag_len) != 0)
    return RG_ERR_AUTH;
  if (!enc)
    return RG_OK;
  uint8_t iv[RG_SRTP_CM_IV_LEN];
  cm_iv(leg, ssrc, index, iv);
  return rg_srtp_aes_cm(leg->cipher, iv, payload, payload_len);
}

int rg_srtp_unprotect_rtcp(struct rg_srtp *s, uint8_t *pkt, size_t len)
{
  struct rg_srtp_leg *leg = &s->rtcp;
  if (s->direction != RG_SRTP_UNPROTECT)
    return RG_ERR_STATE;
  if (len > RG_SRTP_MAX_PACKET)
    return RG_ERR_TOO_LARGE;
  const size_t trailer = RG_SRTP_RTCP_INDEX_LEN + leg->tag_len;
  if (!rtcp_header_ok(pkt, len) || len < RG_SRTP_RTCP_HEADER_LEN + trailer)
    return RG_ERR_MALFORMED;
  const size_t plain_len = len - trailer;
  const uint8_t *word, *tag;
  if (s->info->aead) {
    tag = pkt + plain_len;
    word = tag + leg->tag_len;
  } else {
    word = pkt + plain_len;
    tag = word + RG_SRTP_RTCP_INDEX_LEN;
  }
  uint32_t w = rg_srtp_be32(word);
  uint32_t index = w & RG_SRTP_RTCP_INDEX_MAX;
  bool enc = (w & E_FLAG) != 0;
  uint32_t ssrc = rg_srtp_be32(pkt + 4);
  struct rg_srtp_stream *st = rg_srtp_stream_find(s, ssrc);
  const bool first = !st || !st->rtcp_seen;
  uint64_t *win = NULL;
  if (!first) {
    win = rg_srtp_stream_window(s, st, true);
    int rc = rg_srtp_window_check(s, win, st->rtcp_highest, index);
    if (rc)
      return rc;
  }
  int rc = open_rtcp(s, pkt, plain_len, word, tag, plain_len + RG_SRTP_RTCP_INDEX_LEN, ssrc, index,
                     enc);
  if (rc)
    return rc;
  if (!st && !(st = rg_srtp_stream_add(s, ssrc)))
    return RG_ERR_TOO_LARGE;
  if (!win)
    win = rg_srtp_stream_window(s, st, true);
  uint64_t highest = st->rtcp_highest;
  rg_srtp_window_commit(s, win, &highest, index, first);
  st->rtcp_highest = (uint32_t)highest;
  st->rtcp_seen = 1;
  return (int)plain_len;
}
