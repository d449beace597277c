/* Private to the SRTP core (srtp*.c) and its tests/benchmark. */
#ifndef RTCGATE_SRTP_INTERNAL_H
#define RTCGATE_SRTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "rtcgate/srtp.h"

#define RG_SRTP_MAX_KEY_LEN 32
#define RG_SRTP_MAX_SALT_LEN 14   /* CM session salt; GCM uses 12 */
#define RG_SRTP_AUTH_KEY_LEN 20   /* HMAC-SHA1 session auth key (RFC 3711 §5.2) */
#define RG_SRTP_GCM_IV_LEN 12
#define RG_SRTP_CM_IV_LEN 16
#define RG_SRTP_RTP_HEADER_MIN 12
#define RG_SRTP_RTCP_HEADER_LEN 8 /* V/P/RC, PT, length, sender SSRC */
#define RG_SRTP_RTCP_INDEX_LEN 4  /* E flag + 31-bit index */
#define RG_SRTP_RTCP_INDEX_MAX 0x7fffffffu
#define RG_SRTP_RTP_INDEX_MAX ((UINT64_C(1) << 48) - 1)

/* The six session keys of RFC 3711 §4.3.1 (labels 0..5). */
struct rg_srtp_session_keys {
  uint8_t rtp_enc[RG_SRTP_MAX_KEY_LEN];
  uint8_t rtp_auth[RG_SRTP_AUTH_KEY_LEN];
  uint8_t rtp_salt[RG_SRTP_MAX_SALT_LEN];
  uint8_t rtcp_enc[RG_SRTP_MAX_KEY_LEN];
  uint8_t rtcp_auth[RG_SRTP_AUTH_KEY_LEN];
  uint8_t rtcp_salt[RG_SRTP_MAX_SALT_LEN];
};

/* HMAC-SHA1 with the inner and outer states computed once per key; a packet
 * costs two struct copies instead of two key-block compressions. */
struct rg_srtp_hmac {
  SHA_CTX inner;
  SHA_CTX outer;
};

/* The cipher state of one packet kind (RTP or RTCP) of a context. What every
 * packet reads comes first; the HMAC states (192 bytes, CM profiles only)
 * last, so that a GCM packet reads one cache line of it, not three. */
struct rg_srtp_leg {
  EVP_CIPHER_CTX *cipher; /* keyed once; only the IV changes per packet */
  uint8_t salt[RG_SRTP_MAX_SALT_LEN];
  uint8_t tag_len;
  struct rg_srtp_hmac mac; /* CM profiles only */
};

/* One slot of the open-addressing table; the stream's state lives in the slot
 * itself so that a lookup costs one cache miss, not two. */
struct rg_srtp_stream {
  uint64_t rtp_highest;  /* highest authenticated (or sent) 48-bit packet index */
  uint32_t rtcp_highest; /* unprotect: highest SRTCP index received; protect: next to send */
  uint32_t ssrc;
  uint32_t number_plus1; /* 0 = empty slot; else 1 + creation order (indexes the windows) */
  uint8_t rtp_seen;
  uint8_t rtcp_seen;
};

/* Field order is for the per-packet path: the stream table's fields and the
 * RTP cipher state share the first two cache lines (the relay reads a context
 * per packet from thousands of them, so each line it touches is a miss). */
struct rg_srtp {
  const struct rg_srtp_profile_info *info;
  int direction;
  uint32_t hash_seed;
  uint32_t slot_mask;
  uint32_t max_streams;
  uint32_t n_streams;
  uint32_t window_bits;
  uint32_t window_words;
  struct rg_srtp_stream *slots; /* slot_mask + 1 entries, at most half used */
  uint64_t *rtp_windows;  /* unprotect only: max_streams * window_words */
  uint64_t *rtcp_windows;
  struct rg_srtp_leg rtp;
  struct rg_srtp_leg rtcp;
  EVP_CIPHER *alg; /* fetched once per context */
};

static inline uint32_t rg_srtp_be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t rg_srtp_be16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void rg_srtp_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* --- srtp_kdf.c --- */
/* AES-CM keystream XOR over buf (RFC 3711 §4.1.1) with a context keyed for
 * AES-CTR; iv is the 128-bit initial counter block. */
int rg_srtp_aes_cm(EVP_CIPHER_CTX *ctx, const uint8_t iv[RG_SRTP_CM_IV_LEN], uint8_t *buf,
                   size_t len);
/* All six session keys from a master key/salt (RFC 3711 §4.3.1 with KDR 0;
 * RFC 7714 §11 for the 12-byte GCM salt, RFC 6188 for the AES-256 PRF). */
int rg_srtp_derive_keys(const struct rg_srtp_profile_info *info, const uint8_t *master_key,
                        const uint8_t *master_salt, struct rg_srtp_session_keys *out);

/* --- srtp_hmac.c --- */
void rg_srtp_hmac_init(struct rg_srtp_hmac *h, const uint8_t key[RG_SRTP_AUTH_KEY_LEN]);
/* HMAC-SHA1(a || b) into out[20]; b may be empty. */
void rg_srtp_hmac(const struct rg_srtp_hmac *h, const uint8_t *a, size_t a_len, const uint8_t *b,
                  size_t b_len, uint8_t out[SHA_DIGEST_LENGTH]);
void rg_srtp_hmac_wipe(struct rg_srtp_hmac *h);

/* --- srtp_stream.c --- */
struct rg_srtp_stream *rg_srtp_stream_find(const struct rg_srtp *s, uint32_t ssrc);
/* Inserts a fresh stream; NULL when the table is full. Caller checked absence. */
struct rg_srtp_stream *rg_srtp_stream_add(struct rg_srtp *s, uint32_t ssrc);
uint64_t *rg_srtp_stream_window(const struct rg_srtp *s, const struct rg_srtp_stream *st,
                                bool rtcp);
/* RFC 3711 §3.3.1 / Appendix A: the 48-bit index a sequence number most likely
 * has given the highest index so far; false when it would be negative. */
bool rg_srtp_estimate_index(uint64_t highest, uint16_t seq, uint64_t *index);
/* 0 when index is fresh relative to highest and the window, else RG_ERR_REPLAY. */
int rg_srtp_window_check(const struct rg_srtp *s, const uint64_t *win, uint64_t highest,
                         uint64_t index);
/* Records index as seen, sliding the window when it is the new highest. */
void rg_srtp_window_commit(const struct rg_srtp *s, uint64_t *win, uint64_t *highest,
                           uint64_t index, bool first);

/* --- srtp_gcm.c: one AEAD operation with the context's fixed direction.
 * aad2 (may be NULL) is a second AAD piece (the SRTCP E||index word). On
 * seal the tag is written to tag; on open it is checked (RG_ERR_AUTH). */
int rg_srtp_gcm(const struct rg_srtp *s, EVP_CIPHER_CTX *ctx, const uint8_t iv[RG_SRTP_GCM_IV_LEN],
                const uint8_t *aad, size_t aad_len, const uint8_t *aad2, size_t aad2_len,
                uint8_t *data, size_t data_len, uint8_t *tag);

/* --- srtp.c --- */
/* rg_srtp_new with the session keys given directly (RFC 7714 §16-17 vectors
 * are stated that way); keys are copied. */
int rg_srtp_new_with_keys(const struct rg_srtp_config *cfg, const struct rg_srtp_session_keys *k,
                          struct rg_srtp **out);
/* Test hook: the next SRTCP index protect_rtcp uses for ssrc (creates the stream). */
int rg_srtp_set_next_rtcp_index(struct rg_srtp *s, uint32_t ssrc, uint32_t index);

#endif
