/* DTLS behind media: the worker queues DTLS datagrams and handles them when
 * the socket has no media waiting.
 *
 * Why: one handshake step costs an ECDSA signature or verification and an
 * ECDHE (~0.1-1 ms of CPU); a relayed packet ~5 us. At 200 new calls/s on
 * top of 1,000 established ones, handling handshakes in arrival order let the
 * socket overflow, and established calls lost packets to calls being set up
 * (docs/benchmarks.md, "Relay"). Queued, a set-up storm slows set-up instead.
 *
 * Bounded: RG_BROKER_DEFER_SLOTS datagrams, allocated once, at most
 * RG_BROKER_DEFER_PER_LEG of them from one leg; past that it drops (counted;
 * DTLS peers resend their flights). Only legs' addresses get in (broker_relay.c),
 * and a datagram is handed only to the leg it was queued for. Not starved: a datagram
 * that waited RG_BROKER_DEFER_MAX_WAIT_US is handled even while media keeps
 * the socket busy, one per RG_BROKER_DEFER_FORCED_GAP_US (one per turn let
 * handshakes halve the relay's throughput under overload). */
#include <string.h>

#include "broker/broker_internal.h"
#include "io/io_loop.h"

bool rg_broker_defer_(struct rg_broker *b, struct rg_broker_leg *leg, const struct rg_udp_rx *p, uint64_t now_us)
{
  struct rg_broker_defer_ring *q = b->defer;
  struct rg_broker_deferred *d;
  if (q->n == RG_BROKER_DEFER_SLOTS || leg->deferred >= RG_BROKER_DEFER_PER_LEG || p->len > sizeof d->data) {
    b->tot.dtls_defer_dropped++;
    return false;
  }
  d = &q->slot[(q->head + q->n) % RG_BROKER_DEFER_SLOTS];
  d->queued_us = now_us;
  d->leg_id = leg->id;
  leg->deferred++;
  d->from = p->from;
  d->len = p->len;
  memcpy(d->data, p->data, p->len);
  q->n++;
  b->tot.dtls_deferred++;
  return true;
}

bool rg_broker_defer_pending_(const struct rg_broker *b)
{
  return b->defer->n > 0;
}

/* Handles the oldest queued datagram, if the leg it came for still owns its
 * source address: after a hang-up, a new leg may have taken the address, and
 * must not be fed its predecessor's handshake. */
static void run_one(struct rg_broker *b, uint64_t now_us)
{
  struct rg_broker_defer_ring *q = b->defer;
  struct rg_broker_deferred *d = &q->slot[q->head];
  struct rg_udp_rx p = {.data = d->data, .len = d->len, .truncated = false, .from = d->from};
  struct rg_broker_leg *leg = rg_broker_leg_by_addr_(b, &d->from);
  q->head = (q->head + 1) % RG_BROKER_DEFER_SLOTS;
  q->n--;
  if (!leg || leg->id != d->leg_id) {
    b->tot.unrouted++;
    return;
  }
  leg->deferred--;
  if (!leg->t) { /* a leg in the address index has a transport; never trust it */
    b->tot.unrouted++;
    return;
  }
  rg_broker_leg_datagram_(b, leg, &p, RG_DEMUX_DTLS, now_us);
}

void rg_broker_run_deferred_(struct rg_broker *b)
{
  struct rg_broker_defer_ring *q = b->defer;
  uint64_t start, now;
  if (q->n == 0)
    return;
  start = now = rg_loop_update_now(b->loop);
  if (!b->sock_drained) {
    /* Media keeps the socket busy: overload. Media wins, but set-up is not
     * starved for ever: ~0.3 ms of DTLS per 10 ms at most. */
    if (now - q->slot[q->head].queued_us >= RG_BROKER_DEFER_MAX_WAIT_US &&
        now - b->defer_forced_us >= RG_BROKER_DEFER_FORCED_GAP_US) {
      b->defer_forced_us = now;
      run_one(b, now);
    }
    return;
  }
  while (q->n > 0 && now - start < RG_BROKER_DEFER_BUDGET_US) {
    run_one(b, now);
    now = rg_loop_update_now(b->loop);
  }
}
