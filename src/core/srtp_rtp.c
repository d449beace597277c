/* SRTP packet transforms (RFC 3711 §3.1, §4; RFC 7714 §8, §9.1).
 *
 * AES-CM: payload XOR AES-CTR(IV = salt<<16 ^ SSRC<<64 ^ index<<16), then
 * tag = HMAC-SHA1(header || ciphertext || ROC) truncated to 80 or 32 bits.
 * AES-GCM: IV = salt ^ (00 00 || SSRC || ROC || SEQ), AAD = the RTP header
 * (with CSRCs and extension), 16-byte tag after the ciphertext.
 */
#include "srtp_internal.h"

#include <string.h>

#include <openssl/crypto.h>

#include "rtcgate/error.h"

#define RTP_VERSION 2
#define RTP_EXT_HEADER_LEN 4

/* Length of the RTP header the cipher must leave in the clear. */
static int rtp_header_len(const uint8_t *p, size_t len, size_t *out)
{
  if (len < RG_SRTP_RTP_HEADER_MIN || (p[0] >> 6) != RTP_VERSION)
    return RG_ERR_MALFORMED;
  size_t h = RG_SRTP_RTP_HEADER_MIN + 4u * (p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (h + RTP_EXT_HEADER_LEN > len)
      return RG_ERR_MALFORMED;
    h += RTP_EXT_HEADER_LEN + 4u * rg_srtp_be16(p + h + 2);
  }
  if (h > len)
    return RG_ERR_MALFORMED;
  *out = h;
  return RG_OK;
}

static void cm_iv(const struct rg_srtp_leg *leg, uint32_t ssrc, uint64_t index,
                  uint8_t iv[RG_SRTP_CM_IV_LEN])
{
  memcpy(iv, leg->salt, RG_SRTP_MAX_SALT_LEN);
  iv[14] = iv[15] = 0;
  iv[4] ^= (uint8_t)(ssrc >> 24);
  iv[5] ^= (uint8_t)(ssrc >> 16);
  iv[6] ^= (uint8_t)(ssrc >> 8);
  iv[7] ^= (uint8_t)ssrc;
  for (int i = 0; i < 6; i++)
    iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

static void gcm_iv(const struct rg_srtp_leg *leg, uint32_t ssrc, uint64_t index,
                   uint8_t iv[RG_SRTP_GCM_IV_LEN])
{
  memcpy(iv, leg->salt, RG_SRTP_GCM_IV_LEN);
  iv[2] ^= (uint8_t)(ssrc >> 24);
  iv[3] ^= (uint8_t)(ssrc >> 16);
  iv[4] ^= (uint8_t)(ssrc >> 8);
  iv[5] ^= (uint8_t)ssrc;
  for (int i = 0; i < 6; i++) /* ROC (32 bits) || SEQ (16 bits) */
    iv[6 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* Encrypts (CM) or seals (GCM) pkt[hlen..len) and writes the tag at pkt+len. */
static int seal_rtp(struct rg_srtp *s, uint8_t *pkt, size_t hlen, size_t len, uint32_t ssrc,
                    uint64_t index)
{
  struct rg_srtp_leg *leg = &s->rtp;
  if (s->info->aead) {
    uint8_t iv[RG_SRTP_GCM_IV_LEN];
    gcm_iv(leg, ssrc, index, iv);
    return rg_srtp_gcm(s, leg->cipher, iv, pkt, hlen, NULL, 0, pkt + hlen, len - hlen, pkt + len);
  }
  uint8_t iv[RG_SRTP_CM_IV_LEN], roc[4], mac[SHA_DIGEST_LENGTH];
  cm_iv(leg, ssrc, index, iv);
  int rc = rg_srtp_aes_cm(leg->cipher, iv, pkt + hlen, len - hlen);
  if (rc)
    return rc;
  rg_srtp_put32(roc, (uint32_t)(index >> 16));
  rg_srtp_hmac(&leg->mac, pkt, len, roc, sizeof roc, mac);
  memcpy(pkt + len, mac, leg->tag_len);
  return RG_OK;
}

int rg_srtp_protect_rtp(struct rg_srtp *s, uint8_t *pkt, size_t len, size_t cap)
{
  size_t hlen;
  if (s->direction != RG_SRTP_PROTECT)
    return RG_ERR_STATE;
  if (len > RG_SRTP_MAX_PACKET)
    return RG_ERR_TOO_LARGE;
  int rc = rtp_header_len(pkt, len, &hlen);
  if (rc)
    return rc;
  if (cap < len + s->rtp.tag_len)
    return RG_ERR_BUFFER;
  uint16_t seq = rg_srtp_be16(pkt + 2);
  uint32_t ssrc = rg_srtp_be32(pkt + 8);
  struct rg_srtp_stream *st = rg_srtp_stream_find(s, ssrc);
  uint64_t index = seq;
  if (!st && s->n_streams >= s->max_streams)
    return RG_ERR_TOO_LARGE;
  /* The sender estimates its own ROC the same way a receiver would, so a
   * relayed stream that arrives slightly reordered keeps its indices. */
  if (st && st->rtp_seen && !rg_srtp_estimate_index(st->rtp_highest, seq, &index))
    return RG_ERR_STATE;
  rc = seal_rtp(s, pkt, hlen, len, ssrc, index);
  if (rc)
    return rc;
  if (!st)
    st = rg_srtp_stream_add(s, ssrc); /* room was checked above */
  if (!st->rtp_seen || index > st->rtp_highest)
    st->rtp_highest = index;
  st->rtp_seen = 1;
  return (int)(len + s->rtp.tag_len);
}

/* Checks the tag of pkt[0..len) (tag excluded from len) and decrypts it. */
static int open_rtp(struct rg_srtp *s, uint8_t *pkt, size_t hlen, size_t len, uint32_t ssrc,
                    uint64_t index)
{
  struct rg_srtp_leg *leg = &s->rtp;
  if (s->info->aead) {
    uint8_t iv[RG_SRTP_GCM_IV_LEN];
    gcm_iv(leg, ssrc, index, iv);
    return rg_srtp_gcm(s, leg->cipher, iv, pkt, hlen, NULL, 0, pkt + hlen, len - hlen, pkt + len);
  }
  uint8_t iv[RG_SRTP_CM_IV_LEN], roc[4], mac[SHA_DIGEST_LENGTH];
  rg_srtp_put32(roc, (uint32_t)(index >> 16));
  rg_srtp_hmac(&leg->mac, pkt, len, roc, sizeof roc, mac);
  if (CRYPTO_memcmp(mac, pkt + len, leg->tag_len) != 0)
    return RG_ERR_AUTH;
  cm_iv(leg, ssrc, index, iv);
  return rg_srtp_aes_cm(leg->cipher, iv, pkt + hlen, len - hlen);
}

int rg_srtp_unprotect_rtp(struct rg_srtp *s, uint8_t *pkt, size_t len)
{
  size_t hlen;
  if (s->direction != RG_SRTP_UNPROTECT)
    return RG_ERR_STATE;
  if (len > RG_SRTP_MAX_PACKET)
    return RG_ERR_TOO_LARGE;
  int rc = rtp_header_len(pkt, len, &hlen);
  if (rc)
    return rc;
  const size_t tag = s->rtp.tag_len;
  if (len < hlen + tag)
    return RG_ERR_MALFORMED;
  len -= tag;
  uint16_t seq = rg_srtp_be16(pkt + 2);
  uint32_t ssrc = rg_srtp_be32(pkt + 8);
  struct rg_srtp_stream *st = rg_srtp_stream_find(s, ssrc);
  const bool first = !st || !st->rtp_seen;
  uint64_t index = seq; /* a new stream starts with ROC 0 (RFC 3711 §3.3.1) */
  uint64_t *win = NULL;
  if (!first) {
    win = rg_srtp_stream_window(s, st, false);
    if (!rg_srtp_estimate_index(st->rtp_highest, seq, &index))
      return RG_ERR_REPLAY;
    if ((rc = rg_srtp_window_check(s, win, st->rtp_highest, index)))
      return rc;
  }
  rc = open_rtp(s, pkt, hlen, len, ssrc, index);
  if (rc)
    return rc;
  /* Only now, with the packet authentic, may state change. */
  if (!st) {
    if (!(st = rg_srtp_stream_add(s, ssrc)))
      return RG_ERR_TOO_LARGE;
  }
  if (!win)
    win = rg_srtp_stream_window(s, st, false);
  rg_srtp_window_commit(s, win, &st->rtp_highest, index, first);
  st->rtp_seen = 1;
  return (int)len;
}
