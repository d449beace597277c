/* src/io: the monotonic clock, the timer heap, the epoll loop and UDP batches on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "io/io_clock.h"
#include "io/io_loop.h"
#include "io/io_timer.h"
#include "io/io_udp.h"
#include "rtcgate/error.h"

static void clock_is_monotonic_and_advances(void **state)
{
  uint64_t prev = rg_io_now_us();
  assert_true(prev > 0);
  for (int i = 0; i < 10000; i++) {
    uint64_t t = rg_io_now_us();
    assert_true(t >= prev);
    prev = t;
  }
  usleep(2000);
  assert_true(rg_io_now_us() >= prev + 2000);
  assert_true(rg_io_unix_now() > 1700000000u);
}

struct fire_log {
  size_t n;
  int order[64];
  uint64_t when[64];
};

struct tagged_timer {
  struct rg_timer t;
  struct fire_log *log;
  int tag;
};

static void log_fire(void *arg, struct rg_timer *t, uint64_t now)
{
  struct tagged_timer *tt = arg;
  assert_ptr_equal(&tt->t, t);
  assert_false(rg_timer_armed(t));
  tt->log->order[tt->log->n] = tt->tag;
  tt->log->when[tt->log->n++] = now;
}

static void timers_fire_in_deadline_order(void **state)
{
  struct rg_timer_heap h;
  struct fire_log log = {0};
  struct tagged_timer tt[40];
  assert_int_equal(rg_timer_heap_init(&h, 40), RG_OK);
  /* Deadlines in a scrambled order: 37*i mod 40 visits each 0..39 once. */
  for (int i = 0; i < 40; i++) {
    tt[i].log = &log;
    tt[i].tag = (i * 37) % 40;
    rg_timer_init(&tt[i].t, log_fire, &tt[i]);
    assert_int_equal(rg_timer_arm(&h, &tt[i].t, 1000u + (uint64_t)tt[i].tag * 10u), RG_OK);
  }
  assert_int_equal(rg_timer_heap_next(&h), 1000);
  /* Cancel tag 5 and move tag 7 to the end. */
  for (int i = 0; i < 40; i++) {
    if (tt[i].tag == 5)
      rg_timer_cancel(&h, &tt[i].t);
    if (tt[i].tag == 7)
      assert_int_equal(rg_timer_arm(&h, &tt[i].t, 5000), RG_OK);
  }
  assert_int_equal(rg_timer_heap_run(&h, 999, 100), 0);
  assert_int_equal(rg_timer_heap_run(&h, 1200, 100), 19); /* tags 0..20 minus 5 and 7 */
  assert_int_equal(rg_timer_heap_run(&h, 4999, 100), 19);
  assert_int_equal(rg_timer_heap_run(&h, 5000, 100), 1);
  assert_int_equal(log.n, 39);
  for (size_t i = 1; i < log.n; i++)
    assert_true(log.when[i] >= log.when[i - 1]);
  int expect = 0;
  for (size_t i = 0; i < 38; i++, expect++) {
    while (expect == 5 || expect == 7)
      expect++;
    assert_int_equal(log.order[i], expect);
  }
  assert_int_equal(log.order[38], 7);
  assert_int_equal(rg_timer_heap_next(&h), RG_TIMER_NEVER);
  rg_timer_heap_cleanup(&h);
}

static void timer_heap_is_bounded(void **state)
{
  struct rg_timer_heap h;
  struct rg_timer t[3];
  assert_int_equal(rg_timer_heap_init(&h, 2), RG_OK);
  for (int i = 0; i < 3; i++)
    rg_timer_init(&t[i], NULL, NULL);
  assert_int_equal(rg_timer_arm(&h, &t[0], 10), RG_OK);
  assert_int_equal(rg_timer_arm(&h, &t[1], 20), RG_OK);
  assert_int_equal(rg_timer_arm(&h, &t[2], 5), RG_ERR_TOO_LARGE);
  assert_false(rg_timer_armed(&t[2]));
  /* Re-arming an armed timer does not take a new slot. */
  assert_int_equal(rg_timer_arm(&h, &t[1], 1), RG_OK);
  assert_int_equal(rg_timer_heap_next(&h), 1);
  assert_int_equal(rg_timer_heap_init(&(struct rg_timer_heap){0}, 0), RG_ERR_INVAL);
  rg_timer_heap_cleanup(&h);
}

struct spin {
  struct rg_timer_heap *h;
  int fired;
};

static void spin_fire(void *arg, struct rg_timer *t, uint64_t now)
{
  struct spin *s = arg;
  s->fired++;
  assert_int_equal(rg_timer_arm(s->h, t, now), RG_OK);
}

static void timer_that_rearms_at_now_cannot_spin(void **state)
{
  struct rg_timer_heap h;
  struct rg_timer t;
  struct spin s = {&h, 0};
  assert_int_equal(rg_timer_heap_init(&h, 4), RG_OK);
  rg_timer_init(&t, spin_fire, &s);
  assert_int_equal(rg_timer_arm(&h, &t, 10), RG_OK);
  assert_int_equal(rg_timer_heap_run(&h, 10, 50), 50);
  assert_int_equal(s.fired, 50);
  rg_timer_heap_cleanup(&h);
}

struct loop_ctx {
  int fd;
  int reads;
  int timer_fired;
  uint64_t timer_at;
};

static void on_eventfd(void *arg, uint32_t ev)
{
  struct loop_ctx *c = arg;
  uint64_t v;
  assert_true(ev & EPOLLIN);
  assert_int_equal(read(c->fd, &v, sizeof v), (ssize_t)sizeof v);
  c->reads++;
}

static void on_loop_timer(void *arg, struct rg_timer *t, uint64_t now)
{
  struct loop_ctx *c = arg;
  c->timer_fired++;
  c->timer_at = now;
}

static void loop_dispatches_fds_and_wakes_for_timers(void **state)
{
  struct rg_loop *l;
  struct rg_loop_watch w;
  struct rg_timer t;
  struct loop_ctx c = {0};
  uint64_t v = 1, start, due;
  assert_int_equal(rg_loop_new(&l, 8), RG_OK);
  c.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  assert_true(c.fd >= 0);
  assert_int_equal(rg_loop_add(l, &w, c.fd, EPOLLIN, on_eventfd, &c), RG_OK);
  assert_int_equal(write(c.fd, &v, sizeof v), (ssize_t)sizeof v);
  assert_int_equal(rg_loop_run_once(l, 100), 1);
  assert_int_equal(c.reads, 1);

  rg_timer_init(&t, on_loop_timer, &c);
  start = rg_loop_update_now(l);
  due = start + 20000;
  assert_int_equal(rg_loop_timer_arm(l, &t, due), RG_OK);
  /* The loop sleeps until the timer (not the 1 s cap) and never fires it early. */
  for (int i = 0; i < 10 && !c.timer_fired; i++)
    assert_true(rg_loop_run_once(l, 1000) >= 0);
  assert_int_equal(c.timer_fired, 1);
  assert_true(c.timer_at >= due);
  assert_true(rg_io_now_us() - start < 500000);
  assert_int_equal(rg_loop_del(l, &w), RG_OK);
  close(c.fd);
  rg_loop_free(l);
}

static void addr_round_trips_through_sockaddr(void **state)
{
  struct rg_addr a, b;
  struct sockaddr_storage ss;
  socklen_t len;
  assert_int_equal(rg_addr_parse_ip(&a, "192.0.2.7", 9, 5004), RG_OK);
  assert_int_equal(rg_udp_addr_to_sockaddr(&a, &ss, &len), RG_OK);
  assert_int_equal(rg_udp_addr_from_sockaddr(&b, (struct sockaddr *)&ss, len), RG_OK);
  assert_true(rg_addr_equal(&a, &b));
  assert_int_equal(rg_addr_parse_ip(&a, "2001:db8::1", 11, 443), RG_OK);
  assert_int_equal(rg_udp_addr_to_sockaddr(&a, &ss, &len), RG_OK);
  assert_int_equal(rg_udp_addr_from_sockaddr(&b, (struct sockaddr *)&ss, len), RG_OK);
  assert_true(rg_addr_equal(&a, &b));
  /* A v4-mapped v6 source is the v4 address. */
  assert_int_equal(rg_addr_parse_ip(&a, "::ffff:10.1.2.3", 15, 7), RG_OK);
  assert_int_equal(rg_udp_addr_to_sockaddr(&a, &ss, &len), RG_OK);
  assert_int_equal(rg_udp_addr_from_sockaddr(&b, (struct sockaddr *)&ss, len), RG_OK);
  assert_int_equal(b.family, RG_AF_INET4);
  assert_int_equal(b.ip[0], 10);
  assert_int_equal(b.port, 7);
  memset(&a, 0, sizeof a);
  assert_int_equal(rg_udp_addr_to_sockaddr(&a, &ss, &len), RG_ERR_INVAL);
}

static void bind_loopback(int *fd, struct rg_addr *bound)
{
  struct rg_addr any;
  assert_int_equal(rg_addr_parse_ip(&any, "127.0.0.1", 9, 0), RG_OK);
  assert_int_equal(rg_udp_bind(&any, fd, bound), RG_OK);
  assert_int_not_equal(bound->port, 0);
}

static void udp_batches_carry_datagrams_on_loopback(void **state)
{
  int a, b;
  struct rg_addr aa, ba;
  struct rg_udp_rx_batch *rx = malloc(sizeof *rx);
  struct rg_udp_tx_batch tx;
  uint8_t payload[RG_UDP_BATCH + 8][100];
  uint64_t dropped = 0;
  size_t got = 0;
  assert_non_null(rx);
  bind_loopback(&a, &aa);
  bind_loopback(&b, &ba);
  rg_udp_rx_batch_init(rx);
  rg_udp_tx_batch_init(&tx);
  /* Nothing queued: a non-blocking batch returns 0 at once. */
  assert_int_equal(rg_udp_recv_batch(b, rx), 0);
  for (size_t i = 0; i < RG_UDP_BATCH; i++) {
    memset(payload[i], (int)i, sizeof payload[i]);
    assert_true(rg_udp_tx_add(&tx, payload[i], 10 + i, &ba));
  }
  assert_false(rg_udp_tx_add(&tx, payload[0], 1, &ba)); /* full */
  assert_int_equal(rg_udp_tx_flush(a, &tx, &dropped), RG_UDP_BATCH);
  assert_int_equal(dropped, 0);
  assert_int_equal(tx.n, 0);
  /* One recvmmsg takes the whole batch (loopback delivers synchronously). */
  int n = rg_udp_recv_batch(b, rx);
  assert_int_equal(n, RG_UDP_BATCH);
  for (size_t i = 0; i < (size_t)n; i++, got++) {
    assert_int_equal(rx->pkt[i].len, 10 + i);
    assert_false(rx->pkt[i].truncated);
    assert_true(rg_addr_equal(&rx->pkt[i].from, &aa));
    assert_memory_equal(rx->pkt[i].data, payload[i], 10 + i);
  }
  assert_int_equal(got, RG_UDP_BATCH);
  assert_int_equal(rg_udp_recv_batch(b, rx), 0);
  close(a);
  close(b);
  free(rx);
}

static void udp_oversized_datagram_is_flagged_truncated(void **state)
{
  int a, b;
  struct rg_addr aa, ba;
  struct rg_udp_rx_batch *rx = malloc(sizeof *rx);
  static uint8_t big[RG_UDP_DATAGRAM_MAX + 100];
  assert_non_null(rx);
  bind_loopback(&a, &aa);
  bind_loopback(&b, &ba);
  rg_udp_rx_batch_init(rx);
  assert_int_equal(rg_udp_sendto(a, big, sizeof big, &ba), RG_OK);
  assert_int_equal(rg_udp_sendto(a, big, 5, &ba), RG_OK);
  assert_int_equal(rg_udp_recv_batch(b, rx), 2);
  assert_true(rx->pkt[0].truncated);
  assert_false(rx->pkt[1].truncated);
  assert_int_equal(rx->pkt[1].len, 5);
  close(a);
  close(b);
  free(rx);
}

/* A receiver that never reads, with the smallest buffer the kernel grants:
 * what does not fit is dropped on arrival, and the drop count says how many
 * (every datagram sent is either queued or counted). */
static void udp_receive_drops_count_what_a_full_buffer_refused(void **state)
{
  int a, b, small = 1; /* the kernel rounds up to its minimum */
  struct rg_addr aa, ba;
  struct rg_udp_rx_batch *rx = malloc(sizeof *rx);
  static uint8_t payload[1000];
  size_t sent = 200, queued = 0;
  int n;
  assert_non_null(rx);
  bind_loopback(&a, &aa);
  bind_loopback(&b, &ba);
  rg_udp_rx_batch_init(rx);
  assert_int_equal(setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  assert_int_equal(rg_udp_receive_drops(b), 0);
  for (size_t i = 0; i < sent; i++)
    assert_int_equal(rg_udp_sendto(a, payload, sizeof payload, &ba), RG_OK);
  while ((n = rg_udp_recv_batch(b, rx)) > 0)
    queued += (size_t)n;
  assert_true(queued > 0 && queued < sent);
  assert_int_equal(rg_udp_receive_drops(b), sent - queued);
  assert_int_equal(rg_udp_receive_drops(-1), 0); /* no socket: no figure */
  close(a);
  close(b);
  free(rx);
}

/* socket(7): Linux doubles the SO_RCVBUF asked (room for its bookkeeping)
 * and reports the doubled figure; rg_udp_receive_buffer passes it on. */
static void udp_receive_buffer_reports_what_the_kernel_granted(void **state)
{
  int fd, ask = 65536;
  struct rg_addr bound;
  (void)state;
  bind_loopback(&fd, &bound);
  assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &ask, sizeof ask), 0);
  assert_int_equal(rg_udp_receive_buffer(fd), 2 * (size_t)ask);
  assert_int_equal(rg_udp_receive_buffer(-1), 0);
  close(fd);
}

/* Whether this process holds CAP_NET_ADMIN (bit 12 of CapEff). */
static bool has_net_admin(void)
{
  char line[256];
  unsigned long long eff = 0;
  bool found = false;
  FILE *f = fopen("/proc/self/status", "r");
  while (f && !found && fgets(line, sizeof line, f))
    found = sscanf(line, "CapEff: %llx", &eff) == 1;
  if (f)
    fclose(f);
  return found && (eff >> 12 & 1);
}

/* An explicit size beyond net.core.rmem_max: capped without force; with
 * force granted in full where the process holds CAP_NET_ADMIN, and capped
 * as before where it does not. */
static void udp_receive_buffer_is_forced_past_rmem_max_only_when_asked(void **state)
{
  unsigned long cap = 0;
  FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
  int fd;
  size_t want, got;
  struct rg_addr bound;
  (void)state;
  if (!f || fscanf(f, "%lu", &cap) != 1 || cap == 0 || cap > (64ul << 20)) {
    if (f)
      fclose(f);
    skip();
  }
  fclose(f);
  want = 2 * cap;
  bind_loopback(&fd, &bound);
  assert_int_equal(rg_udp_set_receive_buffer(fd, want, false), 2 * cap);
  got = rg_udp_set_receive_buffer(fd, want, true);
  if (has_net_admin())
    assert_int_equal(got, 2 * want);
  else
    assert_int_equal(got, 2 * cap);
  close(fd);
}

/* IPv4 media sockets set DF and ignore ICMP-learnt path MTUs (io_udp.h says
 * why): the socket option the kernel reads back is PROBE. */
static void udp_ipv4_sockets_never_fragment(void **state)
{
  int fd, mode = -1;
  struct rg_addr bound;
  socklen_t len = sizeof mode;
  (void)state;
  bind_loopback(&fd, &bound);
  assert_int_equal(getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, &len), 0);
  assert_int_equal(mode, IP_PMTUDISC_PROBE);
  close(fd);
}

/* Whether ::1 binds here (hosts with IPv6 disabled have no ::1). */
static bool have_ipv6_loopback(void)
{
  struct rg_addr v6, bound;
  int fd;
  if (rg_addr_parse_ip(&v6, "::1", 3, 0) != RG_OK || rg_udp_bind(&v6, &fd, &bound) != RG_OK)
    return false;
  close(fd);
  return true;
}

/* The source address the kernel picks toward a destination, without sending:
 * loopback toward loopback in each family, port 0. (A destination with no
 * route is not tried: tests stay on loopback.) */
static void udp_local_toward_is_the_kernels_source_choice(void **state)
{
  (void)state;
  struct rg_addr to, local, v6;
  assert_int_equal(rg_addr_parse_ip(&to, "127.5.6.7", 9, 4000), RG_OK);
  assert_int_equal(rg_udp_local_toward(&to, &local), RG_OK);
  assert_int_equal(local.family, RG_AF_INET4);
  assert_int_equal(local.ip[0], 127);
  assert_int_equal(local.port, 0);
  assert_int_equal(rg_udp_local_toward(NULL, &local), RG_ERR_INVAL);
  assert_int_equal(rg_addr_parse_ip(&to, "::1", 3, 4000), RG_OK);
  assert_int_equal(rg_addr_parse_ip(&v6, "::1", 3, 0), RG_OK);
  if (!have_ipv6_loopback()) {
    fprintf(stderr, "no IPv6 loopback on this host (::1 does not bind): the ::1 half skipped\n");
    return;
  }
  assert_int_equal(rg_udp_local_toward(&to, &local), RG_OK);
  assert_true(rg_addr_equal(&local, &v6));
}

/* Whether a socket bound on one address can send to another, without
 * sending: loopback to loopback in each family, any 127/8 address to another
 * (the load generator's users live in 127.64.0.0/10); not across families;
 * not from an address that is not this host's (TEST-NET-1, RFC 5737). */
static void udp_can_reach_says_whether_a_bound_socket_could_send(void **state)
{
  (void)state;
  struct rg_addr lo, lo2, v6, foreign;
  assert_int_equal(rg_addr_parse_ip(&lo, "127.0.0.1", 9, 5000), RG_OK);
  assert_int_equal(rg_addr_parse_ip(&lo2, "127.64.0.9", 10, 0), RG_OK);
  assert_int_equal(rg_addr_parse_ip(&v6, "::1", 3, 5000), RG_OK);
  assert_int_equal(rg_addr_parse_ip(&foreign, "192.0.2.1", 9, 0), RG_OK);
  assert_true(rg_udp_can_reach(&lo, &lo));
  assert_true(rg_udp_can_reach(&lo2, &lo));
  assert_false(rg_udp_can_reach(&lo, &v6));
  assert_false(rg_udp_can_reach(&v6, &lo));
  assert_false(rg_udp_can_reach(&foreign, &lo));
  assert_false(rg_udp_can_reach(NULL, &lo));
  if (!have_ipv6_loopback()) {
    fprintf(stderr, "no IPv6 loopback on this host (::1 does not bind): the ::1 half skipped\n");
    return;
  }
  assert_true(rg_udp_can_reach(&v6, &v6));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(clock_is_monotonic_and_advances),
      cmocka_unit_test(timers_fire_in_deadline_order),
      cmocka_unit_test(timer_heap_is_bounded),
      cmocka_unit_test(timer_that_rearms_at_now_cannot_spin),
      cmocka_unit_test(loop_dispatches_fds_and_wakes_for_timers),
      cmocka_unit_test(addr_round_trips_through_sockaddr),
      cmocka_unit_test(udp_batches_carry_datagrams_on_loopback),
      cmocka_unit_test(udp_oversized_datagram_is_flagged_truncated),
      cmocka_unit_test(udp_receive_drops_count_what_a_full_buffer_refused),
      cmocka_unit_test(udp_ipv4_sockets_never_fragment),
      cmocka_unit_test(udp_receive_buffer_reports_what_the_kernel_granted),
      cmocka_unit_test(udp_receive_buffer_is_forced_past_rmem_max_only_when_asked),
      cmocka_unit_test(udp_local_toward_is_the_kernels_source_choice),
      cmocka_unit_test(udp_can_reach_says_whether_a_bound_socket_could_send),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
