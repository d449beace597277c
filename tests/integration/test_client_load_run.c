/* rtcgate-load's engine (rg_client_load_run) against a real `rtcgate serve`:
 * a few calls with their media on one shared UDP socket, on a socket per
 * user, and split over two worker processes. Every call comes up, packets
 * flow both ways for the window and none is lost on loopback, and the
 * report says which media sockets were used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_client_util.h"

#define CALLS 4
#define PPS 50
#define WINDOW_S 1.5

static struct gw_server srv;
static char url[64], ca[300];

static int setup(void **state)
{
  (void)state;
  if (gw_server_start(&srv, NULL) != 0)
    return -1;
  tcu_server_url(&srv, url, sizeof url);
  tcu_ca_file(&srv, ca, sizeof ca);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  assert_int_equal(gw_server_stop(&srv), 0);
  return 0;
}

/* Runs CALLS calls; returns rg_client_load_run's code, the report in *r. */
static int run(int udp, uint32_t procs, struct rg_client_load_report *r, char *err, size_t err_cap)
{
  struct rg_client_load_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.server = url;
  cfg.tls.verify = RG_CLIENT_VERIFY_CA_FILE;
  cfg.tls.ca_file = ca;
  cfg.app_key = GWS_APP_KEY;
  cfg.calls = CALLS;
  cfg.pps = PPS;
  cfg.payload = 160;
  cfg.duration_s = WINDOW_S;
  cfg.broker_pid = srv.pid;
  cfg.procs = procs;
  cfg.udp = udp;
  memset(r, 0, sizeof *r);
  return rg_client_load_run(&cfg, r, err, err_cap);
}

static void assert_clean_run(const struct rg_client_load_report *r)
{
  /* Each of 2 * CALLS legs receives PPS packets/s through the window. */
  uint64_t expect = (uint64_t)(2 * CALLS * PPS * WINDOW_S);
  assert_int_equal(r->calls_up, CALLS);
  assert_int_equal(r->calls_failed, 0);
  assert_true(r->window_packets >= expect * 8 / 10);
  assert_true(r->window_received >= r->window_packets);
  assert_int_equal(r->window_lost, 0);
  assert_int_equal(r->packets_lost, 0);
  assert_int_equal(r->window_load_overflows, 0);
  assert_true(r->packets_sent >= r->packets_received);
  assert_true(r->delay_p50_ms > 0 && r->delay_p50_ms <= r->delay_p99_ms);
  assert_true(r->broker_cpu_s >= 0 && r->broker_cpu_s_per_1k > 0);
  assert_true(r->load_cpu_s > 0);
}

static void calls_relay_every_packet_with_one_shared_socket(void **state)
{
  struct rg_client_load_report r;
  char err[256] = "";
  int rc = run(RG_CLIENT_LOAD_UDP_SHARED, 0, &r, err, sizeof err);
  (void)state;
  if (rc != RG_OK && strstr(err, "not permitted")) {
    fprintf(stderr, "skipped: %s\n", err);
    skip();
  }
  if (rc != RG_OK)
    fail_msg("load run: %s", err);
  assert_true(r.udp_shared);
  assert_clean_run(&r);
}

static void calls_relay_every_packet_with_a_socket_per_user(void **state)
{
  struct rg_client_load_report r;
  char err[256] = "";
  (void)state;
  if (run(RG_CLIENT_LOAD_UDP_PER_USER, 0, &r, err, sizeof err) != RG_OK)
    fail_msg("load run: %s", err);
  assert_false(r.udp_shared);
  assert_clean_run(&r);
}

/* Two worker processes, in step: their counts are merged into one report. */
static void calls_split_over_two_processes_are_merged(void **state)
{
  struct rg_client_load_report r;
  char err[256] = "";
  (void)state;
  if (run(RG_CLIENT_LOAD_UDP_AUTO, 2, &r, err, sizeof err) != RG_OK)
    fail_msg("load run: %s", err);
  assert_clean_run(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(calls_relay_every_packet_with_one_shared_socket),
      cmocka_unit_test(calls_relay_every_packet_with_a_socket_per_user),
      cmocka_unit_test(calls_split_over_two_processes_are_merged),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
