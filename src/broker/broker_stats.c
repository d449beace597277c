/* Per-call stats and broker metrics. Counters are written by the worker only
 * and read here on the worker (a stats request is a message), so none of
 * them needs a lock or an atomic. */
#include <stdio.h>
#include <string.h>

#include "broker/broker_internal.h"
#include "io/io_udp.h"

static const char *dtls_state_name(const struct rg_broker_leg *leg)
{
  if (!leg->t)
    return "new";
  switch (rg_transport_state(leg->t)) {
  case RG_TRANSPORT_CONNECTING: return "connecting";
  case RG_TRANSPORT_READY: return "connected";
  case RG_TRANSPORT_FAILED: return "failed";
  case RG_TRANSPORT_CLOSED: return leg->secured ? "closed" : "failed";
  default: return "new";
  }
}

void rg_broker_fill_leg_stats_(const struct rg_broker_leg *leg, struct rg_broker_leg_stats *out)
{
  struct rg_transport_stats ts;
  memset(out, 0, sizeof *out);
  out->present = true;
  snprintf(out->ice_state, sizeof out->ice_state, "%s",
           leg->consent_lost ? "lost" : (leg->ice_connected || leg->addrs[0].used) ? "connected" : "new");
  snprintf(out->dtls_state, sizeof out->dtls_state, "%s", dtls_state_name(leg));
  snprintf(out->dtls_version, sizeof out->dtls_version, "%s", leg->dtls_version);
  snprintf(out->dtls_cipher, sizeof out->dtls_cipher, "%s", leg->dtls_cipher);
  snprintf(out->srtp_profile, sizeof out->srtp_profile, "%s", leg->srtp_profile);
  out->fingerprint_verified = leg->fp_verified;
  out->packets_in = leg->packets_in;
  out->bytes_in = leg->bytes_in;
  out->packets_out = leg->packets_out;
  out->bytes_out = leg->bytes_out;
  if (!leg->t)
    return;
  rg_transport_get_stats(leg->t, &ts);
  out->drops_unknown_ssrc = ts.media->dropped[RG_SSRC_DROP_UNKNOWN_SSRC];
  out->drops_auth = ts.media->dropped[RG_SSRC_DROP_AUTH];
  out->drops_replay = ts.media->dropped[RG_SSRC_DROP_REPLAY];
  out->drops_malformed = ts.media->dropped[RG_SSRC_DROP_MALFORMED];
  out->drops_not_ready = ts.media->dropped[RG_SSRC_DROP_NOT_READY];
}

void rg_broker_fold_leg_(struct rg_broker *b, const struct rg_broker_leg *leg)
{
  struct rg_transport_stats ts;
  rg_transport_get_stats(leg->t, &ts);
  for (int v = 0; v < RG_SSRC_VERDICT_COUNT; v++)
    b->tot.drops[v] += ts.media->dropped[v];
}

void rg_broker_fill_metrics_(const struct rg_broker *b, struct rg_broker_metrics *m)
{
  uint64_t drops[RG_SSRC_VERDICT_COUNT];
  memset(m, 0, sizeof *m);
  memcpy(drops, b->tot.drops, sizeof drops);
  for (const struct rg_broker_call *c = b->calls; c; c = c->next)
    for (int i = 0; i < 2; i++) {
      struct rg_transport_stats ts;
      if (!c->legs[i].t)
        continue;
      m->legs_active++;
      rg_transport_get_stats(c->legs[i].t, &ts);
      for (int v = 0; v < RG_SSRC_VERDICT_COUNT; v++)
        drops[v] += ts.media->dropped[v];
    }
  m->calls_active = b->n_calls;
  m->packets_relayed = b->tot.packets_relayed;
  m->bytes_relayed = b->tot.bytes_relayed;
  m->drops_unknown_ssrc = drops[RG_SSRC_DROP_UNKNOWN_SSRC];
  m->drops_auth = drops[RG_SSRC_DROP_AUTH];
  m->drops_replay = drops[RG_SSRC_DROP_REPLAY];
  m->drops_malformed = drops[RG_SSRC_DROP_MALFORMED];
  m->drops_not_ready = drops[RG_SSRC_DROP_NOT_READY];
  m->dtls_handshakes_ok = b->tot.dtls_ok;
  m->dtls_failures_fingerprint = b->tot.dtls_fail_fingerprint;
  m->dtls_failures_timeout = b->tot.dtls_fail_timeout;
  m->dtls_failures_other = b->tot.dtls_fail_other;
  m->datagrams_unrouted = b->tot.unrouted;
  m->relay_not_ready = b->tot.relay_not_ready;
  m->tx_errors = b->tot.tx_errors;
  m->dtls_deferred = b->tot.dtls_deferred;
  m->dtls_defer_dropped = b->tot.dtls_defer_dropped;
  m->receive_overflows = b->fd >= 0 ? rg_udp_receive_drops(b->fd) : 0;
  m->receive_buffer_bytes = b->fd >= 0 ? rg_udp_receive_buffer(b->fd) : 0;
}
