/* Calls and legs: creation, the two lookup tables (local ICE ufrag -> leg,
 * source address -> leg) and teardown. Worker thread only.
 *
 * Both tables are chained hashes whose entries live inside the legs, so
 * adding or looking up an address never allocates; bucket arrays are sized
 * once from max_calls. Hashes are keyed with a random per-broker seed so a
 * peer cannot aim its ports at one bucket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "broker/broker_internal.h"
#include "rtcgate/error.h"

#define UFRAG_TRIES 8 /* fresh ufrags drawn before giving up on a collision */

static const char ice_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint64_t mix64(uint64_t x)
{
  /* splitmix64 finalizer */
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

static uint32_t hash_bytes(uint64_t seed, const uint8_t *p, size_t len)
{
  uint64_t h = seed;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return (uint32_t)mix64(h);
}

static uint32_t hash_addr(uint64_t seed, const struct rg_addr *a)
{
  uint64_t w0, w1;
  memcpy(&w0, a->ip, 8);
  memcpy(&w1, a->ip + 8, 8);
  return (uint32_t)mix64(seed ^ mix64(w0 ^ ((uint64_t)a->port << 48) ^ a->family) ^ w1);
}

static int random_text(char *out, size_t n)
{
  unsigned char r[RG_BROKER_PWD_LEN];
  if (n > sizeof r || RAND_bytes(r, (int)n) != 1)
    return RG_ERR_CRYPTO;
  for (size_t i = 0; i < n; i++)
    out[i] = ice_chars[r[i] & 63];
  out[n] = '\0';
  return RG_OK;
}

struct rg_broker_leg *rg_broker_leg_by_ufrag_(const struct rg_broker *b, const char *ufrag, size_t len)
{
  struct rg_broker_leg *l;
  if (len != RG_BROKER_UFRAG_LEN)
    return NULL;
  l = b->ufrag_buckets[hash_bytes(b->hash_seed, (const uint8_t *)ufrag, len) & b->ufrag_mask];
  for (; l; l = l->ufrag_next)
    if (memcmp(l->ufrag, ufrag, len) == 0)
      return l;
  return NULL;
}

static void ufrag_insert(struct rg_broker *b, struct rg_broker_leg *leg)
{
  uint32_t h = hash_bytes(b->hash_seed, (const uint8_t *)leg->ufrag, RG_BROKER_UFRAG_LEN) & b->ufrag_mask;
  leg->ufrag_next = b->ufrag_buckets[h];
  b->ufrag_buckets[h] = leg;
}

static void ufrag_remove(struct rg_broker *b, struct rg_broker_leg *leg)
{
  uint32_t h = hash_bytes(b->hash_seed, (const uint8_t *)leg->ufrag, RG_BROKER_UFRAG_LEN) & b->ufrag_mask;
  for (struct rg_broker_leg **p = &b->ufrag_buckets[h]; *p; p = &(*p)->ufrag_next)
    if (*p == leg) {
      *p = leg->ufrag_next;
      return;
    }
}

struct rg_broker_addr_node *const *rg_broker_addr_bucket_(const struct rg_broker *b, const struct rg_addr *a)
{
  return &b->addr_buckets[hash_addr(b->hash_seed, a) & b->addr_mask];
}

struct rg_broker_leg *rg_broker_leg_by_addr_(const struct rg_broker *b, const struct rg_addr *a)
{
  struct rg_broker_addr_node *n = *rg_broker_addr_bucket_(b, a);
  for (; n; n = n->next)
    if (rg_addr_equal(&n->addr, a))
      return n->leg;
  return NULL;
}

static void addr_remove(struct rg_broker *b, struct rg_broker_addr_node *node)
{
  uint32_t h = hash_addr(b->hash_seed, &node->addr) & b->addr_mask;
  for (struct rg_broker_addr_node **p = &b->addr_buckets[h]; *p; p = &(*p)->next)
    if (*p == node) {
      *p = node->next;
      break;
    }
  node->used = false;
}

void rg_broker_leg_add_addr_(struct rg_broker *b, struct rg_broker_leg *leg, const struct rg_addr *a)
{
  uint32_t h = hash_addr(b->hash_seed, a) & b->addr_mask;
  struct rg_broker_addr_node *node;
  for (node = b->addr_buckets[h]; node; node = node->next)
    if (rg_addr_equal(&node->addr, a))
      break;
  if (node && node->leg == leg)
    return;
  if (node) /* another leg validated this address before: the newest claim wins */
    addr_remove(b, node);
  node = &leg->addrs[leg->next_addr];
  leg->next_addr = (uint8_t)((leg->next_addr + 1) % RG_BROKER_LEG_ADDRS);
  if (node->used)
    addr_remove(b, node);
  node->leg = leg;
  node->addr = *a;
  node->used = true;
  node->next = b->addr_buckets[h];
  b->addr_buckets[h] = node;
}

struct rg_broker_call *rg_broker_call_find_(struct rg_broker *b, const char *call_id)
{
  for (struct rg_broker_call *c = b->calls; c; c = c->next)
    if (strcmp(c->id, call_id) == 0)
      return c;
  return NULL;
}

static int leg_init(struct rg_broker *b, struct rg_broker_call *c, int side)
{
  struct rg_broker_leg *leg = &c->legs[side];
  int rc;
  leg->call = c;
  leg->id = ++b->next_leg_id;
  leg->side = side;
  rg_timer_init(&leg->t_timer, rg_broker_on_transport_timer_, leg);
  rg_timer_init(&leg->setup_timer, rg_broker_on_setup_timer_, leg);
  for (int i = 0; i < UFRAG_TRIES; i++) {
    if ((rc = random_text(leg->ufrag, RG_BROKER_UFRAG_LEN)) < 0)
      return rc;
    if (!rg_broker_leg_by_ufrag_(b, leg->ufrag, RG_BROKER_UFRAG_LEN)) {
      if ((rc = random_text(leg->pwd, RG_BROKER_PWD_LEN)) < 0)
        return rc;
      ufrag_insert(b, leg);
      return RG_OK;
    }
  }
  return RG_ERR_STATE;
}

static void leg_free(struct rg_broker *b, struct rg_broker_leg *leg)
{
  rg_loop_timer_cancel(b->loop, &leg->t_timer);
  rg_loop_timer_cancel(b->loop, &leg->setup_timer);
  for (size_t i = 0; i < RG_BROKER_LEG_ADDRS; i++)
    if (leg->addrs[i].used)
      addr_remove(b, &leg->addrs[i]);
  if (leg->ufrag[0])
    ufrag_remove(b, leg);
  if (leg->t) {
    rg_broker_fold_leg_(b, leg);
    rg_transport_free(leg->t);
    leg->t = NULL;
  }
}

int rg_broker_call_create_(struct rg_broker *b, const char *call_id, struct rg_broker_call **out)
{
  struct rg_broker_call *c = calloc(1, sizeof *c);
  int rc;
  if (!c)
    return RG_ERR_NOMEM;
  c->b = b;
  snprintf(c->id, sizeof c->id, "%s", call_id);
  if ((rc = leg_init(b, c, RG_LEG_CALLER)) < 0 || (rc = leg_init(b, c, RG_LEG_CALLEE)) < 0) {
    leg_free(b, &c->legs[0]);
    leg_free(b, &c->legs[1]);
    free(c);
    return rc;
  }
  c->next = b->calls;
  b->calls = c;
  b->n_calls++;
  *out = c;
  return RG_OK;
}

int rg_broker_leg_start_(struct rg_broker *b, struct rg_broker_leg *leg, const struct rg_broker_remote *r,
                         int dtls_role, uint64_t now_us)
{
  struct rg_transport_config tc;
  int rc;
  memset(&tc, 0, sizeof tc);
  tc.ice_mode = RG_TRANSPORT_ICE_LITE;
  tc.creds.local_ufrag = leg->ufrag;
  tc.creds.local_ufrag_len = RG_BROKER_UFRAG_LEN;
  tc.creds.local_pwd = leg->pwd;
  tc.creds.local_pwd_len = RG_BROKER_PWD_LEN;
  tc.creds.remote_ufrag = r->ufrag;
  tc.creds.remote_ufrag_len = strlen(r->ufrag);
  tc.creds.remote_pwd = r->pwd;
  tc.creds.remote_pwd_len = strlen(r->pwd);
  tc.dtls_ctx = b->dtls_ctx;
  rg_dtls_config_init(&tc.dtls, dtls_role);
  for (size_t i = 0; i < r->n_fps; i++)
    if ((rc = rg_dtls_config_add_fingerprint(&tc.dtls, &r->fps[i])) < 0)
      return rc;
  tc.remote_ssrcs = r->ssrcs;
  tc.n_remote_ssrcs = r->n_ssrcs;
  tc.remote_rtcp_senders = r->rtcp_senders;
  tc.n_remote_rtcp_senders = r->n_rtcp_senders;
  tc.consent_timeout_us = (uint64_t)b->cfg.consent_timeout_ms * 1000u;
  if ((rc = rg_transport_new(&leg->t, &tc, now_us)) < 0)
    return rc;
  rg_broker_drain_leg_(b, leg, now_us);
  return RG_OK;
}

void rg_broker_call_end_(struct rg_broker *b, struct rg_broker_call *c, uint64_t now_us)
{
  for (int i = 0; i < 2; i++) {
    struct rg_broker_leg *leg = &c->legs[i];
    if (!leg->t)
      continue;
    leg->closing = true; /* no events from here on: the gateway asked for this */
    if (rg_transport_close(leg->t, now_us) == RG_OK)
      rg_broker_drain_leg_(b, leg, now_us);
  }
  leg_free(b, &c->legs[0]);
  leg_free(b, &c->legs[1]);
  for (struct rg_broker_call **p = &b->calls; *p; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
  b->n_calls--;
  free(c);
}
