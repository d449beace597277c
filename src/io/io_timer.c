/* Binary min-heap of timers (see io_timer.h). */
#include "io/io_timer.h"

#include <stdlib.h>

#include "rtcgate/error.h"

static void place(struct rg_timer_heap *h, uint32_t i, struct rg_timer *t)
{
  h->items[i] = t;
  t->slot = i + 1;
}

static void sift_up(struct rg_timer_heap *h, uint32_t i)
{
  struct rg_timer *t = h->items[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (h->items[parent]->due_us <= t->due_us)
      break;
    place(h, i, h->items[parent]);
    i = parent;
  }
  place(h, i, t);
}

static void sift_down(struct rg_timer_heap *h, uint32_t i)
{
  struct rg_timer *t = h->items[i];
  for (;;) {
    uint32_t l = 2 * i + 1, best = i;
    uint64_t best_due = t->due_us;
    if (l >= h->n)
      break;
    if (h->items[l]->due_us < best_due) {
      best = l;
      best_due = h->items[l]->due_us;
    }
    if (l + 1 < h->n && h->items[l + 1]->due_us < best_due)
      best = l + 1;
    if (best == i)
      break;
    place(h, i, h->items[best]);
    i = best;
  }
  place(h, i, t);
}

int rg_timer_heap_init(struct rg_timer_heap *h, uint32_t cap)
{
  if (!h || cap == 0 || cap > RG_TIMER_HEAP_MAX)
    return RG_ERR_INVAL;
  h->items = calloc(cap, sizeof *h->items);
  if (!h->items)
    return RG_ERR_NOMEM;
  h->n = 0;
  h->cap = cap;
  return RG_OK;
}

void rg_timer_heap_cleanup(struct rg_timer_heap *h)
{
  if (!h)
    return;
  for (uint32_t i = 0; i < h->n; i++)
    h->items[i]->slot = 0;
  free(h->items);
  h->items = NULL;
  h->n = h->cap = 0;
}

void rg_timer_init(struct rg_timer *t, rg_timer_fn fn, void *arg)
{
  t->due_us = RG_TIMER_NEVER;
  t->slot = 0;
  t->fn = fn;
  t->arg = arg;
}

void rg_timer_cancel(struct rg_timer_heap *h, struct rg_timer *t)
{
  uint32_t i;
  struct rg_timer *last;
  if (!t->slot)
    return;
  i = t->slot - 1;
  t->slot = 0;
  t->due_us = RG_TIMER_NEVER;
  last = h->items[--h->n];
  if (i == h->n)
    return;
  place(h, i, last);
  sift_up(h, i);
  sift_down(h, last->slot - 1);
}

int rg_timer_arm(struct rg_timer_heap *h, struct rg_timer *t, uint64_t due_us)
{
  if (due_us == RG_TIMER_NEVER) {
    rg_timer_cancel(h, t);
    return RG_OK;
  }
  if (t->slot) {
    uint64_t old = t->due_us;
    t->due_us = due_us;
    if (due_us < old)
      sift_up(h, t->slot - 1);
    else if (due_us > old)
      sift_down(h, t->slot - 1);
    return RG_OK;
  }
  if (h->n == h->cap)
    return RG_ERR_TOO_LARGE;
  t->due_us = due_us;
  place(h, h->n++, t);
  sift_up(h, h->n - 1);
  return RG_OK;
}

uint64_t rg_timer_heap_next(const struct rg_timer_heap *h)
{
  return h->n ? h->items[0]->due_us : RG_TIMER_NEVER;
}

size_t rg_timer_heap_run(struct rg_timer_heap *h, uint64_t now_us, size_t max)
{
  size_t fired = 0;
  while (fired < max && h->n && h->items[0]->due_us <= now_us) {
    struct rg_timer *t = h->items[0];
    rg_timer_cancel(h, t);
    fired++;
    if (t->fn)
      t->fn(t->arg, t, now_us);
  }
  return fired;
}
