/* rtcgate gateway — the media workers: one rg_broker per worker thread.
 *
 * DESIGN.md: "the media plane runs one loop per worker thread; a call's legs
 * live on one worker". Each worker is a whole broker (its own thread, event
 * loop, UDP port, DTLS certificate and legs), so the per-packet path stays
 * as it is: no lock, no shared state between workers. The gateway places
 * each new call on the worker holding the fewest of its calls (ties: the
 * lowest index) and remembers which one, so the answer, the hangup and the
 * statistics go to the same broker. This is the same choice a gateway will
 * make among brokers on other hosts; the broker interface does not change.
 *
 * Worker i binds media-port + i (each its own ephemeral port when
 * media-port is 0). The counters /metrics shows are the workers' sums.
 *
 * A worker whose thread has died (its event loop failed) answers every call
 * with RG_ERR_CLOSED at once. Its count of calls then only falls, so without
 * care it would be the one picked for every new call; so it is marked
 * stopped the first time it says so, and new calls go to the others.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

int gw_media_start(struct gw *gw)
{
  unsigned n = gw->cfg.media_workers ? gw->cfg.media_workers : 1;
  if (n > RG_GW_MEDIA_WORKERS_MAX || (gw->cfg.media_port && (uint32_t)gw->cfg.media_port + n - 1 > 65535u)) {
    fprintf(stderr, "rtcgate: gateway: %u media workers need udp ports %u..%u: past 65535 or more than %u workers\n",
            n, (unsigned)gw->cfg.media_port, (unsigned)gw->cfg.media_port + n - 1, RG_GW_MEDIA_WORKERS_MAX);
    return -1;
  }
  for (unsigned i = 0; i < n; i++) {
    struct rg_broker_config bc = {
        .media_ip = gw->cfg.media_ip,
        /* Port 0 lets each broker bind any free port; it tells us which afterwards. */
        .media_port = gw->cfg.media_port ? (uint16_t)(gw->cfg.media_port + i) : 0,
        .setup_timeout_ms = gw->cfg.media_timeout_ms,
        /* The gateway holds the whole server to max-calls; any one worker may take them all. */
        .max_calls = gw->cfg.max_calls,
        .consent_timeout_ms = gw->cfg.consent_timeout_ms,
        .receive_buffer = gw->cfg.media_receive_buffer,
        .now_unix = (uint64_t)gw_unix_now(),
    };
    int rc = rg_broker_new(&gw->broker[i], &bc, gw_events_push, gw);
    if (rc == 0) {
      gw->n_brokers = i + 1; /* stopped and freed by gw_media_stop/_free from here on */
      rc = rg_broker_start(gw->broker[i]);
    }
    if (rc) {
      fprintf(stderr, "rtcgate: gateway: media worker %u did not start on udp %s:%u: %s\n", i, gw->cfg.media_ip,
              (unsigned)bc.media_port, rg_strerror(rc));
      return -1;
    }
    gw->media_ports[i] = rg_broker_media_port(gw->broker[i]);
  }
  return 0;
}

void gw_media_stop(struct gw *gw)
{
  for (unsigned i = 0; i < gw->n_brokers; i++)
    rg_broker_stop(gw->broker[i]);
}

void gw_media_free(struct gw *gw)
{
  for (unsigned i = 0; i < gw->n_brokers; i++)
    rg_broker_free(gw->broker[i]);
  gw->n_brokers = 0;
}

unsigned gw_media_pick(const struct gw *gw)
{
  unsigned best = gw->n_brokers;
  for (unsigned i = 0; i < gw->n_brokers; i++)
    if (!gw->worker_stopped[i] && (best == gw->n_brokers || gw->worker_calls[i] < gw->worker_calls[best]))
      best = i;
  return best;
}

void gw_media_stopped(struct gw *gw, unsigned worker)
{
  if (worker >= gw->n_brokers || gw->worker_stopped[worker])
    return;
  gw->worker_stopped[worker] = true;
  gw->n_workers_stopped++;
  fprintf(stderr, "rtcgate: gateway: media worker %u (udp port %u) has stopped; new calls go to the others\n",
          worker, (unsigned)gw->media_ports[worker]);
}

int gw_media_offer(struct gw *gw, const char *id, const char *sdp, size_t len, char **offer, unsigned *kinds,
                   char *err, size_t cap, unsigned *worker)
{
  /* Each turn either returns or marks one more worker stopped: at most n_brokers + 1 turns. */
  for (;;) {
    unsigned w = gw_media_pick(gw);
    if (w >= gw->n_brokers) {
      snprintf(err, cap, "media broker stopped");
      return RG_ERR_CLOSED;
    }
    int rc = rg_broker_offer(gw->broker[w], id, sdp, len, offer, kinds, err, cap);
    if (rc != RG_ERR_CLOSED) {
      *worker = w;
      return rc;
    }
    gw_media_stopped(gw, w);
  }
}

void gw_media_ports_text(const struct gw *gw, char *out, size_t cap)
{
  size_t len = 0;
  out[0] = '\0';
  for (unsigned i = 0; i < gw->n_brokers && len < cap; i++) {
    int k = snprintf(out + len, cap - len, i ? ",%u" : "%u", (unsigned)gw->media_ports[i]);
    if (k < 0)
      break;
    len += (size_t)k;
  }
}

void gw_media_metrics(struct gw *gw, struct rg_broker_metrics *sum)
{
  memset(sum, 0, sizeof(*sum));
  for (unsigned i = 0; i < gw->n_brokers; i++) {
    struct rg_broker_metrics m;
    rg_broker_get_metrics(gw->broker[i], &m);
    sum->calls_active += m.calls_active;
    sum->legs_active += m.legs_active;
    sum->packets_relayed += m.packets_relayed;
    sum->bytes_relayed += m.bytes_relayed;
    sum->drops_unknown_ssrc += m.drops_unknown_ssrc;
    sum->drops_auth += m.drops_auth;
    sum->drops_replay += m.drops_replay;
    sum->drops_malformed += m.drops_malformed;
    sum->drops_not_ready += m.drops_not_ready;
    sum->dtls_handshakes_ok += m.dtls_handshakes_ok;
    sum->dtls_failures_fingerprint += m.dtls_failures_fingerprint;
    sum->dtls_failures_timeout += m.dtls_failures_timeout;
    sum->dtls_failures_other += m.dtls_failures_other;
    sum->datagrams_unrouted += m.datagrams_unrouted;
    sum->relay_not_ready += m.relay_not_ready;
    sum->tx_errors += m.tx_errors;
    sum->dtls_deferred += m.dtls_deferred;
    sum->dtls_defer_dropped += m.dtls_defer_dropped;
    sum->receive_overflows += m.receive_overflows;
    /* Every worker asks for the same buffer; the smallest granted is the
     * one that overflows first (a stopped worker reports 0 and no socket). */
    if (m.receive_buffer_bytes && (!sum->receive_buffer_bytes || m.receive_buffer_bytes < sum->receive_buffer_bytes))
      sum->receive_buffer_bytes = m.receive_buffer_bytes;
  }
}
