/* rtcgate gateway — one WebSocket: accept, assemble frames, queue replies,
 * close with a code.
 *
 * Nothing here blocks: replies go into a bounded per-socket queue written one
 * frame per WRITEABLE callback, and a client that does not read (queue full)
 * is dropped instead of growing memory or holding up the service thread.
 * Abuse control per socket: a token bucket (GW_WS_RATE_PER_S, burst
 * GW_WS_RATE_BURST) and a count of bad frames in a row (GW_WS_BAD_MAX).
 * Before it authenticates a socket may hold at most GW_WS_PREAUTH_MSG_MAX
 * bytes of message (more closes it with 4401 at once), and at most
 * cfg.max_unauth_sockets such sockets exist: further upgrades are refused
 * until one authenticates or closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"

static void txq_clear(struct gw_conn *c)
{
  struct gw_msg *m = c->txq_head;
  while (m) {
    struct gw_msg *next = m->next;
    free(m);
    m = next;
  }
  c->txq_head = c->txq_tail = NULL;
  c->txq_msgs = c->txq_bytes = 0;
}

/* A client that lets its queue fill is not reading: drop it at once (no
 * close frame could get through anyway). */
static void conn_abort(struct gw_conn *c, const char *why)
{
  if (c->aborted)
    return;
  c->aborted = true;
  fprintf(stderr, "rtcgate: gateway: dropping socket of %s: %s\n", c->authed ? c->claims.user : "(unauthenticated)",
          why);
  c->gw->m.ws_closed_abuse++;
  if (c->call)
    gw_call_end(c->call, "gone", c);
  if (!c->close_code)
    c->close_code = GW_CLOSE_SLOW;
  c->authed = false;
  txq_clear(c);
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void gw_conn_send(struct gw_conn *c, json_t *obj)
{
  char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
  json_decref(obj);
  if (!text)
    return;
  size_t len = strlen(text);
  if (c->close_code) {
    free(text);
    return;
  }
  if (c->txq_msgs >= GW_WS_TXQ_MAX_MSGS || c->txq_bytes + len > GW_WS_TXQ_MAX_BYTES) {
    free(text);
    conn_abort(c, "send queue full");
    return;
  }
  struct gw_msg *m = malloc(sizeof(*m) + LWS_PRE + len);
  if (!m) {
    free(text);
    conn_abort(c, "out of memory");
    return;
  }
  m->next = NULL;
  m->len = len;
  memcpy(m->buf + LWS_PRE, text, len);
  free(text);
  if (c->txq_tail)
    c->txq_tail->next = m;
  else
    c->txq_head = m;
  c->txq_tail = m;
  c->txq_msgs++;
  c->txq_bytes += len;
  lws_callback_on_writable(c->wsi);
}

void gw_conn_send_error(struct gw_conn *c, const char *call_id, const char *code, const char *message)
{
  json_t *o = json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", message);
  if (o && call_id)
    json_object_set_new(o, "call_id", json_string(call_id));
  gw_conn_send(c, o);
}

void gw_conn_close(struct gw_conn *c, int code, const char *reason)
{
  if (c->close_code)
    return;
  if (c->call)
    gw_call_end(c->call, "gone", c);
  c->close_code = code;
  c->authed = false; /* no longer reachable as its user */
  snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, GW_CLOSE_GRACE_S);
  lws_callback_on_writable(c->wsi);
}

void gw_conn_preauth_done(struct gw_conn *c)
{
  if (c->preauth_counted) {
    c->preauth_counted = false;
    c->gw->n_unauthed--;
  }
}

struct gw_conn *gw_conn_find_user(struct gw *gw, const char *user)
{
  for (struct gw_conn *c = gw->conns; c; c = c->next)
    if (c->authed && !c->close_code && strcmp(c->claims.user, user) == 0)
      return c;
  return NULL;
}

static bool rate_ok(struct gw_conn *c)
{
  uint64_t now = gw_now_us();
  c->bucket += (double)(now - c->bucket_us) * GW_WS_RATE_PER_S / 1e6;
  if (c->bucket > GW_WS_RATE_BURST)
    c->bucket = GW_WS_RATE_BURST;
  c->bucket_us = now;
  if (c->bucket < 1.0)
    return false;
  c->bucket -= 1.0;
  return true;
}

static void on_message(struct gw_conn *c)
{
  if (c->close_code)
    return;
  if (!rate_ok(c)) {
    c->gw->m.ws_closed_abuse++;
    fprintf(stderr, "rtcgate: gateway: closing a socket that sends over %d frames/s\n", GW_WS_RATE_PER_S);
    gw_conn_send_error(c, NULL, "limit", "too many frames");
    gw_conn_close(c, GW_CLOSE_RATE, "rate limit");
    return;
  }
  if (c->rx_overflow || c->rx_binary) {
    const char *why = c->rx_overflow ? "frame over 262144 bytes" : "binary frames are not accepted";
    if (!c->authed) {
      c->gw->m.tokens_rejected++;
      gw_conn_send_error(c, NULL, "unauthorized", why);
      gw_conn_close(c, GW_CLOSE_UNAUTHORIZED, "unauthorized");
      return;
    }
    c->gw->m.ws_bad_frames++;
    gw_conn_send_error(c, NULL, "bad_message", why);
    if (++c->bad_streak >= GW_WS_BAD_MAX) {
      c->gw->m.ws_closed_abuse++;
      gw_conn_close(c, GW_CLOSE_BAD_FRAMES, "too many bad frames");
    }
    return;
  }
  gw_signal_handle(c, c->rx ? c->rx : "", c->rx_len);
}

/* More than an auth frame's worth before auth: refused at once, before the
 * rest of the message arrives. */
static void refuse_oversized_auth(struct gw_conn *c)
{
  c->gw->m.tokens_rejected++;
  gw_conn_send_error(c, NULL, "unauthorized", "message over 4096 bytes before auth");
  gw_conn_close(c, GW_CLOSE_UNAUTHORIZED, "unauthorized");
}

static int on_receive(struct gw_conn *c, struct lws *wsi, const void *in, size_t len)
{
  /* A socket being closed has nothing more to say: its input is read and dropped. */
  if (c->close_code || c->aborted)
    return 0;
  size_t max = c->authed ? GW_WS_FRAME_MAX : GW_WS_PREAUTH_MSG_MAX;
  if (lws_is_first_fragment(wsi)) {
    c->rx_len = 0;
    c->rx_overflow = false;
    c->rx_binary = lws_frame_is_binary(wsi) != 0;
  }
  if (!c->rx_overflow && !c->rx_binary) {
    if (c->rx_len + len > max) {
      c->rx_overflow = true;
      if (!c->authed) {
        refuse_oversized_auth(c);
        return 0;
      }
    } else if (len) {
      if (c->rx_len + len > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        while (cap < c->rx_len + len)
          cap *= 2;
        if (cap > max)
          cap = max;
        char *nb = realloc(c->rx, cap);
        if (!nb)
          return -1;
        c->rx = nb;
        c->rx_cap = cap;
      }
      memcpy(c->rx + c->rx_len, in, len);
      c->rx_len += len;
    }
  }
  if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
    on_message(c);
    /* A big buffer is not kept for the life of an idle socket. */
    if (c->rx_cap > 65536) {
      free(c->rx);
      c->rx = NULL;
      c->rx_cap = 0;
    }
    c->rx_len = 0;
  }
  return 0;
}

static int on_writeable(struct gw_conn *c, struct lws *wsi)
{
  struct gw_msg *m = c->txq_head;
  if (m) {
    c->txq_head = m->next;
    if (!c->txq_head)
      c->txq_tail = NULL;
    c->txq_msgs--;
    c->txq_bytes -= m->len;
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0)
      return -1;
    if (c->txq_head || c->close_code) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  if (!c->txq_head && c->close_code) {
    lws_close_reason(wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
                     strlen(c->close_reason));
    return -1;
  }
  return 0;
}

static bool uri_is_ws(struct lws *wsi)
{
  char uri[32];
  int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
  return n > 0 && strcmp(uri, "/v1/ws") == 0;
}

int gw_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct gw_pss *pss = user;
  struct gw *gw = lws_context_user(lws_get_context(wsi));
  struct gw_conn *c = pss ? pss->conn : NULL;
  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    if (!uri_is_ws(wsi) || gw->n_conns >= GW_WS_CONNS_MAX || gw->stopping)
      return -1;
    if (gw->n_unauthed >= gw->cfg.max_unauth_sockets) {
      gw->m.ws_refused_unauth++; /* counted, not logged: a flood would flood the log */
      return -1;
    }
    return 0;
  case LWS_CALLBACK_ESTABLISHED:
    c = calloc(1, sizeof(*c));
    if (!c)
      return -1;
    c->gw = gw;
    c->wsi = wsi;
    c->auth_deadline_us = gw_now_us() + (uint64_t)gw->cfg.auth_timeout_ms * 1000u;
    c->bucket = GW_WS_RATE_BURST;
    c->bucket_us = gw_now_us();
    c->next = gw->conns;
    if (gw->conns)
      gw->conns->prev = c;
    gw->conns = c;
    gw->n_conns++;
    c->preauth_counted = true;
    gw->n_unauthed++;
    gw->m.ws_connections++;
    pss->conn = c;
    return 0;
  case LWS_CALLBACK_RECEIVE:
    return c ? on_receive(c, wsi, in, len) : -1;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return c ? on_writeable(c, wsi) : 0;
  case LWS_CALLBACK_CLOSED:
    if (!c)
      return 0;
    if (c->call)
      gw_call_end(c->call, "gone", c);
    if (c->authed)
      fprintf(stderr, "rtcgate: gateway: user %s disconnected\n", c->claims.user);
    if (c->prev)
      c->prev->next = c->next;
    else
      gw->conns = c->next;
    if (c->next)
      c->next->prev = c->prev;
    gw->n_conns--;
    gw_conn_preauth_done(c); /* leaves the unauthenticated count, if still in it */
    txq_clear(c);
    free(c->rx);
    free(c);
    pss->conn = NULL;
    return 0;
  default:
    return 0;
  }
}
