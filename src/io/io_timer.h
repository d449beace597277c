/* rtcgate — timers: a binary min-heap of caller-owned timer records.
 *
 * Why a heap and not a wheel: a broker worker holds two timers per leg
 * (the transport's next timeout and the setup deadline) with deadlines from
 * 50 ms to 30 s; a heap gives exact order and O(log n) arm/cancel with no
 * tuning, and re-arming happens on control traffic (STUN, DTLS, timers), not
 * per media packet.
 *
 * Storage: the heap array is allocated once at init with a fixed capacity
 * (a named bound per loop); arming never allocates. A struct rg_timer lives
 * in its owner (a leg, a test) and must be cancelled before it is freed.
 */
#ifndef RTCGATE_IO_TIMER_H
#define RTCGATE_IO_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_TIMER_NEVER UINT64_MAX
#define RG_TIMER_HEAP_MAX (1u << 20) /* largest capacity accepted at init */

struct rg_timer;
/* Runs when the timer is due; it is no longer armed and may be re-armed. */
typedef void (*rg_timer_fn)(void *arg, struct rg_timer *t, uint64_t now_us);

struct rg_timer {
  uint64_t due_us;
  uint32_t slot; /* heap index + 1; 0 when not armed */
  rg_timer_fn fn;
  void *arg;
};

struct rg_timer_heap {
  struct rg_timer **items;
  uint32_t n, cap;
};

int rg_timer_heap_init(struct rg_timer_heap *h, uint32_t cap);
void rg_timer_heap_cleanup(struct rg_timer_heap *h);

void rg_timer_init(struct rg_timer *t, rg_timer_fn fn, void *arg);
static inline bool rg_timer_armed(const struct rg_timer *t)
{
  return t->slot != 0;
}
/* Arms (or moves) t to due_us; RG_TIMER_NEVER cancels. RG_ERR_TOO_LARGE when
 * the heap is full (t is left unarmed). */
int rg_timer_arm(struct rg_timer_heap *h, struct rg_timer *t, uint64_t due_us);
void rg_timer_cancel(struct rg_timer_heap *h, struct rg_timer *t);
/* Earliest deadline, or RG_TIMER_NEVER. */
uint64_t rg_timer_heap_next(const struct rg_timer_heap *h);
/* Fires due timers in deadline order, at most max of them (a callback that
 * re-arms at or before now cannot spin the loop); returns how many fired. */
size_t rg_timer_heap_run(struct rg_timer_heap *h, uint64_t now_us, size_t max);

#endif
