/* The worker's media path: one recvmmsg batch per wakeup, each datagram
 * routed to its leg (STUN by USERNAME, everything else by source address),
 * fed to the leg's transport, and media relayed to the other leg of the call,
 * re-protected in place and queued for one sendmmsg per batch.
 *
 * Per packet: no allocation, no lock, no log line. Transport outputs (STUN
 * answers, DTLS flights, events) are drained only after non-media datagrams
 * and timers, where they can arise. DTLS datagrams are queued and handled
 * once the socket is drained (broker_defer.c).
 */
#include <stdio.h>
#include <string.h>

#include "broker/broker_internal.h"
#include "io/io_loop.h"
#include "rtcgate/demux.h"
#include "rtcgate/error.h"
#include "rtcgate/srtp_profile.h"
#include "rtcgate/stun.h"

/* RFC names for the SRTP profiles, as the protocol reports them. */
static const char *profile_name(int profile)
{
  const struct rg_srtp_profile_info *pi = rg_srtp_profile_info(profile);
  return pi ? pi->rfc_name : "unknown";
}

static void emit(struct rg_broker *b, struct rg_broker_leg *leg, int type, const char *reason, const char *detail)
{
  struct rg_broker_event ev;
  if (!b->fn || leg->closing)
    return;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  snprintf(ev.call_id, sizeof ev.call_id, "%s", leg->call->id);
  ev.side = leg->side;
  snprintf(ev.dtls_version, sizeof ev.dtls_version, "%s", leg->dtls_version);
  snprintf(ev.dtls_cipher, sizeof ev.dtls_cipher, "%s", leg->dtls_cipher);
  snprintf(ev.srtp_profile, sizeof ev.srtp_profile, "%s", leg->srtp_profile);
  if (reason)
    snprintf(ev.reason, sizeof ev.reason, "%s", reason);
  if (detail)
    snprintf(ev.detail, sizeof ev.detail, "%s", detail);
  b->fn(b->fn_arg, &ev);
}

static const char *side_name(const struct rg_broker_leg *leg)
{
  return leg->side == RG_LEG_CALLER ? "caller" : "callee";
}

static void leg_fail(struct rg_broker *b, struct rg_broker_leg *leg, const char *reason, const char *detail)
{
  if (leg->failed || leg->closing)
    return;
  leg->failed = true;
  rg_loop_timer_cancel(b->loop, &leg->setup_timer);
  fprintf(stderr, "rtcgate: broker: call %s %s leg failed (%s): %s\n", leg->call->id, side_name(leg), reason, detail);
  emit(b, leg, RG_BROKER_EV_LEG_FAILED, reason, detail);
}

static void on_event(struct rg_broker *b, struct rg_broker_leg *leg, const struct rg_transport_event *ev)
{
  switch (ev->type) {
  case RG_TRANSPORT_EV_ICE_CONNECTED:
  case RG_TRANSPORT_EV_ICE_ADDRESS_CHANGED:
    leg->ice_connected = true;
    rg_broker_leg_add_addr_(b, leg, &ev->addr);
    break;
  case RG_TRANSPORT_EV_FINGERPRINT_VERIFIED:
    leg->fp_verified = true;
    break;
  case RG_TRANSPORT_EV_FINGERPRINT_MISMATCH:
    if (!leg->closing)
      b->tot.dtls_fail_fingerprint++;
    leg_fail(b, leg, "media_failed", "peer certificate does not match the SDP fingerprint");
    break;
  case RG_TRANSPORT_EV_DTLS_CONNECTED:
    leg->secured = true;
    b->tot.dtls_ok++;
    rg_loop_timer_cancel(b->loop, &leg->setup_timer);
    snprintf(leg->dtls_version, sizeof leg->dtls_version, "%s", ev->version);
    snprintf(leg->dtls_cipher, sizeof leg->dtls_cipher, "%s", ev->cipher);
    snprintf(leg->srtp_profile, sizeof leg->srtp_profile, "%s", profile_name(ev->srtp_profile));
    fprintf(stderr, "rtcgate: broker: call %s %s leg secured: %s %s %s\n", leg->call->id, side_name(leg),
            leg->dtls_version, leg->dtls_cipher, leg->srtp_profile);
    emit(b, leg, RG_BROKER_EV_LEG_SECURED, NULL, NULL);
    break;
  case RG_TRANSPORT_EV_CONSENT_LOST: {
    char detail[RG_BROKER_ERR_MAX];
    leg->consent_lost = true;
    snprintf(detail, sizeof detail, "ICE consent lost (%u ms without a check)", (unsigned)b->cfg.consent_timeout_ms);
    leg_fail(b, leg, "timeout", detail);
    break;
  }
  case RG_TRANSPORT_EV_DTLS_CLOSED:
    if (!leg->closing)
      fprintf(stderr, "rtcgate: broker: call %s %s leg: peer closed DTLS\n", leg->call->id, side_name(leg));
    break;
  case RG_TRANSPORT_EV_FAILED:
    if (!leg->secured && !leg->closing) {
      if (ev->err == RG_ERR_TIMEOUT)
        b->tot.dtls_fail_timeout++;
      else
        b->tot.dtls_fail_other++;
    }
    leg_fail(b, leg, "media_failed", ev->reason ? ev->reason : "transport failed");
    break;
  default:
    break;
  }
}

void rg_broker_drain_leg_(struct rg_broker *b, struct rg_broker_leg *leg, uint64_t now_us)
{
  struct rg_transport_output out;
  for (int i = 0; i < RG_BROKER_DRAIN_MAX; i++) {
    if (rg_transport_poll(leg->t, &out, b->poll_buf, sizeof b->poll_buf) < 0 || out.kind == RG_TRANSPORT_OUT_NONE)
      break;
    if (out.kind == RG_TRANSPORT_OUT_TRANSMIT) {
      if (rg_udp_sendto(b->fd, b->poll_buf, out.len, &out.dest) < 0)
        b->tot.tx_errors++;
      leg->packets_out++;
      leg->bytes_out += out.len;
    } else if (out.kind == RG_TRANSPORT_OUT_EVENT) {
      on_event(b, leg, &out.ev);
    }
  }
  if (!leg->closing)
    (void)rg_loop_timer_arm(b->loop, &leg->t_timer, rg_transport_next_timeout(leg->t));
}

void rg_broker_on_transport_timer_(void *arg, struct rg_timer *t, uint64_t now_us)
{
  struct rg_broker_leg *leg = arg;
  struct rg_broker *b = leg->call->b;
  if (!leg->t)
    return;
  rg_transport_handle_timeout(leg->t, now_us);
  rg_broker_drain_leg_(b, leg, now_us);
}

void rg_broker_on_setup_timer_(void *arg, struct rg_timer *t, uint64_t now_us)
{
  struct rg_broker_leg *leg = arg;
  struct rg_broker *b = leg->call->b;
  char detail[RG_BROKER_ERR_MAX];
  if (leg->secured || leg->failed)
    return;
  b->tot.dtls_fail_timeout++;
  snprintf(detail, sizeof detail, "leg not secured within %u ms of the answer", (unsigned)b->cfg.setup_timeout_ms);
  leg_fail(b, leg, "media_failed", detail);
}

void rg_broker_arm_setup_(struct rg_broker *b, struct rg_broker_leg *leg, uint64_t now_us)
{
  (void)rg_loop_timer_arm(b->loop, &leg->setup_timer, now_us + (uint64_t)b->cfg.setup_timeout_ms * 1000u);
}

/* The leg whose local ufrag is USERNAME's first part (RFC 8445 §7.2.2). */
static struct rg_broker_leg *leg_by_username(struct rg_broker *b, const uint8_t *data, size_t len, bool *had_username)
{
  struct rg_stun_msg msg;
  const uint8_t *colon;
  *had_username = false;
  if (rg_stun_parse(&msg, data, len) < 0 || !msg.username.ptr)
    return NULL;
  *had_username = true;
  colon = memchr(msg.username.ptr, ':', msg.username.len);
  if (!colon)
    return NULL;
  return rg_broker_leg_by_ufrag_(b, (const char *)msg.username.ptr, (size_t)(colon - msg.username.ptr));
}

static void relay(struct rg_broker *b, struct rg_broker_leg *from, struct rg_transport_media *m, uint8_t *slot)
{
  struct rg_broker_leg *to = &from->call->legs[1 - from->side];
  struct rg_addr dest;
  size_t cap = RG_UDP_SLOT - (size_t)(m->data - slot);
  int n;
  if (!to->t || !to->secured) {
    b->tot.relay_not_ready++;
    return;
  }
  n = m->rtcp ? rg_transport_protect_rtcp(to->t, m->data, m->len, cap, &dest)
              : rg_transport_protect_rtp(to->t, m->data, m->len, cap, &dest);
  if (n < 0) {
    b->tot.relay_not_ready++;
    return;
  }
  if (!rg_udp_tx_add(&b->tx, m->data, (size_t)n, &dest)) {
    b->tot.tx_errors++;
    return;
  }
  to->packets_out++;
  to->bytes_out += (uint64_t)n;
  b->tot.packets_relayed++;
  b->tot.bytes_relayed += (uint64_t)n;
}

/* The leg a datagram of kind belongs to: STUN by the USERNAME's first part,
 * everything else by source address (NULL: counted unrouted). */
static struct rg_broker_leg *route(struct rg_broker *b, const struct rg_udp_rx *p, enum rg_demux_kind kind)
{
  struct rg_broker_leg *leg = NULL;
  bool had_username = false;
  if (kind == RG_DEMUX_STUN)
    leg = leg_by_username(b, p->data, p->len, &had_username);
  if (!leg && !had_username)
    leg = rg_broker_leg_by_addr_(b, &p->from);
  if (!leg || !leg->t) {
    b->tot.unrouted++;
    return NULL;
  }
  return leg;
}

void rg_broker_leg_datagram_(struct rg_broker *b, struct rg_broker_leg *leg, struct rg_udp_rx *p,
                             enum rg_demux_kind kind, uint64_t now_us)
{
  struct rg_transport_media media;
  int r;
  leg->packets_in++;
  leg->bytes_in += p->len;
  r = rg_transport_handle_datagram(leg->t, now_us, &p->from, p->data, p->len, &media);
  if (r == 1) {
    relay(b, leg, &media, p->data);
    return;
  }
  if (kind == RG_DEMUX_RTP || kind == RG_DEMUX_RTCP) /* a dropped media packet: counted by the policy, no output */
    return;
  /* Learn the address only when the transport says it passed an
   * authenticated check: a Binding indication (no integrity) also returns 0. */
  if (kind == RG_DEMUX_STUN && r == 0 && rg_transport_address_validated(leg->t, &p->from))
    rg_broker_leg_add_addr_(b, leg, &p->from);
  rg_broker_drain_leg_(b, leg, now_us);
}

/* What the prefetch passes know of one datagram of the batch. */
struct pf {
  enum rg_demux_kind kind;
  bool media; /* RTP or RTCP with an SSRC: the relay's path */
  uint32_t ssrc;
  struct rg_broker_addr_node *const *bucket; /* of its source address (media only) */
  const struct rg_broker_leg *from, *to;
};

static uint32_t be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The memory a relayed packet needs is a chain of lookups (address bucket,
 * node, leg, transport, SRTP context, stream slot, replay window, and the
 * other leg's transport, context and slot), each a cache miss among
 * thousands of legs, each waiting for the one before. Walking the whole batch
 * once per link of the chain, prefetching the next link of every packet,
 * lets the misses of different packets overlap. Prefetch only: every pointer
 * read here is read before any datagram of the batch is handled, and the
 * handling below routes each datagram again, so nothing here can go stale. */
static void prefetch_batch(const struct rg_broker *b, const struct rg_udp_rx_batch *rx, int n, struct pf *pf)
{
  for (int i = 0; i < n; i++) {
    const struct rg_udp_rx *p = &rx->pkt[i];
    pf[i].kind = p->truncated || p->len == 0 ? RG_DEMUX_OTHER : rg_demux_classify(p->data, p->len);
    pf[i].media = (pf[i].kind == RG_DEMUX_RTP || pf[i].kind == RG_DEMUX_RTCP) && p->len >= 12;
    pf[i].from = pf[i].to = NULL;
    if (!pf[i].media)
      continue;
    pf[i].ssrc = be32(p->data + (pf[i].kind == RG_DEMUX_RTCP ? 4 : 8));
    pf[i].bucket = rg_broker_addr_bucket_(b, &p->from);
    __builtin_prefetch(pf[i].bucket);
  }
  for (int i = 0; i < n; i++) {
    const struct rg_broker_addr_node *node = pf[i].media ? *pf[i].bucket : NULL;
    if (node)
      __builtin_prefetch(node);
  }
  for (int i = 0; i < n; i++) {
    const struct rg_broker_addr_node *node = pf[i].media ? *pf[i].bucket : NULL;
    if (node && rg_addr_equal(&node->addr, &rx->pkt[i].from)) { /* the first node only: a prefetch must not walk */
      pf[i].from = node->leg;
      __builtin_prefetch(node->leg);
    }
  }
  for (int i = 0; i < n; i++)
    if (pf[i].from && pf[i].from->t) {
      pf[i].to = &pf[i].from->call->legs[1 - pf[i].from->side];
      __builtin_prefetch(pf[i].to);
      rg_transport_prefetch(pf[i].from->t, 0, true, pf[i].ssrc, pf[i].kind == RG_DEMUX_RTCP);
    }
  /* The other leg's transport runs one stage behind: its pointer came with
   * the leg line prefetched just above. */
  for (int stage = 1; stage <= RG_TRANSPORT_PREFETCH_STAGES; stage++)
    for (int i = 0; i < n; i++) {
      bool rtcp = pf[i].kind == RG_DEMUX_RTCP;
      if (!pf[i].to)
        continue;
      if (stage < RG_TRANSPORT_PREFETCH_STAGES)
        rg_transport_prefetch(pf[i].from->t, stage, true, pf[i].ssrc, rtcp);
      if (pf[i].to->t)
        rg_transport_prefetch(pf[i].to->t, stage - 1, false, pf[i].ssrc, rtcp);
    }
}

void rg_broker_on_socket_(void *arg, uint32_t events)
{
  struct rg_broker *b = arg;
  struct pf pf[RG_UDP_BATCH];
  uint64_t now_us;
  int n = rg_udp_recv_batch(b->fd, b->rx);
  b->sock_turns++;
  b->sock_drained = n < RG_UDP_BATCH;
  if (n <= 0)
    return;
  now_us = rg_loop_update_now(b->loop);
  prefetch_batch(b, b->rx, n, pf);
  for (int i = 0; i < n; i++) {
    struct rg_udp_rx *p = &b->rx->pkt[i];
    struct rg_broker_leg *leg;
    enum rg_demux_kind kind = pf[i].kind; /* RFC 7983, classified once (prefetch_batch) */
    if (p->truncated || p->len == 0) {
      b->tot.unrouted++;
      continue;
    }
    leg = route(b, p, kind);
    if (!leg)
      continue;
    /* DTLS waits until the socket is drained (broker_defer.c): media first.
     * Only a leg's DTLS: strangers cannot fill the queue. */
    if (kind == RG_DEMUX_DTLS)
      (void)rg_broker_defer_(b, leg, p, now_us);
    else
      rg_broker_leg_datagram_(b, leg, p, kind, now_us);
  }
  /* The batch points into rx slots: flush before the next recvmmsg reuses them. */
  if (b->tx.n)
    rg_udp_tx_flush(b->fd, &b->tx, &b->tot.tx_errors);
}
