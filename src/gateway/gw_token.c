/* rtcgate gateway — session tokens.
 *
 * A token is 32 bytes from RAND_bytes in base64url (43 characters). The table
 * keeps only SHA-256(token) and the claims, so a memory dump or a log line
 * never yields a usable token. The hash is uniformly random, so its first
 * bytes index the buckets directly. The table is bounded (GW_TOKENS_MAX);
 * expired entries are purged every GW_EXPIRY_SWEEP_US (gw_sessions_expire,
 * which also closes their sockets) and when it fills.
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

static size_t bucket_of(const uint8_t hash[32])
{
  return (((size_t)hash[0] << 8) | hash[1]) % GW_TOKEN_BUCKETS;
}

void gw_tokens_init(struct gw_tokens *t)
{
  memset(t, 0, sizeof(*t));
}

void gw_tokens_cleanup(struct gw_tokens *t)
{
  for (size_t i = 0; i < GW_TOKEN_BUCKETS; i++) {
    struct gw_token *e = t->buckets[i];
    while (e) {
      struct gw_token *next = e->next;
      OPENSSL_cleanse(e, sizeof(*e));
      free(e);
      e = next;
    }
    t->buckets[i] = NULL;
  }
  t->count = 0;
}

size_t gw_tokens_purge(struct gw_tokens *t, int64_t now)
{
  size_t n = 0;
  for (size_t i = 0; i < GW_TOKEN_BUCKETS; i++) {
    struct gw_token **pp = &t->buckets[i];
    while (*pp) {
      struct gw_token *e = *pp;
      if (e->claims.expires_at <= now) {
        *pp = e->next;
        OPENSSL_cleanse(e, sizeof(*e));
        free(e);
        t->count--;
        n++;
      } else {
        pp = &e->next;
      }
    }
  }
  return n;
}

int gw_tokens_issue(struct gw_tokens *t, const struct gw_claims *c, int64_t now, char token[GW_TOKEN_TEXT_LEN + 1])
{
  if (t->count >= GW_TOKENS_MAX)
    gw_tokens_purge(t, now);
  if (t->count >= GW_TOKENS_MAX)
    return RG_ERR_TOO_LARGE;
  struct gw_token *e = calloc(1, sizeof(*e));
  if (!e)
    return RG_ERR_NOMEM;
  uint8_t raw[GW_TOKEN_BYTES];
  if (RAND_bytes(raw, sizeof(raw)) != 1) {
    free(e);
    return RG_ERR_CRYPTO;
  }
  char text[GW_TOKEN_TEXT_LEN + 1];
  gw_b64url(raw, sizeof(raw), text, sizeof(text));
  OPENSSL_cleanse(raw, sizeof(raw));
  gw_sha256(text, GW_TOKEN_TEXT_LEN, e->hash);
  e->claims = *c;
  size_t b = bucket_of(e->hash);
  e->next = t->buckets[b];
  t->buckets[b] = e;
  t->count++;
  memcpy(token, text, sizeof(text));
  OPENSSL_cleanse(text, sizeof(text));
  return 0;
}

static struct gw_token **find(struct gw_tokens *t, const char *token, size_t len, uint8_t hash[32])
{
  if (len != GW_TOKEN_TEXT_LEN)
    return NULL;
  gw_sha256(token, len, hash);
  struct gw_token **pp = &t->buckets[bucket_of(hash)];
  for (; *pp; pp = &(*pp)->next)
    if (CRYPTO_memcmp((*pp)->hash, hash, 32) == 0)
      return pp;
  return NULL;
}

int gw_tokens_check(struct gw_tokens *t, const char *token, size_t len, int64_t now, struct gw_claims *c,
                    uint8_t hash[32])
{
  uint8_t h[32];
  struct gw_token **pp = find(t, token, len, h);
  if (!pp)
    return RG_ERR_AUTH;
  struct gw_token *e = *pp;
  if (e->claims.expires_at <= now) {
    *pp = e->next;
    free(e);
    t->count--;
    return RG_ERR_AUTH;
  }
  *c = e->claims;
  memcpy(hash, h, 32);
  return 0;
}

int gw_tokens_revoke(struct gw_tokens *t, const char *token, size_t len, uint8_t hash[32])
{
  uint8_t h[32];
  struct gw_token **pp = find(t, token, len, h);
  if (!pp)
    return RG_ERR_NOT_FOUND;
  struct gw_token *e = *pp;
  *pp = e->next;
  free(e);
  t->count--;
  memcpy(hash, h, 32);
  return 0;
}
