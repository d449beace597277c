/* Per-SSRC state of an SRTP context: the open-addressing stream table, the
 * packet-index estimate of RFC 3711 §3.3.1 / Appendix A and the replay window
 * (RFC 3711 §3.3.2). Nothing here allocates; the arrays are sized by srtp.c.
 */
#include "srtp_internal.h"

#include <string.h>

#include "rtcgate/error.h"

#define SEQ_HALF 32768u

/* murmur3's finaliser: SSRCs are chosen by peers, so spread every bit over
 * the slot index; the per-context seed keeps the layout unpredictable. */
static uint32_t slot_hash(uint32_t ssrc, uint32_t seed)
{
  uint32_t h = ssrc ^ seed;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

struct rg_srtp_stream *rg_srtp_stream_find(const struct rg_srtp *s, uint32_t ssrc)
{
  /* The table is at most half full, so a probe meets an empty slot soon. */
  for (uint32_t i = slot_hash(ssrc, s->hash_seed) & s->slot_mask;; i = (i + 1) & s->slot_mask) {
    struct rg_srtp_stream *st = &s->slots[i];
    if (st->number_plus1 == 0)
      return NULL;
    if (st->ssrc == ssrc)
      return st;
  }
}

/* The cipher's state for one packet: the EVP_CIPHER_CTX and OpenSSL's
 * provider context behind it (the AES key schedule, GHASH's table), ~19
 * lines for AES-GCM that a packet reads one miss after the other. The
 * provider context is opaque, but OpenSSL 3.0 allocates it when the context
 * is keyed, right after the EVP_CIPHER_CTX (measured here: 192 bytes on, 968
 * bytes long for AES-GCM, 456 for AES-CTR), so the lines that follow the
 * EVP_CIPHER_CTX are prefetched. Where the allocator put it elsewhere, these
 * prefetches only waste a little bandwidth: nothing reads what they fetch. */
#define SRTP_CIPHER_PREFETCH_BYTES 1152
static void prefetch_cipher(const void *cipher)
{
  for (size_t off = 0; off < SRTP_CIPHER_PREFETCH_BYTES; off += 64)
    __builtin_prefetch((const char *)cipher + off);
}

void rg_srtp_prefetch(const struct rg_srtp *s, int stage, uint32_t ssrc, bool rtcp)
{
  const struct rg_srtp_stream *st;
  switch (stage) {
  case 0:
    __builtin_prefetch(s);
    __builtin_prefetch((const char *)s + 64); /* the RTP cipher state: struct rg_srtp's field order */
    if (rtcp)
      __builtin_prefetch(&s->rtcp);
    break;
  case 1:
    __builtin_prefetch(&s->slots[slot_hash(ssrc, s->hash_seed) & s->slot_mask]);
    prefetch_cipher(rtcp ? s->rtcp.cipher : s->rtp.cipher);
    break;
  default:
    /* The first probe only: a prefetch must not walk. */
    st = &s->slots[slot_hash(ssrc, s->hash_seed) & s->slot_mask];
    if (st->number_plus1 != 0 && st->ssrc == ssrc && (rtcp ? s->rtcp_windows : s->rtp_windows))
      __builtin_prefetch(rg_srtp_stream_window(s, st, rtcp));
    break;
  }
}

struct rg_srtp_stream *rg_srtp_stream_add(struct rg_srtp *s, uint32_t ssrc)
{
  if (s->n_streams >= s->max_streams)
    return NULL;
  uint32_t i = slot_hash(ssrc, s->hash_seed) & s->slot_mask;
  while (s->slots[i].number_plus1 != 0)
    i = (i + 1) & s->slot_mask;
  struct rg_srtp_stream *st = &s->slots[i];
  memset(st, 0, sizeof *st);
  st->ssrc = ssrc;
  st->number_plus1 = ++s->n_streams;
  return st;
}

uint64_t *rg_srtp_stream_window(const struct rg_srtp *s, const struct rg_srtp_stream *st, bool rtcp)
{
  size_t n = (size_t)(st->number_plus1 - 1) * s->window_words;
  return rtcp ? s->rtcp_windows + n : s->rtp_windows + n;
}

bool rg_srtp_estimate_index(uint64_t highest, uint16_t seq, uint64_t *index)
{
  uint64_t roc = highest >> 16;
  uint32_t s_l = (uint32_t)(highest & 0xffffu);
  uint64_t v = roc;
  if (s_l < SEQ_HALF) {
    if (seq > s_l && seq - s_l > SEQ_HALF) {
      if (roc == 0)
        return false; /* would precede the first index: treat as too old */
      v = roc - 1;
    }
  } else if (s_l - SEQ_HALF > seq) {
    v = roc + 1;
  }
  uint64_t i = (v << 16) | seq;
  if (i > RG_SRTP_RTP_INDEX_MAX)
    return false;
  *index = i;
  return true;
}

int rg_srtp_window_check(const struct rg_srtp *s, const uint64_t *win, uint64_t highest,
                         uint64_t index)
{
  if (index > highest)
    return RG_OK;
  if (highest - index >= s->window_bits)
    return RG_ERR_REPLAY;
  uint32_t bit = (uint32_t)(index & (s->window_bits - 1));
  return (win[bit >> 6] >> (bit & 63)) & 1 ? RG_ERR_REPLAY : RG_OK;
}

/* Clears count bits starting at ring position pos (count < window_bits). */
static void window_clear(const struct rg_srtp *s, uint64_t *win, uint32_t pos, uint64_t count)
{
  while (count) {
    uint32_t off = pos & 63;
    uint64_t n = 64 - off < count ? 64 - off : count;
    uint64_t mask = n == 64 ? ~UINT64_C(0) : ((UINT64_C(1) << n) - 1) << off;
    win[pos >> 6] &= ~mask;
    pos = (uint32_t)((pos + n) & (s->window_bits - 1));
    count -= n;
  }
}

void rg_srtp_window_commit(const struct rg_srtp *s, uint64_t *win, uint64_t *highest,
                           uint64_t index, bool first)
{
  if (first) {
    memset(win, 0, (size_t)s->window_words * sizeof *win);
    *highest = index;
  } else if (index > *highest) {
    uint64_t ahead = index - *highest;
    if (ahead >= s->window_bits)
      memset(win, 0, (size_t)s->window_words * sizeof *win);
    else
      window_clear(s, win, (uint32_t)((*highest + 1) & (s->window_bits - 1)), ahead);
    *highest = index;
  }
  uint32_t bit = (uint32_t)(index & (s->window_bits - 1));
  win[bit >> 6] |= UINT64_C(1) << (bit & 63);
}
