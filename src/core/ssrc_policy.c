/* SSRC allow-list (open addressing, fixed capacity) and drop accounting. */
#include "rtcgate/error.h"
#include "rtcgate/rtcp.h"
#include "rtcgate/rtp.h"
#include "rtcgate/ssrc_policy.h"

#include <string.h>

#define SLOT_MASK (RG_SSRC_POLICY_SLOTS - 1u)
#define SLOT_BITS 7 /* log2(RG_SSRC_POLICY_SLOTS) */
#define FIB_HASH 0x9E3779B1u /* Knuth's multiplicative constant: spreads sequential SSRCs */

_Static_assert((RG_SSRC_POLICY_SLOTS & SLOT_MASK) == 0, "slots must be a power of two");
_Static_assert(1u << SLOT_BITS == RG_SSRC_POLICY_SLOTS, "SLOT_BITS must match SLOTS");
_Static_assert(RG_SSRC_POLICY_SLOTS >= 2 * RG_SSRC_POLICY_MAX, "keep the load factor <= 1/2");
_Static_assert(RG_SSRC_POLICY_MAX < 255, "slot_idx stores index + 1 in a byte");

static unsigned slot_of(uint32_t ssrc)
{
  return (unsigned)((ssrc * FIB_HASH) >> (32 - SLOT_BITS));
}

void rg_ssrc_policy_init(struct rg_ssrc_policy *p)
{
  memset(p, 0, sizeof *p);
}

void rg_ssrc_policy_cleanup(struct rg_ssrc_policy *p)
{
  memset(p, 0, sizeof *p);
}

void rg_ssrc_policy_clear(struct rg_ssrc_policy *p)
{
  memset(p->slot_idx, 0, sizeof p->slot_idx);
  memset(p->slot_ssrc, 0, sizeof p->slot_ssrc);
  memset(p->entries, 0, sizeof p->entries);
  p->n = 0;
}

void rg_ssrc_policy_set_ready(struct rg_ssrc_policy *p, bool ready)
{
  p->ready = ready;
}

/* The slot holding ssrc, or the empty slot where it would go. Terminates
 * because at most half the slots are ever used. */
static unsigned probe(const struct rg_ssrc_policy *p, uint32_t ssrc)
{
  unsigned s = slot_of(ssrc);
  while (p->slot_idx[s] != 0 && p->slot_ssrc[s] != ssrc)
    s = (s + 1) & SLOT_MASK;
  return s;
}

const struct rg_ssrc_entry *rg_ssrc_policy_lookup(const struct rg_ssrc_policy *p, uint32_t ssrc)
{
  unsigned s = probe(p, ssrc);
  return p->slot_idx[s] ? &p->entries[p->slot_idx[s] - 1] : NULL;
}

void rg_ssrc_policy_prefetch(const struct rg_ssrc_policy *p, int stage, uint32_t ssrc)
{
  unsigned s = slot_of(ssrc);
  if (stage == 0) {
    __builtin_prefetch(&p->slot_idx[s]);
    __builtin_prefetch(&p->slot_ssrc[s]);
  } else if (p->slot_idx[s] != 0 && p->slot_ssrc[s] == ssrc) { /* the first probe only */
    __builtin_prefetch(&p->entries[p->slot_idx[s] - 1]);
  }
}

static int insert(struct rg_ssrc_policy *p, uint32_t ssrc, struct rg_ssrc_entry **out)
{
  unsigned s = probe(p, ssrc);
  if (p->slot_idx[s] == 0) {
    if (p->n >= RG_SSRC_POLICY_MAX)
      return RG_ERR_TOO_LARGE;
    memset(&p->entries[p->n], 0, sizeof p->entries[p->n]);
    p->entries[p->n].ssrc = ssrc;
    p->entries[p->n].rtcp_only = true;
    p->slot_ssrc[s] = ssrc;
    p->slot_idx[s] = (uint8_t)(p->n + 1);
    p->n++;
  }
  *out = &p->entries[p->slot_idx[s] - 1];
  return RG_OK;
}

int rg_ssrc_policy_add(struct rg_ssrc_policy *p, uint32_t ssrc, enum rg_media_kind kind,
                       const char *mid, size_t mid_len)
{
  struct rg_ssrc_entry *e;
  int rc;
  if (mid_len > RG_SSRC_POLICY_MID_MAX || (mid == NULL && mid_len != 0))
    return RG_ERR_INVAL;
  if ((rc = insert(p, ssrc, &e)) < 0)
    return rc;
  e->rtcp_only = false;
  e->kind = (uint8_t)kind;
  e->mid_len = (uint8_t)mid_len;
  memset(e->mid, 0, sizeof e->mid);
  if (mid_len)
    memcpy(e->mid, mid, mid_len);
  return RG_OK;
}

int rg_ssrc_policy_add_list(struct rg_ssrc_policy *p, const uint32_t *ssrcs, size_t n,
                            enum rg_media_kind kind)
{
  for (size_t i = 0; i < n; i++) {
    int rc = rg_ssrc_policy_add(p, ssrcs[i], kind, NULL, 0);
    if (rc < 0)
      return rc;
  }
  return RG_OK;
}

int rg_ssrc_policy_add_rtcp_sender(struct rg_ssrc_policy *p, uint32_t ssrc)
{
  struct rg_ssrc_entry *e;
  return insert(p, ssrc, &e); /* a new entry starts rtcp_only; an old one keeps its role */
}

static enum rg_ssrc_verdict count(struct rg_ssrc_policy *p, enum rg_ssrc_verdict v, size_t len, bool rtcp)
{
  if (v == RG_SSRC_ACCEPT) {
    p->c.accepted_packets++;
    p->c.accepted_bytes += len;
    if (rtcp)
      p->c.accepted_rtcp_packets++;
  } else {
    p->c.dropped[v]++;
    p->c.dropped_bytes += len;
  }
  return v;
}

void rg_ssrc_policy_record_drop(struct rg_ssrc_policy *p, enum rg_ssrc_verdict reason, size_t len)
{
  if ((unsigned)reason == RG_SSRC_ACCEPT || (unsigned)reason >= RG_SSRC_VERDICT_COUNT)
    reason = RG_SSRC_DROP_MALFORMED;
  count(p, reason, len, false);
}

enum rg_ssrc_verdict rg_ssrc_policy_check_rtp(struct rg_ssrc_policy *p, const uint8_t *pkt, size_t len)
{
  struct rg_rtp_view v;
  const struct rg_ssrc_entry *e;
  if (!p->ready)
    return count(p, RG_SSRC_DROP_NOT_READY, len, false);
  if (rg_rtp_parse(pkt, len, &v) < 0)
    return count(p, RG_SSRC_DROP_MALFORMED, len, false);
  e = rg_ssrc_policy_lookup(p, v.ssrc);
  if (e == NULL || e->rtcp_only)
    return count(p, RG_SSRC_DROP_UNKNOWN_SSRC, len, false);
  return count(p, RG_SSRC_ACCEPT, len, false);
}

enum rg_ssrc_verdict rg_ssrc_policy_check_rtcp(struct rg_ssrc_policy *p, const uint8_t *pkt, size_t len)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt pk;
  bool any_sender = false, unknown = false;
  int rc;
  if (!p->ready)
    return count(p, RG_SSRC_DROP_NOT_READY, len, true);
  /* Walk the whole compound first: a malformed packet anywhere outranks an
   * unknown sender, and nothing is accepted before every length checked out. */
  rg_rtcp_iter_init(&it, pkt, len);
  while ((rc = rg_rtcp_iter_next(&it, &pk)) == 1) {
    if (!pk.has_sender)
      continue;
    any_sender = true;
    if (rg_ssrc_policy_lookup(p, pk.sender_ssrc) == NULL)
      unknown = true;
  }
  /* A compound with no sender SSRC at all (only empty SDES/BYE or types
   * without a sender field) names nobody we could check: malformed. */
  if (rc < 0 || !any_sender)
    return count(p, RG_SSRC_DROP_MALFORMED, len, true);
  if (unknown)
    return count(p, RG_SSRC_DROP_UNKNOWN_SSRC, len, true);
  return count(p, RG_SSRC_ACCEPT, len, true);
}

const char *rg_ssrc_policy_verdict_name(enum rg_ssrc_verdict v)
{
  static const char *const names[] = {
#define RG_SSRC_VERDICT_NAME(name, text) text,
    RG_SSRC_VERDICT_MAP(RG_SSRC_VERDICT_NAME)
#undef RG_SSRC_VERDICT_NAME
  };
  if ((unsigned)v >= RG_SSRC_VERDICT_COUNT)
    return "invalid";
  return names[v];
}
