/* ICE-lite agent (RFC 8445 §2.5, §7.3) with consent watching (RFC 7675):
 * answers checks, follows the nominated peer address, reports 30 s silence
 * (or the configured consent timeout). */
#include "ice_internal.h"
#include "rtcgate/error.h"

#include <string.h>

int rg_ice_lite_init(struct rg_ice_lite *a, const struct rg_ice_lite_config *cfg)
{
  memset(a, 0, sizeof *a);
  if (cfg->consent_timeout_us && (cfg->consent_timeout_us < RG_ICE_CONSENT_TIMEOUT_MIN_US ||
                                  cfg->consent_timeout_us > RG_ICE_CONSENT_TIMEOUT_MAX_US))
    return RG_ERR_INVAL;
  a->consent_timeout_us = cfg->consent_timeout_us ? cfg->consent_timeout_us : RG_ICE_CONSENT_TIMEOUT_US;
  return rg_ice__common_init(&a->c, &cfg->creds, cfg->silent_auth_failures, false, 0);
}

void rg_ice_lite_cleanup(struct rg_ice_lite *a)
{
  rg_ice__common_cleanup(&a->c);
  memset(&a->peer, 0, sizeof a->peer);
  a->selected = a->consent_armed = false;
}

int rg_ice_lite_handle_stun(struct rg_ice_lite *a, uint64_t now_us, const struct rg_addr *from, const uint8_t *data,
                            size_t len)
{
  struct rg_stun_msg m;
  int rc = rg_ice__parse(&a->c, &m, data, len);
  if (rc == RG_ERR_AGAIN)
    return RG_OK; /* keepalive indication */
  if (rc != RG_OK)
    return rc;
  if (m.cls != RG_STUN_REQUEST) {
    a->c.stats.rx_unexpected_response++; /* a lite agent sends no requests */
    return RG_ERR_STATE;
  }
  rc = rg_ice__answer_request(&a->c, &m, from, RG_ICE_ROLE_CONTROLLED, 0);
  if (rc != RG_OK)
    return rc;

  /* Only the controlling side nominates (RFC 8445 §8.1.1): USE-CANDIDATE
   * counts when the request says ICE-CONTROLLING. With aggressive nomination
   * every check of the peer carries it, so a NAT rebinding is followed. */
  if (m.use_candidate && m.has_ice_controlling) {
    if (!a->selected) {
      a->selected = true;
      a->peer = *from;
      rg_ice__event(&a->c, RG_ICE_EVENT_SELECTED, from);
    } else if (!rg_addr_equal(&a->peer, from)) {
      a->peer = *from;
      rg_ice__event(&a->c, RG_ICE_EVENT_ADDRESS_CHANGED, from);
    }
  }
  /* Consent is per pair (RFC 7675 §5): checks on the selected pair refresh
   * it. Before the peer nominates, any authenticated check arms and refreshes
   * it too: a peer may secure the leg over a validated, never-nominated pair
   * (the transport allows that, see transport.c), and must still be torn down
   * 30 s after it falls silent (DESIGN.md contract item 6). */
  if (!a->selected || rg_addr_equal(&a->peer, from)) {
    a->consent_armed = true;
    a->last_consent_us = now_us;
  }
  return RG_OK;
}

uint64_t rg_ice_lite_next_timeout(const struct rg_ice_lite *a)
{
  if (a->c.closed || !a->consent_armed)
    return RG_ICE_NO_TIMEOUT;
  return a->last_consent_us + a->consent_timeout_us;
}

int rg_ice_lite_handle_timeout(struct rg_ice_lite *a, uint64_t now_us)
{
  if (a->c.closed)
    return RG_ERR_CLOSED;
  if (a->consent_armed && now_us >= a->last_consent_us + a->consent_timeout_us) {
    /* Reported once; then inert, as the leg is to be torn down. */
    rg_ice__event(&a->c, RG_ICE_EVENT_CONSENT_LOST, &a->peer);
    a->c.closed = true;
    a->c.out_count = 0; /* nothing but the event leaves an inert agent */
    a->consent_armed = false;
  }
  return RG_OK;
}

int rg_ice_lite_poll(struct rg_ice_lite *a, struct rg_ice_output *out, uint8_t *buf, size_t cap)
{
  return rg_ice__poll(&a->c, out, buf, cap);
}

bool rg_ice_lite_peer(const struct rg_ice_lite *a, struct rg_addr *peer)
{
  if (!a->selected)
    return false;
  *peer = a->peer;
  return true;
}

const struct rg_ice_stats *rg_ice_lite_stats(const struct rg_ice_lite *a) { return &a->c.stats; }
