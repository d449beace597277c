/* Test helpers for the DTLS core: certificates, a pair of endpoints and a
 * pump that moves datagrams between them on a virtual clock (no sockets, no
 * sleeping), with a hook to drop datagrams on purpose. */
#ifndef RTCGATE_TEST_DTLS_UTIL_H
#define RTCGATE_TEST_DTLS_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rtcgate/cert.h"
#include "rtcgate/dtls.h"
#include "rtcgate/error.h"

#define T_NOW_UNIX 1767225600u /* 2026-01-01T00:00:00Z */
#define T_PUMP_LIMIT_US (120u * 1000000u)

/* from_a: 1 when the datagram goes a -> b; n: 0-based index of the datagram
 * among those that side has sent; now: virtual time. Return true to drop. */
typedef bool (*t_drop_fn)(void *arg, int from_a, unsigned n, uint64_t now);

struct t_pump {
  uint64_t now;
  t_drop_fn drop;
  void *arg;
  unsigned sent[2];      /* [0]: from a, [1]: from b */
  unsigned delivered[2];
  size_t max_len[2];
  uint64_t last_send_at[2];
};

static inline bool t_busy(const struct rg_dtls *d)
{
  return rg_dtls_state(d) == RG_DTLS_STATE_HANDSHAKING;
}

/* Moves datagrams both ways until nothing moves and no timer is pending
 * (or both sides left the handshake), advancing the clock to the earliest
 * timer when idle. */
static inline void t_pump_run(struct t_pump *p, struct rg_dtls *a, struct rg_dtls *b)
{
  uint8_t buf[RG_DTLS_MTU_MAX];
  for (;;) {
    bool moved = false;
    for (int side = 0; side < 2; side++) {
      struct rg_dtls *from = side == 0 ? a : b, *to = side == 0 ? b : a;
      int n;
      while ((n = rg_dtls_poll_datagram(from, buf, sizeof buf)) > 0) {
        unsigned idx = p->sent[side]++;
        moved = true;
        p->last_send_at[side] = p->now;
        if ((size_t)n > p->max_len[side])
          p->max_len[side] = (size_t)n;
        if (p->drop && p->drop(p->arg, side == 0, idx, p->now))
          continue;
        p->delivered[side]++;
        (void)rg_dtls_handle_datagram(to, p->now, buf, (size_t)n);
      }
    }
    if (moved)
      continue;
    if (!t_busy(a) && !t_busy(b))
      return;
    uint64_t ta = rg_dtls_next_timeout(a), tb = rg_dtls_next_timeout(b);
    uint64_t t = ta < tb ? ta : tb;
    if (t == RG_DTLS_NO_TIMEOUT || t > T_PUMP_LIMIT_US)
      return;
    if (t > p->now)
      p->now = t;
    (void)rg_dtls_handle_timeout(a, p->now);
    (void)rg_dtls_handle_timeout(b, p->now);
  }
}

/* Drains events; returns how many of the given type were seen and keeps the
 * last one of that type in *last (when not NULL). */
static inline int t_count_events(struct rg_dtls *d, int type, struct rg_dtls_event *last)
{
  struct rg_dtls_event ev;
  int n = 0;
  while (rg_dtls_poll_event(d, &ev))
    if (ev.type == type) {
      n++;
      if (last)
        *last = ev;
    }
  return n;
}



struct t_events {
  int n;
  struct rg_dtls_event ev[16];
};

static inline void t_collect(struct rg_dtls *d, struct t_events *e)
{
  struct rg_dtls_event ev;
  while (rg_dtls_poll_event(d, &ev))
    if (e->n < 16)
      e->ev[e->n++] = ev;
}

static inline const struct rg_dtls_event *t_find(const struct t_events *e, int type)
{
  for (int i = 0; i < e->n; i++)
    if (e->ev[i].type == type)
      return &e->ev[i];
  return NULL;
}
#endif
