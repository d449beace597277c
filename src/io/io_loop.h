/* rtcgate — one event loop per thread: epoll for descriptors, a timer heap
 * for deadlines, the monotonic clock for time.
 *
 *   rg_loop_new(&l, max_timers);
 *   rg_loop_add(l, &watch, fd, EPOLLIN, on_readable, arg);
 *   rg_loop_timer_arm(l, &timer, rg_loop_now(l) + 1000000);
 *   while (!done) rg_loop_run_once(l, RG_LOOP_MAX_WAIT_MS);
 *
 * A loop is used by one thread only; nothing here locks. Another thread wakes
 * it through a descriptor it watches (an eventfd), which its owner adds.
 */
#ifndef RTCGATE_IO_LOOP_H
#define RTCGATE_IO_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/io_timer.h"

#define RG_LOOP_MAX_EVENTS 64     /* descriptors served per wakeup */
#define RG_LOOP_MAX_WAIT_MS 1000  /* longest sleep even with no timer, so stop flags are seen */
#define RG_LOOP_TIMERS_PER_RUN 1024 /* timers fired per iteration, so I/O is never starved */

typedef void (*rg_loop_io_fn)(void *arg, uint32_t events);

/* Caller-owned registration of one descriptor (epoll keeps a pointer to it). */
struct rg_loop_watch {
  int fd;
  rg_loop_io_fn fn;
  void *arg;
};

struct rg_loop;

int rg_loop_new(struct rg_loop **out, uint32_t max_timers);
/* Descriptors are not closed; their owners do that. */
void rg_loop_free(struct rg_loop *l);

/* events: EPOLLIN / EPOLLOUT (level-triggered). */
int rg_loop_add(struct rg_loop *l, struct rg_loop_watch *w, int fd, uint32_t events, rg_loop_io_fn fn, void *arg);
int rg_loop_del(struct rg_loop *l, struct rg_loop_watch *w);

/* Time of the current iteration (read once per wakeup: callbacks in one batch
 * share it, which is what the cores expect), refreshed by rg_loop_update_now. */
uint64_t rg_loop_now(const struct rg_loop *l);
uint64_t rg_loop_update_now(struct rg_loop *l);

int rg_loop_timer_arm(struct rg_loop *l, struct rg_timer *t, uint64_t due_us);
void rg_loop_timer_cancel(struct rg_loop *l, struct rg_timer *t);
uint64_t rg_loop_next_timer(const struct rg_loop *l);

/* Waits up to max_wait_ms (capped by the next timer), dispatches ready
 * descriptors, then fires due timers. Returns the number of descriptor
 * events plus timers handled, or a negative rg_err. */
int rg_loop_run_once(struct rg_loop *l, int max_wait_ms);

#endif
