/* Controlling ICE agent toward an ICE-lite peer (RFC 8445 §6-§8, host
 * candidates, aggressive nomination) with consent freshness (RFC 7675).
 * Checks retransmit on the RFC 8489 §6.2.1 schedule: RTO 500 ms doubling,
 * Rc = 7 transmissions, then Rm * RTO; new checks are paced by Ta. */
#include "ice_internal.h"
#include "rtcgate/error.h"

#include <string.h>

/* RFC 8445 §5.1.2.1 priority of the peer-reflexive candidate a check may
 * create: type preference 110, local preference 65535, component 1. */
#define ICE_DEFAULT_PRIORITY ((110u << 24) | (65535u << 8) | (256u - 1u))

static void close_agent(struct rg_ice_agent *a, uint8_t event, const struct rg_addr *addr)
{
  rg_ice__event(&a->c, event, addr);
  a->c.closed = true;
  a->c.out_count = 0; /* nothing but the event leaves an inert agent */
  a->state = RG_ICE_DONE;
  for (size_t i = 0; i < RG_ICE_MAX_TRANSACTIONS; i++)
    a->txn[i].active = false;
}

int rg_ice_agent_init(struct rg_ice_agent *a, const struct rg_ice_agent_config *cfg, uint64_t now_us)
{
  memset(a, 0, sizeof *a);
  if (!cfg->remote || cfg->n_remote == 0 || cfg->n_remote > RG_ICE_MAX_REMOTE_CANDIDATES)
    return RG_ERR_INVAL;
  if (cfg->consent_timeout_us && (cfg->consent_timeout_us < RG_ICE_CONSENT_TIMEOUT_MIN_US ||
                                  cfg->consent_timeout_us > RG_ICE_CONSENT_TIMEOUT_MAX_US))
    return RG_ERR_INVAL;
  for (size_t i = 0; i < cfg->n_remote; i++) {
    uint8_t f = cfg->remote[i].addr.family;
    if (f != RG_AF_INET4 && f != RG_AF_INET6)
      return RG_ERR_INVAL;
  }
  int rc = rg_ice__common_init(&a->c, &cfg->creds, cfg->silent_auth_failures, cfg->seeded, cfg->seed);
  if (rc != RG_OK)
    return rc;
  /* Highest priority first (RFC 8445 §6.1.2.6); insertion sort keeps the
   * given order among equals. */
  for (size_t i = 0; i < cfg->n_remote; i++) {
    size_t j = i;
    while (j > 0 && a->remote[j - 1].priority < cfg->remote[i].priority) {
      a->remote[j] = a->remote[j - 1];
      j--;
    }
    a->remote[j] = cfg->remote[i];
  }
  a->n_remote = (uint8_t)cfg->n_remote;
  a->tie_breaker = cfg->tie_breaker;
  a->priority = cfg->priority ? cfg->priority : ICE_DEFAULT_PRIORITY;
  a->consent_timeout_us = cfg->consent_timeout_us ? cfg->consent_timeout_us : RG_ICE_CONSENT_TIMEOUT_US;
  a->state = RG_ICE_CHECKING;
  a->next_pace_us = now_us;
  return RG_OK;
}

void rg_ice_agent_cleanup(struct rg_ice_agent *a)
{
  rg_ice__common_cleanup(&a->c);
  memset(a->txn, 0, sizeof a->txn);
  a->state = RG_ICE_DONE;
}

/* Builds the check (RFC 8445 §7.2.2): USERNAME "remote:local", PRIORITY,
 * ICE-CONTROLLING, USE-CANDIDATE (aggressive nomination, also on consent
 * checks so the lite peer follows a NAT rebinding), MI with the remote
 * password, FINGERPRINT. Rebuilt identically for each retransmission. */
static void send_check(struct rg_ice_agent *a, const struct rg_ice_txn *t)
{
  struct rg_ice_common *c = &a->c;
  struct rg_ice_datagram *d = rg_ice__tx_slot(c);
  if (!d)
    return;
  uint8_t user[2 * RG_ICE_MAX_UFRAG + 1];
  memcpy(user, c->remote_ufrag, c->remote_ufrag_len);
  user[c->remote_ufrag_len] = ':';
  memcpy(user + c->remote_ufrag_len + 1, c->local_ufrag, c->local_ufrag_len);
  size_t user_len = (size_t)c->remote_ufrag_len + 1 + c->local_ufrag_len, len;
  struct rg_stun_writer w;
  rg_stun_writer_init(&w, d->data, sizeof d->data, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, t->tid);
  rg_stun_write_attr(&w, RG_STUN_ATTR_USERNAME, user, user_len);
  rg_stun_write_u32(&w, RG_STUN_ATTR_PRIORITY, a->priority);
  rg_stun_write_u64(&w, RG_STUN_ATTR_ICE_CONTROLLING, a->tie_breaker);
  rg_stun_write_attr(&w, RG_STUN_ATTR_USE_CANDIDATE, NULL, 0);
  rg_stun_write_integrity(&w, c->remote_pwd, c->remote_pwd_len);
  rg_stun_write_fingerprint(&w);
  if (rg_stun_writer_finish(&w, &len) == RG_OK)
    rg_ice__tx_commit(c, &a->remote[t->cand].addr, len);
}

static void transmit(struct rg_ice_agent *a, struct rg_ice_txn *t, uint64_t now_us)
{
  send_check(a, t);
  if (t->sends == 0)
    a->c.stats.requests_sent++;
  else
    a->c.stats.retransmissions++;
  t->sends++;
  unsigned max = t->consent ? RG_ICE_CONSENT_SENDS : RG_ICE_RC;
  if (t->sends < max) {
    t->next_us = now_us + t->rto_us;
    t->rto_us *= 2;
  } else {
    /* Last wait: Rm * RTO for checks; a consent check only has until the
     * next one is due, so it waits one more doubled RTO (3.5 s in all). */
    t->next_us = now_us + (t->consent ? t->rto_us : RG_ICE_RM * RG_ICE_RTO_US);
  }
}

static int start_txn(struct rg_ice_agent *a, uint64_t now_us, uint8_t cand, bool consent)
{
  struct rg_ice_txn *t = NULL;
  for (size_t i = 0; i < RG_ICE_MAX_TRANSACTIONS && !t; i++)
    if (!a->txn[i].active)
      t = &a->txn[i];
  if (!t)
    return RG_ERR_AGAIN; /* bounded: the oldest still run */
  int rc = rg_ice__random(&a->c, t->tid, sizeof t->tid);
  if (rc != RG_OK)
    return rc;
  t->active = true;
  t->consent = consent;
  t->cand = cand;
  t->sends = 0;
  t->rto_us = RG_ICE_RTO_US;
  transmit(a, t, now_us);
  return RG_OK;
}

/* RFC 7675 §5.1's 4-6 s for its 30 s timeout; a configured timeout keeps
 * the ratio, so about six checks fit into it whatever its length. Exact at
 * the default: 30 s gives 4 s and 6 s. */
static uint64_t consent_min_us(const struct rg_ice_agent *a)
{
  return a->consent_timeout_us * RG_ICE_CONSENT_MIN_US / RG_ICE_CONSENT_TIMEOUT_US;
}

static int consent_interval(struct rg_ice_agent *a, uint64_t *out)
{
  uint64_t r, lo = consent_min_us(a), hi = a->consent_timeout_us * RG_ICE_CONSENT_MAX_US / RG_ICE_CONSENT_TIMEOUT_US;
  int rc = rg_ice__random(&a->c, &r, sizeof r);
  if (rc != RG_OK)
    return rc;
  *out = lo + r % (hi - lo + 1);
  return RG_OK;
}

/* Checking ends in failure once every candidate was tried and no check runs. */
static void maybe_failed(struct rg_ice_agent *a)
{
  if (a->state != RG_ICE_CHECKING || a->next_cand < a->n_remote)
    return;
  for (size_t i = 0; i < RG_ICE_MAX_TRANSACTIONS; i++)
    if (a->txn[i].active)
      return;
  close_agent(a, RG_ICE_EVENT_FAILED, NULL);
}

int rg_ice_agent_handle_timeout(struct rg_ice_agent *a, uint64_t now_us)
{
  if (a->c.closed)
    return RG_ERR_CLOSED;
  for (size_t i = 0; i < RG_ICE_MAX_TRANSACTIONS; i++) {
    struct rg_ice_txn *t = &a->txn[i];
    if (!t->active || t->next_us > now_us)
      continue;
    if (t->sends < (t->consent ? RG_ICE_CONSENT_SENDS : RG_ICE_RC))
      transmit(a, t, now_us);
    else
      t->active = false; /* timed out */
  }
  int rc = RG_OK;
  if (a->state == RG_ICE_CHECKING) {
    if (a->next_cand < a->n_remote && now_us >= a->next_pace_us) {
      rc = start_txn(a, now_us, a->next_cand, false);
      if (rc == RG_OK || rc == RG_ERR_AGAIN) {
        if (rc == RG_OK)
          a->next_cand++;
        a->next_pace_us = now_us + RG_ICE_TA_US;
        rc = RG_OK;
      }
    }
    maybe_failed(a);
  } else if (a->state == RG_ICE_CONNECTED) {
    if (now_us >= a->last_consent_us + a->consent_timeout_us) {
      close_agent(a, RG_ICE_EVENT_CONSENT_LOST, &a->remote[a->selected].addr);
    } else if (now_us >= a->next_consent_us) {
      uint64_t ivl = 0;
      rc = start_txn(a, now_us, a->selected, true);
      if (rc == RG_ERR_AGAIN)
        rc = RG_OK;
      if (rc == RG_OK)
        rc = consent_interval(a, &ivl);
      a->next_consent_us = now_us + (rc == RG_OK ? ivl : consent_min_us(a));
    }
  }
  return rc;
}

uint64_t rg_ice_agent_next_timeout(const struct rg_ice_agent *a)
{
  if (a->c.closed)
    return RG_ICE_NO_TIMEOUT;
  uint64_t t = RG_ICE_NO_TIMEOUT;
  for (size_t i = 0; i < RG_ICE_MAX_TRANSACTIONS; i++)
    if (a->txn[i].active && a->txn[i].next_us < t)
      t = a->txn[i].next_us;
  if (a->state == RG_ICE_CHECKING && a->next_cand < a->n_remote && a->next_pace_us < t)
    t = a->next_pace_us;
  if (a->state == RG_ICE_CONNECTED) {
    if (a->next_consent_us < t)
      t = a->next_consent_us;
    if (a->last_consent_us + a->consent_timeout_us < t)
      t = a->last_consent_us + a->consent_timeout_us;
  }
  return t;
}

static struct rg_ice_txn *find_txn(struct rg_ice_agent *a, const uint8_t *tid)
{
  for (size_t i = 0; i < RG_ICE_MAX_TRANSACTIONS; i++)
    if (a->txn[i].active && memcmp(a->txn[i].tid, tid, RG_STUN_TID_LEN) == 0)
      return &a->txn[i];
  return NULL;
}

static int handle_success(struct rg_ice_agent *a, uint64_t now_us, struct rg_ice_txn *t)
{
  t->active = false;
  a->c.stats.responses_accepted++;
  if (a->state == RG_ICE_CHECKING) {
    /* Aggressive nomination: the first working pair is the selected one;
     * the other checks stop. */
    a->state = RG_ICE_CONNECTED;
    a->selected = t->cand;
    for (size_t i = 0; i < RG_ICE_MAX_TRANSACTIONS; i++)
      a->txn[i].active = false;
    a->last_consent_us = now_us;
    uint64_t ivl = consent_min_us(a);
    int rc = consent_interval(a, &ivl);
    a->next_consent_us = now_us + ivl;
    rg_ice__event(&a->c, RG_ICE_EVENT_CONNECTED, &a->remote[t->cand].addr);
    return rc;
  }
  if (t->cand == a->selected)
    a->last_consent_us = now_us; /* RFC 7675 §5.1: consent refreshed */
  return RG_OK;
}

int rg_ice_agent_handle_stun(struct rg_ice_agent *a, uint64_t now_us, const struct rg_addr *from,
                             const uint8_t *data, size_t len)
{
  struct rg_stun_msg m;
  int rc = rg_ice__parse(&a->c, &m, data, len);
  if (rc == RG_ERR_AGAIN)
    return RG_OK;
  if (rc != RG_OK)
    return rc;
  if (m.cls == RG_STUN_REQUEST)
    return rg_ice__answer_request(&a->c, &m, from, RG_ICE_ROLE_CONTROLLING, a->tie_breaker);

  struct rg_ice_txn *t = find_txn(a, m.tid);
  if (!t) {
    a->c.stats.rx_unknown_transaction++;
    return RG_ERR_NOT_FOUND;
  }
  /* RFC 8445 §7.2.5.2.1: the response must come from where the check went. */
  if (!rg_addr_equal(from, &a->remote[t->cand].addr)) {
    a->c.stats.rx_bad_source++;
    return RG_ERR_AUTH;
  }
  /* A success response must carry the peer's MESSAGE-INTEGRITY (remote
   * password); an error response is checked only if it carries one, since
   * RFC 8489 §9.1.3 sends 400/401 without. */
  bool has_mi = m.mi_index >= 0 || m.mi256_index >= 0;
  if (m.cls == RG_STUN_SUCCESS || has_mi) {
    rc = rg_stun_check_integrity(&m, a->c.remote_pwd, a->c.remote_pwd_len);
    if (rc == RG_ERR_CRYPTO)
      return rc;
    if (rc != RG_OK) {
      a->c.stats.rx_bad_integrity++;
      return RG_ERR_AUTH;
    }
  }
  if (m.nunknown > 0) {
    a->c.stats.rx_unknown_attrs++;
    return RG_ERR_UNSUPPORTED;
  }
  if (m.cls == RG_STUN_SUCCESS)
    return handle_success(a, now_us, t);

  /* Error response: the check failed. A 487 would ask us to become
   * controlled, which this agent does not do (docs/ice.md). */
  a->c.stats.rx_error_responses++;
  if (m.has_error && m.error_code == RG_STUN_ERR_ROLE_CONFLICT)
    a->c.stats.role_conflicts++;
  t->active = false;
  maybe_failed(a);
  return RG_OK;
}

int rg_ice_agent_poll(struct rg_ice_agent *a, struct rg_ice_output *out, uint8_t *buf, size_t cap)
{
  return rg_ice__poll(&a->c, out, buf, cap);
}

bool rg_ice_agent_remote(const struct rg_ice_agent *a, struct rg_addr *remote)
{
  if (a->state != RG_ICE_CONNECTED)
    return false;
  *remote = a->remote[a->selected].addr;
  return true;
}

const struct rg_ice_stats *rg_ice_agent_stats(const struct rg_ice_agent *a) { return &a->c.stats; }
