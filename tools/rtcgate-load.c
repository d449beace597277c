/* rtcgate-load — N concurrent calls through an rtcgate server, one event
 * loop per process; more than one process only when the descriptor limit
 * asks for it (src/client/client_load*.c do the work).
 *
 *   rtcgate-load --server wss://127.0.0.1:8443 --app-key K --calls N [--rate CALLS/S]
 *                [--pps 50] [--payload 160] [--duration S] [--broker-pid PID] [--procs N]
 *                [--udp auto|shared|per-user] [--ca FILE | --pin SHA256 | --insecure] [--verbose]
 *
 * The app key may also come from $RTCGATE_APP_KEY. The last line is one
 * machine-readable summary: "rtcgate-load: calls_up=... loss_pct=...".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/client.h"
#include "rtcgate/error.h"

static void usage(FILE *f)
{
  fprintf(f, "usage: rtcgate-load --server wss://HOST:PORT --app-key K --calls N [--rate CALLS/S]\n"
             "         [--pps 50] [--payload 160] [--duration S] [--broker-pid PID] [--procs N]\n"
             "         [--udp auto|shared|per-user] [--ca FILE | --pin SHA256 | --insecure] [--verbose]\n");
}

int main(int argc, char **argv)
{
  struct rg_client_load_config cfg;
  struct rg_client_load_report r;
  char err[256] = "";
  int rc;
  memset(&cfg, 0, sizeof cfg);
  cfg.server = "wss://127.0.0.1:8443";
  cfg.app_key = getenv("RTCGATE_APP_KEY");
  cfg.pps = 50;
  cfg.payload = 160;
  cfg.duration_s = 10;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = strcmp(o, "--insecure") != 0 && strcmp(o, "--verbose") != 0 && strcmp(o, "-h") != 0 &&
                 strcmp(o, "--help") != 0;
    if (takes && !v) {
      fprintf(stderr, "rtcgate-load: %s needs a value\n", o);
      return 2;
    }
    if (!strcmp(o, "--server"))
      cfg.server = v;
    else if (!strcmp(o, "--app-key"))
      cfg.app_key = v;
    else if (!strcmp(o, "--calls"))
      cfg.calls = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(o, "--rate"))
      cfg.rate = atof(v);
    else if (!strcmp(o, "--pps"))
      cfg.pps = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(o, "--payload"))
      cfg.payload = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(o, "--duration"))
      cfg.duration_s = atof(v);
    else if (!strcmp(o, "--broker-pid"))
      cfg.broker_pid = atoi(v);
    else if (!strcmp(o, "--procs"))
      cfg.procs = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(o, "--udp")) {
      if (!strcmp(v, "auto"))
        cfg.udp = RG_CLIENT_LOAD_UDP_AUTO;
      else if (!strcmp(v, "shared"))
        cfg.udp = RG_CLIENT_LOAD_UDP_SHARED;
      else if (!strcmp(v, "per-user"))
        cfg.udp = RG_CLIENT_LOAD_UDP_PER_USER;
      else {
        fprintf(stderr, "rtcgate-load: --udp is auto, shared or per-user\n");
        return 2;
      }
    } else if (!strcmp(o, "--ca")) {
      cfg.tls.verify = RG_CLIENT_VERIFY_CA_FILE;
      cfg.tls.ca_file = v;
    } else if (!strcmp(o, "--pin")) {
      cfg.tls.verify = RG_CLIENT_VERIFY_PIN;
      cfg.tls.pin_sha256 = v;
    } else if (!strcmp(o, "--insecure")) {
      cfg.tls.verify = RG_CLIENT_VERIFY_INSECURE;
    } else if (!strcmp(o, "--verbose")) {
      cfg.verbose = true;
    } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "rtcgate-load: unknown argument %s\n", o);
      usage(stderr);
      return 2;
    }
    if (takes)
      i++;
  }
  if (!cfg.app_key || cfg.calls == 0 || cfg.pps == 0 || cfg.pps > 1000 || cfg.payload < 16 || cfg.payload > 1200 ||
      cfg.procs > 16) {
    usage(stderr);
    fprintf(stderr, "rtcgate-load: need --app-key, --calls >= 1, --pps 1..1000, --payload 16..1200, --procs 0..16\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rc = rg_client_load_run(&cfg, &r, err, sizeof err);
  if (rc != RG_OK) {
    fprintf(stderr, "rtcgate-load: %s (%s)\n", err[0] ? err : rg_strerror(rc), rg_err_name(rc));
    return 1;
  }
  printf("calls:        %u up, %u failed\n", (unsigned)r.calls_up, (unsigned)r.calls_failed);
  printf("setup time:   p50 %.1f ms, p99 %.1f ms\n", r.setup_p50_ms, r.setup_p99_ms);
  printf("packets:      %llu sent, %llu received, %llu lost (%.3f %%)\n", (unsigned long long)r.packets_sent,
         (unsigned long long)r.packets_received, (unsigned long long)r.packets_lost, r.loss_pct);
  printf("steady state: %llu received, %llu lost (%.3f %%) once every call was up\n"
         "              (meanwhile the load generator's own full sockets dropped %llu: it fell behind)\n",
         (unsigned long long)r.window_received, (unsigned long long)r.window_lost, r.window_loss_pct,
         (unsigned long long)r.window_load_overflows);
  printf("one-way delay: p50 %.3f ms, p99 %.3f ms\n", r.delay_p50_ms, r.delay_p99_ms);
  printf("load generator: %.2f s CPU over %.1f s, media on %s\n", r.load_cpu_s, r.measure_s,
         r.udp_shared ? "one shared UDP socket per worker" : "a UDP socket per user");
  if (r.broker_cpu_s >= 0)
    printf("broker CPU:   %.2f s over %.1f s for %llu relayed packets: %.4f s per 1,000 packets\n", r.broker_cpu_s,
           r.measure_s, (unsigned long long)r.window_packets, r.broker_cpu_s_per_1k);
  printf("rtcgate-load: calls_up=%u calls_failed=%u setup_p50_ms=%.1f setup_p99_ms=%.1f packets_sent=%llu "
         "packets_received=%llu packets_lost=%llu loss_pct=%.4f window_loss_pct=%.4f delay_p50_ms=%.3f "
         "delay_p99_ms=%.3f broker_cpu_s_per_1k=%.5f load_cpu_pct=%.1f udp=%s load_overflows=%llu\n",
         (unsigned)r.calls_up, (unsigned)r.calls_failed, r.setup_p50_ms, r.setup_p99_ms,
         (unsigned long long)r.packets_sent, (unsigned long long)r.packets_received,
         (unsigned long long)r.packets_lost, r.loss_pct, r.window_loss_pct, r.delay_p50_ms, r.delay_p99_ms,
         r.broker_cpu_s_per_1k, r.measure_s > 0 ? 100.0 * r.load_cpu_s / r.measure_s : 0,
         r.udp_shared ? "shared" : "per-user", (unsigned long long)r.window_load_overflows);
  return r.calls_failed == 0 ? 0 : 1;
}
