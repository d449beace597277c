/* One leg's transport: composes ICE, DTLS, SRTP and the SSRC policy.
 *
 * This file holds the life cycle and the control plane (STUN, DTLS, events,
 * timers); transport_media.c holds the per-packet media path. The composition
 * rules are in include/rtcgate/transport.h; the one subtle choice is which
 * source addresses may carry DTLS and SRTP:
 *  - ICE-lite (broker): any address that passed an authenticated binding
 *    request. Chromium starts DTLS as soon as a pair is writable, which can be
 *    before it nominates, so waiting for USE-CANDIDATE would stall it. Media
 *    is sent to the nominated address once there is one, else to the latest
 *    validated one.
 *  - controlling (client): only the nominated remote address.
 */
#include "rtcgate/transport.h"
#include "transport_internal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/demux.h"
#include "rtcgate/error.h"
#include "rtcgate/srtp.h"

static void queue_event(struct rg_transport *t, const struct rg_transport_event *ev)
{
  if (t->ev_count == RG_TRANSPORT_EVENT_QUEUE) {
    t->events_dropped++;
    return;
  }
  t->events[(t->ev_head + t->ev_count) % RG_TRANSPORT_EVENT_QUEUE] = *ev;
  t->ev_count++;
}

static void queue_simple_event(struct rg_transport *t, int type)
{
  struct rg_transport_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  queue_event(t, &ev);
}

static void fail(struct rg_transport *t, int err, const char *reason)
{
  struct rg_transport_event ev;
  if (t->state == RG_TRANSPORT_FAILED)
    return;
  t->state = RG_TRANSPORT_FAILED;
  rg_ssrc_policy_set_ready(&t->policy, false);
  memset(&ev, 0, sizeof ev);
  ev.type = RG_TRANSPORT_EV_FAILED;
  ev.err = err;
  ev.reason = reason;
  queue_event(t, &ev);
}

bool rg_transport_source_ok(const struct rg_transport *t, const struct rg_addr *from)
{
  if (t->have_peer && rg_addr_equal(&t->peer, from))
    return true;
  for (size_t i = 0; i < t->n_validated; i++)
    if (rg_addr_equal(&t->validated[i], from))
      return true;
  return false;
}

static void remember_validated(struct rg_transport *t, const struct rg_addr *from)
{
  if (rg_transport_source_ok(t, from))
    return;
  /* Bounded: the oldest validated address gives way to the newest. */
  t->validated[t->next_validated] = *from;
  t->next_validated = (uint8_t)((t->next_validated + 1) % RG_TRANSPORT_MAX_VALIDATED);
  if (t->n_validated < RG_TRANSPORT_MAX_VALIDATED)
    t->n_validated++;
  t->latest_validated = *from;
  t->have_latest = true;
}

/* Where DTLS and media go now. */
bool rg_transport_dest(const struct rg_transport *t, struct rg_addr *dest)
{
  if (t->have_peer) {
    *dest = t->peer;
    return true;
  }
  if (t->have_latest) {
    *dest = t->latest_validated;
    return true;
  }
  return false;
}

static void refresh_peer(struct rg_transport *t)
{
  struct rg_addr a;
  bool have = t->mode == RG_TRANSPORT_ICE_LITE ? rg_ice_lite_peer(&t->ice.lite, &a)
                                               : rg_ice_agent_remote(&t->ice.agent, &a);
  if (have) {
    t->peer = a;
    t->have_peer = true;
  }
}

static void maybe_start_dtls(struct rg_transport *t, uint64_t now_us)
{
  struct rg_addr dest;
  if (t->dtls_started || t->state != RG_TRANSPORT_NEW || !rg_transport_dest(t, &dest))
    return;
  /* A controlling client waits for its nominated pair; a lite broker starts
   * as soon as one check authenticated (it then knows where the peer is). */
  if (t->mode == RG_TRANSPORT_ICE_CONTROLLING && !t->have_peer)
    return;
  t->dtls_started = true;
  t->state = RG_TRANSPORT_CONNECTING;
  if (rg_dtls_start(t->dtls, now_us) < 0)
    fail(t, RG_ERR_CRYPTO, "DTLS could not start");
}

static int key_srtp(struct rg_transport *t)
{
  struct rg_dtls_srtp_keys keys;
  struct rg_srtp_config c;
  int err = rg_dtls_export_srtp_keys(t->dtls, &keys);
  if (err < 0)
    return err;
  memset(&c, 0, sizeof c);
  c.profile = keys.profile;
  c.max_streams = t->srtp_max_streams;
  c.replay_window = t->srtp_replay_window;
  c.direction = RG_SRTP_PROTECT;
  c.master_key = keys.local_key;
  c.master_key_len = keys.key_len;
  c.master_salt = keys.local_salt;
  c.master_salt_len = keys.salt_len;
  err = rg_srtp_new(&c, &t->tx);
  if (err == 0) {
    c.direction = RG_SRTP_UNPROTECT;
    c.master_key = keys.remote_key;
    c.master_salt = keys.remote_salt;
    err = rg_srtp_new(&c, &t->rx);
  }
  OPENSSL_cleanse(&keys, sizeof keys); /* keys live on only inside the SRTP contexts */
  return err;
}

static void on_dtls_event(struct rg_transport *t, const struct rg_dtls_event *de)
{
  struct rg_transport_event ev;
  memset(&ev, 0, sizeof ev);
  switch (de->type) {
  case RG_DTLS_EV_FINGERPRINT_VERIFIED:
    t->verified = true;
    ev.type = RG_TRANSPORT_EV_FINGERPRINT_VERIFIED;
    ev.fingerprint = de->fingerprint;
    queue_event(t, &ev);
    break;
  case RG_DTLS_EV_FINGERPRINT_MISMATCH:
    /* Contract item 3: stop silently. The DTLS core already emits nothing
     * more; the transport drops its own queued output too and goes inert. */
    t->fingerprint_mismatches++;
    t->state = RG_TRANSPORT_FAILED;
    rg_ssrc_policy_set_ready(&t->policy, false);
    ev.type = RG_TRANSPORT_EV_FINGERPRINT_MISMATCH;
    ev.fingerprint = de->fingerprint;
    queue_event(t, &ev);
    break;
  case RG_DTLS_EV_CONNECTED: {
    int err;
    if (t->state != RG_TRANSPORT_NEW && t->state != RG_TRANSPORT_CONNECTING)
      break; /* consent was lost or the leg closed meanwhile: stay down */
    if (!t->verified) {
      fail(t, RG_ERR_FINGERPRINT, "DTLS connected without a verified fingerprint");
      break;
    }
    err = key_srtp(t);
    if (err < 0) {
      fail(t, err, "SRTP keying failed");
      break;
    }
    t->state = RG_TRANSPORT_READY;
    rg_ssrc_policy_set_ready(&t->policy, true);
    ev.type = RG_TRANSPORT_EV_DTLS_CONNECTED;
    ev.srtp_profile = de->srtp_profile;
    memcpy(ev.version, de->version, sizeof ev.version);
    memcpy(ev.cipher, de->cipher, sizeof ev.cipher);
    queue_event(t, &ev);
    break;
  }
  case RG_DTLS_EV_CLOSED:
    if (t->state != RG_TRANSPORT_FAILED)
      t->state = RG_TRANSPORT_CLOSED;
    rg_ssrc_policy_set_ready(&t->policy, false);
    queue_simple_event(t, RG_TRANSPORT_EV_DTLS_CLOSED);
    break;
  case RG_DTLS_EV_FAILED:
    fail(t, de->err, de->reason);
    break;
  default:
    break;
  }
}

static void drain_dtls_events(struct rg_transport *t)
{
  struct rg_dtls_event de;
  while (rg_dtls_poll_event(t->dtls, &de) == 1)
    on_dtls_event(t, &de);
}

static bool inert(const struct rg_transport *t)
{
  return t->state == RG_TRANSPORT_FAILED;
}

static uint64_t ice_next_timeout(const struct rg_transport *t)
{
  return t->mode == RG_TRANSPORT_ICE_LITE ? rg_ice_lite_next_timeout(&t->ice.lite)
                                          : rg_ice_agent_next_timeout(&t->ice.agent);
}

static uint64_t compute_due(const struct rg_transport *t)
{
  uint64_t a = ice_next_timeout(t), b = t->dtls_started ? rg_dtls_next_timeout(t->dtls) : UINT64_MAX;
  return a < b ? a : b;
}

/* After anything that can queue output or move an ICE or DTLS deadline. */
static void unsettle(struct rg_transport *t)
{
  t->settled = false;
  t->due = compute_due(t);
}

int rg_transport_new(struct rg_transport **out, const struct rg_transport_config *cfg, uint64_t now_us)
{
  struct rg_transport *t;
  int err;
  if (!out || !cfg || !cfg->dtls_ctx || cfg->n_remote_ssrcs > RG_TRANSPORT_MAX_SSRCS ||
      (cfg->n_remote_ssrcs && !cfg->remote_ssrcs) ||
      (cfg->n_remote_rtcp_senders && !cfg->remote_rtcp_senders))
    return RG_ERR_INVAL;
  if (cfg->ice_mode != RG_TRANSPORT_ICE_LITE && cfg->ice_mode != RG_TRANSPORT_ICE_CONTROLLING)
    return RG_ERR_INVAL;
  t = calloc(1, sizeof *t);
  if (!t)
    return RG_ERR_NOMEM;
  t->mode = cfg->ice_mode;
  t->state = RG_TRANSPORT_NEW;
  t->srtp_max_streams = cfg->srtp_max_streams ? cfg->srtp_max_streams : RG_TRANSPORT_MAX_SSRCS;
  t->srtp_replay_window = cfg->srtp_replay_window;

  if (t->mode == RG_TRANSPORT_ICE_LITE) {
    struct rg_ice_lite_config lc;
    memset(&lc, 0, sizeof lc);
    lc.creds = cfg->creds;
    lc.consent_timeout_us = cfg->consent_timeout_us;
    err = rg_ice_lite_init(&t->ice.lite, &lc);
  } else {
    struct rg_ice_agent_config ac;
    memset(&ac, 0, sizeof ac);
    ac.creds = cfg->creds;
    ac.remote = cfg->remote_candidates;
    ac.n_remote = cfg->n_remote_candidates;
    ac.tie_breaker = cfg->tie_breaker;
    ac.seeded = cfg->seeded;
    ac.seed = cfg->seed;
    ac.consent_timeout_us = cfg->consent_timeout_us;
    err = rg_ice_agent_init(&t->ice.agent, &ac, now_us);
  }
  if (err < 0)
    goto fail_free;
  t->ice_ready = true;

  rg_ssrc_policy_init(&t->policy);
  for (size_t i = 0; i < cfg->n_remote_ssrcs; i++) {
    const struct rg_ssrc_entry *e = &cfg->remote_ssrcs[i];
    err = rg_ssrc_policy_add(&t->policy, e->ssrc, (enum rg_media_kind)e->kind, e->mid, e->mid_len);
    if (err < 0)
      goto fail_cleanup;
  }
  for (size_t i = 0; i < cfg->n_remote_rtcp_senders; i++) {
    err = rg_ssrc_policy_add_rtcp_sender(&t->policy, cfg->remote_rtcp_senders[i]);
    if (err < 0)
      goto fail_cleanup;
  }

  err = rg_dtls_new(&t->dtls, cfg->dtls_ctx, &cfg->dtls);
  if (err < 0)
    goto fail_cleanup;
  t->dtls_role = cfg->dtls.role;
  if (t->dtls_role == RG_DTLS_SERVER) {
    /* A server only answers; starting it now lets a ClientHello that races
     * ahead of our view of ICE still be served from a validated address. */
    t->dtls_started = true;
    err = rg_dtls_start(t->dtls, now_us);
    if (err < 0)
      goto fail_cleanup;
  }
  unsettle(t);
  *out = t;
  return RG_OK;

fail_cleanup:
  rg_transport_free(t);
  return err;
fail_free:
  free(t);
  return err;
}

void rg_transport_free(struct rg_transport *t)
{
  if (!t)
    return;
  if (t->ice_ready) {
    if (t->mode == RG_TRANSPORT_ICE_LITE)
      rg_ice_lite_cleanup(&t->ice.lite);
    else
      rg_ice_agent_cleanup(&t->ice.agent);
  }
  rg_dtls_free(t->dtls);
  rg_srtp_free(t->tx);
  rg_srtp_free(t->rx);
  rg_ssrc_policy_cleanup(&t->policy);
  free(t);
}

static int handle_stun(struct rg_transport *t, uint64_t now_us, const struct rg_addr *from, const uint8_t *data,
                       size_t len)
{
  int err;
  if (t->mode == RG_TRANSPORT_ICE_LITE) {
    err = rg_ice_lite_handle_stun(&t->ice.lite, now_us, from, data, len);
    /* 0 means an authenticated check was answered (or a keepalive). */
    if (err == 0 && rg_stun_looks_like(data, len) && (data[0] & 0x01) == 0 && (data[1] & 0x10) == 0)
      remember_validated(t, from);
  } else {
    err = rg_ice_agent_handle_stun(&t->ice.agent, now_us, from, data, len);
  }
  refresh_peer(t);
  maybe_start_dtls(t, now_us);
  drain_dtls_events(t);
  return err;
}

static int handle_dtls(struct rg_transport *t, uint64_t now_us, const struct rg_addr *from, const uint8_t *data,
                       size_t len)
{
  int err;
  if (!rg_transport_source_ok(t, from)) {
    t->rx_unknown_source++;
    return RG_ERR_NOT_FOUND;
  }
  err = rg_dtls_handle_datagram(t->dtls, now_us, data, len);
  drain_dtls_events(t);
  return err < 0 ? err : 0;
}

int rg_transport_handle_datagram(struct rg_transport *t, uint64_t now_us, const struct rg_addr *from,
                                 uint8_t *data, size_t len, struct rg_transport_media *media)
{
  enum rg_demux_kind kind;
  int err;
  t->rx_datagrams++;
  if (inert(t))
    return RG_ERR_CLOSED;
  kind = rg_demux_classify(data, len);
  switch (kind) {
  case RG_DEMUX_STUN:
    err = handle_stun(t, now_us, from, data, len);
    unsettle(t);
    return err;
  case RG_DEMUX_DTLS:
    err = handle_dtls(t, now_us, from, data, len);
    unsettle(t);
    return err;
  case RG_DEMUX_RTP:
  case RG_DEMUX_RTCP:
    return rg_transport_handle_media(t, from, data, len, kind == RG_DEMUX_RTCP, media);
  default:
    t->rx_other++;
    return RG_ERR_UNSUPPORTED;
  }
}

uint64_t rg_transport_next_timeout(const struct rg_transport *t)
{
  return inert(t) ? UINT64_MAX : t->due;
}

int rg_transport_handle_timeout(struct rg_transport *t, uint64_t now_us)
{
  if (inert(t))
    return RG_OK;
  if (t->due > now_us)
    return RG_OK; /* nothing is due: ICE and DTLS would find nothing to do */
  if (ice_next_timeout(t) <= now_us) {
    if (t->mode == RG_TRANSPORT_ICE_LITE)
      rg_ice_lite_handle_timeout(&t->ice.lite, now_us);
    else
      rg_ice_agent_handle_timeout(&t->ice.agent, now_us);
    refresh_peer(t);
    maybe_start_dtls(t, now_us);
  }
  if (t->dtls_started && rg_dtls_next_timeout(t->dtls) <= now_us)
    rg_dtls_handle_timeout(t->dtls, now_us);
  drain_dtls_events(t);
  unsettle(t);
  return RG_OK;
}

/* Turns an ICE agent event into a transport event (and state). */
static void on_ice_event(struct rg_transport *t, const struct rg_ice_output *io, struct rg_transport_output *out)
{
  memset(&out->ev, 0, sizeof out->ev);
  out->kind = RG_TRANSPORT_OUT_EVENT;
  out->ev.addr = io->addr;
  switch (io->event) {
  case RG_ICE_EVENT_SELECTED:
  case RG_ICE_EVENT_CONNECTED:
    out->ev.type = RG_TRANSPORT_EV_ICE_CONNECTED;
    break;
  case RG_ICE_EVENT_ADDRESS_CHANGED:
    out->ev.type = RG_TRANSPORT_EV_ICE_ADDRESS_CHANGED;
    break;
  case RG_ICE_EVENT_CONSENT_LOST:
    /* RFC 7675 §5.1: stop sending; the leg's owner tears it down. */
    if (t->state != RG_TRANSPORT_FAILED)
      t->state = RG_TRANSPORT_CLOSED;
    rg_ssrc_policy_set_ready(&t->policy, false);
    out->ev.type = RG_TRANSPORT_EV_CONSENT_LOST;
    break;
  default: /* RG_ICE_EVENT_FAILED */
    t->state = RG_TRANSPORT_FAILED;
    rg_ssrc_policy_set_ready(&t->policy, false);
    out->ev.type = RG_TRANSPORT_EV_FAILED;
    out->ev.err = RG_ERR_TIMEOUT;
    out->ev.reason = "ICE connectivity checks failed";
    break;
  }
}

static int poll_ice(struct rg_transport *t, struct rg_transport_output *out, uint8_t *buf, size_t cap)
{
  struct rg_ice_output io;
  int err = t->mode == RG_TRANSPORT_ICE_LITE ? rg_ice_lite_poll(&t->ice.lite, &io, buf, cap)
                                             : rg_ice_agent_poll(&t->ice.agent, &io, buf, cap);
  if (err < 0)
    return err;
  if (io.kind == RG_ICE_OUT_DATAGRAM) {
    out->kind = RG_TRANSPORT_OUT_TRANSMIT;
    out->dest = io.addr;
    out->len = io.len;
  } else if (io.kind == RG_ICE_OUT_EVENT) {
    on_ice_event(t, &io, out);
  }
  return RG_OK;
}

static int poll_once(struct rg_transport *t, struct rg_transport_output *out, uint8_t *buf, size_t cap)
{
  int err;
  if (!inert(t)) {
    err = poll_ice(t, out, buf, cap);
    if (err < 0 || out->kind != RG_TRANSPORT_OUT_NONE) {
      if (out->kind == RG_TRANSPORT_OUT_TRANSMIT)
        t->tx_datagrams++;
      return err;
    }
    if (t->dtls_started) {
      struct rg_addr dest;
      if (rg_transport_dest(t, &dest)) {
        int n = rg_dtls_poll_datagram(t->dtls, buf, cap);
        if (n < 0)
          return n;
        if (n > 0) {
          out->kind = RG_TRANSPORT_OUT_TRANSMIT;
          out->dest = dest;
          out->len = (size_t)n;
          t->tx_datagrams++;
          return RG_OK;
        }
      }
    }
  }
  if (t->ev_count) {
    out->kind = RG_TRANSPORT_OUT_EVENT;
    out->ev = t->events[t->ev_head];
    t->ev_head = (uint8_t)((t->ev_head + 1) % RG_TRANSPORT_EVENT_QUEUE);
    t->ev_count--;
  }
  return RG_OK;
}

int rg_transport_poll(struct rg_transport *t, struct rg_transport_output *out, uint8_t *buf, size_t cap)
{
  int err;
  memset(out, 0, sizeof *out);
  if (t->settled)
    return RG_OK;
  /* Polling only hands out what is queued: it moves no deadline. */
  err = poll_once(t, out, buf, cap);
  t->settled = err == RG_OK && out->kind == RG_TRANSPORT_OUT_NONE;
  return err;
}

int rg_transport_close(struct rg_transport *t, uint64_t now_us)
{
  int err;
  if (inert(t) || t->state == RG_TRANSPORT_CLOSED)
    return RG_ERR_STATE;
  err = rg_dtls_close(t->dtls, now_us);
  t->state = RG_TRANSPORT_CLOSED;
  rg_ssrc_policy_set_ready(&t->policy, false);
  unsettle(t);
  return err;
}

int rg_transport_state(const struct rg_transport *t)
{
  return t->state;
}

bool rg_transport_address_validated(const struct rg_transport *t, const struct rg_addr *from)
{
  return rg_transport_source_ok(t, from);
}

void rg_transport_get_stats(const struct rg_transport *t, struct rg_transport_stats *out)
{
  memset(out, 0, sizeof *out);
  out->rx_datagrams = t->rx_datagrams;
  out->tx_datagrams = t->tx_datagrams;
  out->rx_unknown_source = t->rx_unknown_source;
  out->rx_other = t->rx_other;
  out->tx_refused = t->tx_refused;
  out->fingerprint_mismatches = t->fingerprint_mismatches;
  out->media = rg_ssrc_policy_get_counters(&t->policy);
  out->ice = t->mode == RG_TRANSPORT_ICE_LITE ? rg_ice_lite_stats(&t->ice.lite) : rg_ice_agent_stats(&t->ice.agent);
  rg_dtls_get_stats(t->dtls, &out->dtls);
}
