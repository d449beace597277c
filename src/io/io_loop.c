/* epoll + timer heap event loop (see io_loop.h). */
#include "io/io_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "io/io_clock.h"
#include "rtcgate/error.h"

struct rg_loop {
  int epfd;
  uint64_t now_us;
  struct rg_timer_heap timers;
  struct epoll_event events[RG_LOOP_MAX_EVENTS];
};

int rg_loop_new(struct rg_loop **out, uint32_t max_timers)
{
  struct rg_loop *l;
  int err;
  if (!out)
    return RG_ERR_INVAL;
  l = calloc(1, sizeof *l);
  if (!l)
    return RG_ERR_NOMEM;
  err = rg_timer_heap_init(&l->timers, max_timers);
  if (err < 0) {
    free(l);
    return err;
  }
  l->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (l->epfd < 0) {
    rg_timer_heap_cleanup(&l->timers);
    free(l);
    return RG_ERR_NOMEM;
  }
  l->now_us = rg_io_now_us();
  *out = l;
  return RG_OK;
}

void rg_loop_free(struct rg_loop *l)
{
  if (!l)
    return;
  close(l->epfd);
  rg_timer_heap_cleanup(&l->timers);
  free(l);
}

int rg_loop_add(struct rg_loop *l, struct rg_loop_watch *w, int fd, uint32_t events, rg_loop_io_fn fn, void *arg)
{
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (!l || !w || fd < 0 || !fn)
    return RG_ERR_INVAL;
  w->fd = fd;
  w->fn = fn;
  w->arg = arg;
  if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return RG_ERR_INVAL;
  return RG_OK;
}

int rg_loop_del(struct rg_loop *l, struct rg_loop_watch *w)
{
  if (!l || !w)
    return RG_ERR_INVAL;
  if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL) < 0)
    return RG_ERR_NOT_FOUND;
  return RG_OK;
}

uint64_t rg_loop_now(const struct rg_loop *l)
{
  return l->now_us;
}

uint64_t rg_loop_update_now(struct rg_loop *l)
{
  uint64_t t = rg_io_now_us();
  if (t > l->now_us) /* monotonic, but never let a cached value go backwards */
    l->now_us = t;
  return l->now_us;
}

int rg_loop_timer_arm(struct rg_loop *l, struct rg_timer *t, uint64_t due_us)
{
  return rg_timer_arm(&l->timers, t, due_us);
}

void rg_loop_timer_cancel(struct rg_loop *l, struct rg_timer *t)
{
  rg_timer_cancel(&l->timers, t);
}

uint64_t rg_loop_next_timer(const struct rg_loop *l)
{
  return rg_timer_heap_next(&l->timers);
}

/* Milliseconds to sleep: rounded up so a timer is never woken for early. */
static int wait_ms(const struct rg_loop *l, int max_wait_ms)
{
  uint64_t next = rg_timer_heap_next(&l->timers), ms;
  if (max_wait_ms < 0 || max_wait_ms > RG_LOOP_MAX_WAIT_MS)
    max_wait_ms = RG_LOOP_MAX_WAIT_MS;
  if (next == RG_TIMER_NEVER)
    return max_wait_ms;
  if (next <= l->now_us)
    return 0;
  ms = (next - l->now_us + 999) / 1000;
  return ms < (uint64_t)max_wait_ms ? (int)ms : max_wait_ms;
}

int rg_loop_run_once(struct rg_loop *l, int max_wait_ms)
{
  int n, handled = 0;
  rg_loop_update_now(l);
  n = epoll_wait(l->epfd, l->events, RG_LOOP_MAX_EVENTS, wait_ms(l, max_wait_ms));
  if (n < 0 && errno != EINTR)
    return RG_ERR_STATE;
  rg_loop_update_now(l);
  for (int i = 0; i < n; i++) {
    struct rg_loop_watch *w = l->events[i].data.ptr;
    w->fn(w->arg, l->events[i].events);
    handled++;
  }
  rg_loop_update_now(l);
  handled += (int)rg_timer_heap_run(&l->timers, l->now_us, RG_LOOP_TIMERS_PER_RUN);
  return handled;
}
