/* The load generator's shared UDP socket (src/client/client_udp_hub.c): each
 * client is an address of its own on 127.64.0.0/10 behind one port; what a
 * client sends leaves from its address, what arrives for an address reaches
 * the client holding it, and a datagram for an address nobody holds is
 * counted, never delivered. A plain loopback socket plays the broker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "io/io_udp.h"
#include "rtcgate/error.h"

struct seen {
  struct rg_client *who[8];
  size_t n;
};

static void record(void *arg, struct rg_client *c)
{
  struct seen *s = arg;
  if (s->n < 8)
    s->who[s->n++] = c;
}

static void addr_v4(struct rg_addr *a, const char *ip, uint16_t port)
{
  assert_int_equal(rg_addr_parse_ip(a, ip, strlen(ip), port), RG_OK);
}

/* A hub, or a skip where the system refuses SO_BINDTODEVICE. */
static struct cl_udp_hub *hub_or_skip(uint32_t clients)
{
  struct cl_udp_hub *h = NULL;
  char err[128] = "";
  int rc = cl_udp_hub_new(&h, clients, err, sizeof err);
  if (rc != RG_OK && strstr(err, "not permitted")) {
    fprintf(stderr, "skipped: %s\n", err);
    skip();
  }
  assert_int_equal(rc, RG_OK);
  return h;
}

static void each_client_sends_from_and_receives_on_its_own_address(void **state)
{
  struct cl_udp_hub *h = hub_or_skip(2);
  struct rg_client *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b); /* zeroed: an unlocked mutex, no call */
  struct rg_addr la, lb, want, broker, lo;
  struct rg_udp_rx_batch *rx = malloc(sizeof *rx);
  struct cl_udp_hub_stats st;
  struct seen seen = {.n = 0};
  int bfd;
  (void)state;
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(rx);
  assert_int_equal(cl_udp_hub_attach(h, a, &la), RG_OK);
  assert_int_equal(cl_udp_hub_attach(h, b, &lb), RG_OK);
  addr_v4(&want, "127.64.0.1", la.port);
  assert_true(rg_addr_equal(&la, &want));
  addr_v4(&want, "127.64.0.2", la.port);
  assert_true(rg_addr_equal(&lb, &want));
  assert_int_equal(cl_udp_hub_attach(h, a, &la), RG_ERR_TOO_LARGE); /* two slots, both taken */

  addr_v4(&lo, "127.0.0.1", 0);
  assert_int_equal(rg_udp_bind(&lo, &bfd, &broker), RG_OK);
  rg_udp_rx_batch_init(rx);
  /* Queued, not sent, until the flush. */
  assert_int_equal(cl_udp_hub_send(h, a, (const uint8_t *)"from-a", 6, &broker), RG_OK);
  assert_int_equal(cl_udp_hub_send(h, b, (const uint8_t *)"from-b", 6, &broker), RG_OK);
  assert_int_equal(rg_udp_recv_batch(bfd, rx), 0);
  cl_udp_hub_flush(h);
  assert_int_equal(rg_udp_recv_batch(bfd, rx), 2);
  assert_memory_equal(rx->pkt[0].data, "from-a", 6);
  assert_true(rg_addr_equal(&rx->pkt[0].from, &la));
  assert_memory_equal(rx->pkt[1].data, "from-b", 6);
  assert_true(rg_addr_equal(&rx->pkt[1].from, &lb));

  /* Replies reach the client whose address they were sent to. */
  assert_int_equal(rg_udp_sendto(bfd, (const uint8_t *)"to-b", 4, &lb), RG_OK);
  assert_int_equal(rg_udp_sendto(bfd, (const uint8_t *)"to-a", 4, &la), RG_OK);
  addr_v4(&want, "127.64.0.3", la.port); /* nobody's */
  assert_int_equal(rg_udp_sendto(bfd, (const uint8_t *)"stray", 5, &want), RG_OK);
  cl_udp_hub_read(h, 1, record, &seen);
  assert_int_equal(seen.n, 2);
  assert_ptr_equal(seen.who[0], b);
  assert_ptr_equal(seen.who[1], a);
  cl_udp_hub_get_stats(h, &st);
  assert_int_equal(st.tx_sent, 2);
  assert_int_equal(st.tx_dropped, 0);
  assert_int_equal(st.rx_delivered, 2);
  assert_int_equal(st.rx_stray, 1);

  /* A detached client's address is nobody's; its slot is free again. */
  cl_udp_hub_detach(h, a);
  assert_int_equal(rg_udp_sendto(bfd, (const uint8_t *)"late", 4, &la), RG_OK);
  seen.n = 0;
  cl_udp_hub_read(h, 2, record, &seen);
  assert_int_equal(seen.n, 0);
  cl_udp_hub_get_stats(h, &st);
  assert_int_equal(st.rx_stray, 2);
  assert_int_equal(cl_udp_hub_attach(h, a, &la), RG_OK);
  addr_v4(&want, "127.64.0.1", la.port);
  assert_true(rg_addr_equal(&la, &want));

  /* A datagram longer than a receive slot arrives cut short: counted, never
   * handed to its client as if it were whole. */
  {
    static uint8_t big[CL_DGRAM_MAX + 500];
    memset(big, 0x80, sizeof big);
    assert_int_equal(rg_udp_sendto(bfd, big, sizeof big, &lb), RG_OK);
    assert_int_equal(rg_udp_sendto(bfd, (const uint8_t *)"to-b", 4, &lb), RG_OK);
    seen.n = 0;
    cl_udp_hub_read(h, 3, record, &seen);
    assert_int_equal(seen.n, 1);
    assert_ptr_equal(seen.who[0], b);
    cl_udp_hub_get_stats(h, &st);
    assert_int_equal(st.rx_stray, 3);
    assert_int_equal(st.rx_delivered, 3);
  }

  cl_udp_hub_detach(h, a);
  cl_udp_hub_detach(h, b);
  cl_udp_hub_free(h);
  close(bfd);
  free(rx);
  free(a);
  free(b);
}

/* More than a batch queued: the extra sends flush the first batch, nothing
 * is lost; an IPv6 destination is refused and counted. */
static void a_full_batch_goes_out_and_ipv6_is_refused(void **state)
{
  struct cl_udp_hub *h = hub_or_skip(1);
  struct rg_client *a = calloc(1, sizeof *a);
  struct rg_addr la, broker, lo, v6;
  struct rg_udp_rx_batch *rx = malloc(sizeof *rx);
  struct cl_udp_hub_stats st;
  size_t got = 0;
  int bfd, n;
  (void)state;
  assert_non_null(a);
  assert_non_null(rx);
  assert_int_equal(cl_udp_hub_attach(h, a, &la), RG_OK);
  addr_v4(&lo, "127.0.0.1", 0);
  assert_int_equal(rg_udp_bind(&lo, &bfd, &broker), RG_OK);
  rg_udp_rx_batch_init(rx);
  for (unsigned i = 0; i < CL_HUB_BATCH + 5; i++)
    assert_int_equal(cl_udp_hub_send(h, a, (const uint8_t *)&i, sizeof i, &broker), RG_OK);
  cl_udp_hub_flush(h);
  while ((n = rg_udp_recv_batch(bfd, rx)) > 0)
    got += (size_t)n;
  assert_int_equal(got, CL_HUB_BATCH + 5);
  assert_int_equal(rg_addr_parse_ip(&v6, "::1", 3, broker.port), RG_OK);
  assert_int_equal(cl_udp_hub_send(h, a, (const uint8_t *)"x", 1, &v6), RG_ERR_INVAL);
  cl_udp_hub_get_stats(h, &st);
  assert_int_equal(st.tx_sent, CL_HUB_BATCH + 5);
  assert_int_equal(st.tx_dropped, 1);
  cl_udp_hub_detach(h, a);
  cl_udp_hub_free(h);
  close(bfd);
  free(rx);
  free(a);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(each_client_sends_from_and_receives_on_its_own_address),
      cmocka_unit_test(a_full_batch_goes_out_and_ipv6_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
