/* rtcgate gateway — GET /v1/health, GET /metrics, GET /v1/calls/<id>. */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_internal.h"

#define GW_METRICS_MAX 8192
/* /metrics needs no key, and each fetch of the broker's counters is a round
 * trip through its media worker: anyone could otherwise make the relay
 * thread stop for every request they send. Figures are at most this old. */
#define GW_BROKER_METRICS_MAX_AGE_US 250000

int gw_route_health(struct gw *gw, struct lws *wsi, struct gw_http_req *req)
{
  (void)gw;
  return gw_http_json(wsi, req, 200, json_pack("{s:s,s:s}", "status", "ok", "version", RG_GW_VERSION));
}

struct mbuf {
  char text[GW_METRICS_MAX];
  size_t len;
};

static void put(struct mbuf *b, const char *name, const char *type, const char *help, const char *labels,
                uint64_t v)
{
  if (help) {
    int n = snprintf(b->text + b->len, sizeof(b->text) - b->len, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                     type);
    if (n > 0 && (size_t)n < sizeof(b->text) - b->len)
      b->len += (size_t)n;
  }
  int n = snprintf(b->text + b->len, sizeof(b->text) - b->len, "%s%s %llu\n", name, labels ? labels : "",
                   (unsigned long long)v);
  if (n > 0 && (size_t)n < sizeof(b->text) - b->len)
    b->len += (size_t)n;
}

/* The broker's counters, fetched at most once per GW_BROKER_METRICS_MAX_AGE_US. */
static const struct rg_broker_metrics *broker_metrics(struct gw *gw)
{
  uint64_t now = gw_now_us();
  if (gw->n_brokers && (gw->m.broker_metrics_fetches == 0 || now - gw->bm_cache_us >= GW_BROKER_METRICS_MAX_AGE_US)) {
    gw_media_metrics(gw, &gw->bm_cache);
    gw->bm_cache_us = now;
    gw->m.broker_metrics_fetches++;
  }
  return &gw->bm_cache;
}

int gw_route_metrics(struct gw *gw, struct lws *wsi, struct gw_http_req *req)
{
  struct rg_broker_metrics bm = *broker_metrics(gw);
  struct mbuf b;
  b.len = 0;
  put(&b, "rtcgate_calls_active", "gauge", "Calls the gateway is routing.", NULL, gw->n_calls);
  put(&b, "rtcgate_calls_total", "counter", "Calls started (broker accepted the offer).", NULL, gw->m.calls_started);
  put(&b, "rtcgate_calls_answered_total", "counter", "Calls answered.", NULL, gw->m.calls_answered);
  put(&b, "rtcgate_media_workers", "gauge", "Media worker threads, each with its own UDP port.", NULL, gw->n_brokers);
  put(&b, "rtcgate_media_workers_stopped", "gauge", "Media workers whose thread died; they take no new calls.", NULL,
      gw->n_workers_stopped);
  put(&b, "rtcgate_broker_calls_active", "gauge", "Calls the media broker holds.", NULL, bm.calls_active);
  put(&b, "rtcgate_legs_active", "gauge", "Media legs the broker holds.", NULL, bm.legs_active);
  put(&b, "rtcgate_packets_relayed_total", "counter", "Media packets relayed.", NULL, bm.packets_relayed);
  put(&b, "rtcgate_bytes_relayed_total", "counter", "Media bytes relayed.", NULL, bm.bytes_relayed);
  put(&b, "rtcgate_media_drops_total", "counter", "Media packets dropped, by reason.", "{reason=\"unknown_ssrc\"}",
      bm.drops_unknown_ssrc);
  put(&b, "rtcgate_media_drops_total", "counter", NULL, "{reason=\"auth\"}", bm.drops_auth);
  put(&b, "rtcgate_media_drops_total", "counter", NULL, "{reason=\"replay\"}", bm.drops_replay);
  put(&b, "rtcgate_media_drops_total", "counter", NULL, "{reason=\"malformed\"}", bm.drops_malformed);
  put(&b, "rtcgate_media_drops_total", "counter", NULL, "{reason=\"not_ready\"}", bm.drops_not_ready);
  put(&b, "rtcgate_dtls_handshakes_total", "counter", "DTLS handshakes completed and verified.", NULL,
      bm.dtls_handshakes_ok);
  put(&b, "rtcgate_dtls_failures_total", "counter", "DTLS handshakes failed, by reason.", "{reason=\"fingerprint\"}",
      bm.dtls_failures_fingerprint);
  put(&b, "rtcgate_dtls_failures_total", "counter", NULL, "{reason=\"timeout\"}", bm.dtls_failures_timeout);
  put(&b, "rtcgate_dtls_failures_total", "counter", NULL, "{reason=\"other\"}", bm.dtls_failures_other);
  put(&b, "rtcgate_dtls_deferred_total", "counter", "DTLS datagrams queued behind media.", NULL, bm.dtls_deferred);
  put(&b, "rtcgate_dtls_defer_dropped_total", "counter", "DTLS datagrams dropped: the queue behind media was full.",
      NULL, bm.dtls_defer_dropped);
  put(&b, "rtcgate_media_receive_overflows_total", "counter",
      "Datagrams the kernel dropped: the media socket's receive buffer was full (the broker fell behind).", NULL,
      bm.receive_overflows);
  put(&b, "rtcgate_media_receive_buffer_bytes", "gauge",
      "The media socket's receive buffer as the kernel reports it (twice the size granted).", NULL,
      bm.receive_buffer_bytes);
  put(&b, "rtcgate_broker_metrics_fetches_total", "counter",
      "Times /metrics fetched the broker's counters (at most 4 per second; they may be 250 ms old).", NULL,
      gw->m.broker_metrics_fetches);
  put(&b, "rtcgate_tokens_issued_total", "counter", "Session tokens issued.", NULL, gw->m.tokens_issued);
  put(&b, "rtcgate_tokens_rejected_total", "counter", "WebSocket authentications refused.", NULL,
      gw->m.tokens_rejected);
  put(&b, "rtcgate_app_key_rejected_total", "counter", "HTTP requests with a wrong application key.", NULL,
      gw->m.app_key_rejected);
  put(&b, "rtcgate_ws_connections", "gauge", "Open WebSockets.", NULL, gw->n_conns);
  put(&b, "rtcgate_ws_unauthenticated", "gauge", "Open WebSockets not yet authenticated.", NULL, gw->n_unauthed);
  put(&b, "rtcgate_ws_refused_total", "counter", "WebSocket upgrades refused: too many unauthenticated sockets.",
      NULL, gw->m.ws_refused_unauth);
  put(&b, "rtcgate_sessions_expired_total", "counter", "WebSockets closed because their token expired.", NULL,
      gw->m.sessions_expired);
  put(&b, "rtcgate_ws_bad_frames_total", "counter", "WebSocket frames refused as bad_message.", NULL,
      gw->m.ws_bad_frames);
  put(&b, "rtcgate_ws_closed_abuse_total", "counter", "WebSockets closed for bad frames, flooding or not reading.",
      NULL, gw->m.ws_closed_abuse);
  return gw_http_respond(wsi, req, 200, "text/plain; version=0.0.4", b.text, b.len);
}

static json_t *leg_json(const struct gw_call *call, int side, const struct rg_broker_leg_stats *s)
{
  json_t *drops = json_pack("{s:I,s:I,s:I,s:I,s:I}", "unknown_ssrc", (json_int_t)s->drops_unknown_ssrc, "auth",
                            (json_int_t)s->drops_auth, "replay", (json_int_t)s->drops_replay, "malformed",
                            (json_int_t)s->drops_malformed, "not_ready", (json_int_t)s->drops_not_ready);
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:o}", "side",
                   side == RG_LEG_CALLER ? "caller" : "callee", "user", call->user[side], "ice_state", s->ice_state,
                   "dtls_state", s->dtls_state, "dtls_version", s->dtls_version, "dtls_cipher", s->dtls_cipher,
                   "srtp_profile", s->srtp_profile, "fingerprint_verified", s->fingerprint_verified, "packets_in",
                   (json_int_t)s->packets_in, "bytes_in", (json_int_t)s->bytes_in, "packets_out",
                   (json_int_t)s->packets_out, "bytes_out", (json_int_t)s->bytes_out, "drops", drops);
}

int gw_route_call_get(struct gw *gw, struct lws *wsi, struct gw_http_req *req, const char *call_id)
{
  if (!gw_http_app_key_ok(gw, req))
    return gw_http_error(wsi, req, 401, "unauthorized", "a valid application key is required (Authorization: Bearer)");
  if (!gw_valid_call_id(call_id, strlen(call_id)))
    return gw_http_error(wsi, req, 400, "bad_request", "call_id must match [A-Za-z0-9_-]{8,64}");
  struct gw_call *call = gw_call_find(gw, call_id);
  if (!call)
    return gw_http_error(wsi, req, 404, "not_found", "no such call");
  struct rg_broker_leg_stats legs[2];
  memset(legs, 0, sizeof(legs));
  if (call->worker < gw->n_brokers)
    rg_broker_call_stats(gw->broker[call->worker], call_id, legs);
  char when[32];
  gw_rfc3339(call->created_at, when);
  json_t *arr = json_array();
  for (int side = 0; side < 2; side++)
    json_array_append_new(arr, leg_json(call, side, &legs[side]));
  return gw_http_json(wsi, req, 200,
                      json_pack("{s:s,s:s,s:s,s:I,s:I,s:o}", "call_id", call->id, "state",
                                gw_call_state_name(call->state), "created_at", when, "media_worker",
                                (json_int_t)call->worker, "media_port", (json_int_t)gw->media_ports[call->worker],
                                "legs", arr));
}
