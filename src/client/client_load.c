/* librtcgate-client: the load generator behind rtcgate-load.
 *
 * N calls between pairs of simulated users in one process, on one epoll set
 * (every client's WSS and UDP socket in it, no thread or timerfd per call).
 * Phases: mint 2N tokens -> connect everybody -> start calls at --rate ->
 * when every call is up (or failed) measure for --duration seconds (broker
 * CPU from /proc/PID/stat, packets received) -> pause the senders, let the
 * last packets land, count -> hang up. Payloads are raw RTP payloads with
 * their send time inside, so the receiver measures one-way delay through
 * the broker on this host's monotonic clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"

#define LD_TOKEN_TTL_S 3600
#define LD_EVENTS 512
#define LD_TICK_US 1000ull             /* timer scan granularity */
#define LD_CONNECT_GRACE_US 30000000ull /* everyone must be ready by then */
#define LD_SETUP_GRACE_US 30000000ull   /* after the last call was started */
#define LD_DRAIN_US 300000ull           /* after pausing senders: in-flight packets land */
#define LD_HANGUP_US 500000ull          /* hangups and close_notify go out */
#define LD_USER_MAX 48

void cl_hist_add(struct cl_hist *h, uint64_t us)
{
  uint64_t b = us / CL_HIST_US;
  h->b[b < CL_HIST_BUCKETS ? b : CL_HIST_BUCKETS - 1]++;
  h->n++;
}

double cl_hist_quantile_ms(const struct cl_hist *h, double q)
{
  uint64_t want, seen = 0;
  if (h->n == 0)
    return 0;
  want = (uint64_t)(q * (double)h->n);
  if (want >= h->n)
    want = h->n - 1;
  for (size_t i = 0; i < CL_HIST_BUCKETS; i++) {
    seen += h->b[i];
    if (seen > want)
      return (double)((i + 1) * CL_HIST_US) / 1000.0; /* upper edge of the bucket */
  }
  return (double)(CL_HIST_BUCKETS * CL_HIST_US) / 1000.0;
}

struct ld_pair;

struct ld_side {
  struct ld_pair *p;
  int side; /* 0 caller, 1 callee */
  struct rg_client *c;
  char user[LD_USER_MAX];
  bool secured;
};

struct ld_pair {
  struct ld_side s[2];
  bool started, up, failed, ended;
  uint64_t t_call, t_up;
  char why[RG_CLIENT_TEXT_MAX];
};

struct ld {
  const struct rg_client_load_config *cfg;
  struct ld_pair *pairs;
  uint32_t n;
  int ep;
  struct cl_hist *hist;
  uint32_t up, failed;
  bool teardown;
};

static void on_event(void *user, const struct rg_client_event *ev)
{
  struct ld_side *s = user;
  struct ld_pair *p = s->p;
  switch (ev->type) {
  case RG_CLIENT_EV_SECURED:
    s->secured = true;
    if (p->s[0].secured && p->s[1].secured && !p->up && !p->failed) {
      p->up = true;
      p->t_up = rg_client_now_us();
    }
    break;
  case RG_CLIENT_EV_HANGUP:
  case RG_CLIENT_EV_CLOSED:
    if (!p->ended && !p->failed && !p->up) {
      p->failed = true;
      snprintf(p->why, sizeof p->why, "%s %s: %s", s->user, rg_client_event_name(ev->type),
               ev->reason ? ev->reason : "");
    }
    p->ended = true;
    break;
  default:
    break;
  }
}

static void raise_fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* utime + stime of a process in seconds, or -1. */
static double proc_cpu_s(int pid)
{
  char path[64], buf[1024];
  FILE *f;
  size_t n;
  const char *p;
  unsigned long long ut = 0, st = 0;
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  f = fopen(path, "r");
  if (!f)
    return -1;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (!p)
    return -1;
  /* after ")": state(3) ppid ... utime is field 14, stime 15 */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static uint64_t total_received(struct ld *l)
{
  uint64_t n = 0;
  for (uint32_t i = 0; i < l->n; i++)
    for (int k = 0; k < 2; k++)
      if (l->pairs[i].s[k].c)
        n += l->pairs[i].s[k].c->call.rtp_received;
  return n;
}

/* One round: socket events, then every client whose timer is due. */
static void pump(struct ld *l, uint64_t *next_scan, int wait_ms)
{
  struct epoll_event evs[LD_EVENTS];
  uint64_t now;
  int n = epoll_wait(l->ep, evs, LD_EVENTS, wait_ms);
  now = rg_client_now_us();
  for (int i = 0; i < n; i++) {
    struct rg_client *c;
    int t = cl_event_tag(evs[i].data.u64, &c);
    (void)cl_process_ready(c, now, t == 1, t == 2);
  }
  if (now >= *next_scan) {
    for (uint32_t i = 0; i < l->n; i++)
      for (int k = 0; k < 2; k++) {
        struct rg_client *c = l->pairs[i].s[k].c;
        if (c && rg_client_next_timeout(c) <= now)
          (void)cl_process_ready(c, now, false, false);
      }
    *next_scan = now + LD_TICK_US;
  }
}

static void pump_for(struct ld *l, uint64_t us)
{
  uint64_t end = rg_client_now_us() + us, next_scan = 0;
  while (rg_client_now_us() < end)
    pump(l, &next_scan, 1);
}

static int make_clients(struct ld *l, char *err, size_t err_cap)
{
  const struct rg_client_load_config *cfg = l->cfg;
  char run[7], token[RG_CLIENT_TOKEN_MAX];
  struct rg_client *first = NULL;
  cl_rand_text(run, 6);
  for (uint32_t i = 0; i < l->n; i++)
    for (int k = 0; k < 2; k++) {
      struct ld_side *s = &l->pairs[i].s[k];
      struct rg_client_config cc;
      int rc;
      s->p = &l->pairs[i];
      s->side = k;
      snprintf(s->user, sizeof s->user, "load-%s-%c%u", run, k ? 'b' : 'a', (unsigned)i);
      rc = rg_client_mint_token(cfg->server, &cfg->tls, cfg->app_key, s->user, LD_TOKEN_TTL_S, token, sizeof token,
                                err, err_cap);
      if (rc)
        return rc;
      memset(&cc, 0, sizeof cc);
      cc.server = cfg->server;
      cc.token = token;
      cc.tls = cfg->tls;
      cc.codec = RG_CLIENT_CODEC_PCMU;
      cc.auto_answer = k == 1;
      cc.raw_payload = cfg->payload;
      cc.raw_pps = cfg->pps;
      cc.no_timerfd = true;
      cc.share_with = first;
      cc.on_event = on_event;
      cc.user = s;
      rc = cl_client_new_in(&s->c, &cc, l->ep);
      if (rc) {
        snprintf(err, err_cap, "client %s: %s (out of descriptors? ulimit -n)", s->user, rg_strerror(rc));
        return rc;
      }
      s->c->delay_hist = l->hist;
      if (!first)
        first = s->c;
    }
  return RG_OK;
}

static bool all_ready(struct ld *l, uint32_t *n_ready)
{
  uint32_t r = 0;
  for (uint32_t i = 0; i < l->n; i++)
    for (int k = 0; k < 2; k++)
      r += rg_client_is_ready(l->pairs[i].s[k].c);
  *n_ready = r;
  return r == 2 * l->n;
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void report(struct ld *l, struct rg_client_load_report *out)
{
  uint64_t *setup = calloc(l->n ? l->n : 1, sizeof *setup);
  size_t ns = 0;
  for (uint32_t i = 0; i < l->n; i++) {
    struct ld_pair *p = &l->pairs[i];
    if (p->up && setup)
      setup[ns++] = p->t_up - p->t_call;
    for (int k = 0; k < 2; k++) {
      struct rg_client_stats st;
      rg_client_get_stats(p->s[k].c, &st);
      out->packets_sent += st.packets_sent;
      out->packets_received += st.packets_received;
      /* RFC 3550 A.3 (expected - received from the first packet that
       * arrived): packets sent while the other leg was still handshaking
       * were never relayable and are not loss. */
      out->packets_lost += st.packets_lost > 0 ? (uint64_t)st.packets_lost : 0;
    }
  }
  out->loss_pct = out->packets_received + out->packets_lost
                      ? 100.0 * (double)out->packets_lost / (double)(out->packets_received + out->packets_lost)
                      : 0;
  if (ns && setup) {
    qsort(setup, ns, sizeof *setup, cmp_u64);
    out->setup_p50_ms = (double)setup[(size_t)(0.50 * (double)(ns - 1))] / 1000.0;
    out->setup_p99_ms = (double)setup[(size_t)(0.99 * (double)(ns - 1))] / 1000.0;
  }
  free(setup);
  out->delay_p50_ms = cl_hist_quantile_ms(l->hist, 0.50);
  out->delay_p99_ms = cl_hist_quantile_ms(l->hist, 0.99);
}

int rg_client_load_run(const struct rg_client_load_config *cfg, struct rg_client_load_report *out, char *err,
                       size_t err_cap)
{
  struct ld l;
  struct rg_client_load_report r;
  uint64_t next_scan = 0, t0, deadline, last_start = 0;
  uint32_t started = 0, n_ready = 0;
  double cpu0 = -1, cpu1 = -1;
  uint64_t rx0 = 0, rx1 = 0, w0 = 0, w1 = 0;
  int rc = RG_OK;
  if (!cfg || !out || !cfg->server || !cfg->app_key || cfg->calls == 0 || cfg->calls > 100000) {
    snprintf(err, err_cap, "need a server, an app key and 1..100000 calls");
    return RG_ERR_INVAL;
  }
  memset(&l, 0, sizeof l);
  memset(&r, 0, sizeof r);
  r.broker_cpu_s = r.broker_cpu_s_per_1k = -1;
  l.cfg = cfg;
  l.n = cfg->calls;
  raise_fd_limit();
  l.pairs = calloc(l.n, sizeof *l.pairs);
  l.hist = calloc(1, sizeof *l.hist);
  l.ep = epoll_create1(EPOLL_CLOEXEC);
  if (!l.pairs || !l.hist || l.ep < 0) {
    snprintf(err, err_cap, "out of memory");
    rc = RG_ERR_NOMEM;
    goto done;
  }
  if ((rc = make_clients(&l, err, err_cap)) != RG_OK)
    goto done;
  /* Everybody connected and authenticated. */
  t0 = rg_client_now_us();
  while (!all_ready(&l, &n_ready) && rg_client_now_us() < t0 + LD_CONNECT_GRACE_US)
    pump(&l, &next_scan, 1);
  if (n_ready < 2 * l.n) {
    snprintf(err, err_cap, "only %u of %u users connected", (unsigned)n_ready, (unsigned)(2 * l.n));
    rc = RG_ERR_TIMEOUT;
    goto done;
  }
  if (cfg->verbose)
    fprintf(stderr, "rtcgate-load: %u users connected in %.2f s\n", (unsigned)(2 * l.n),
            (double)(rg_client_now_us() - t0) / 1e6);
  /* Calls at the configured rate until every one is up or failed. */
  t0 = rg_client_now_us();
  deadline = UINT64_MAX;
  for (;;) {
    uint64_t now = rg_client_now_us();
    uint32_t done_n = 0;
    uint64_t due = cfg->rate > 0 ? (uint64_t)((double)(now - t0) / 1e6 * cfg->rate) + 1 : l.n;
    while (started < l.n && started < due) {
      struct ld_pair *p = &l.pairs[started++];
      p->started = true;
      p->t_call = rg_client_now_us();
      if (rg_client_call(p->s[0].c, p->s[1].user, NULL, 0) != RG_OK) {
        p->failed = true;
        snprintf(p->why, sizeof p->why, "call not sent");
      }
      last_start = p->t_call;
    }
    if (started == l.n && deadline == UINT64_MAX)
      deadline = last_start + LD_SETUP_GRACE_US;
    for (uint32_t i = 0; i < l.n; i++)
      done_n += l.pairs[i].up || l.pairs[i].failed;
    if (started == l.n && (done_n == l.n || now >= deadline))
      break;
    pump(&l, &next_scan, 1);
  }
  for (uint32_t i = 0; i < l.n; i++) {
    r.calls_up += l.pairs[i].up && !l.pairs[i].failed;
    if (l.pairs[i].failed || !l.pairs[i].up) {
      r.calls_failed++;
      if (cfg->verbose)
        fprintf(stderr, "rtcgate-load: call %u failed: %s\n", (unsigned)i, l.pairs[i].why[0] ? l.pairs[i].why : "timeout");
    }
  }
  if (cfg->verbose)
    fprintf(stderr, "rtcgate-load: %u calls up, %u failed, in %.2f s\n", (unsigned)r.calls_up,
            (unsigned)r.calls_failed, (double)(rg_client_now_us() - t0) / 1e6);
  /* Steady state; one-way delay is measured here only, not while DTLS
   * handshakes of later calls still share the loop. */
  memset(l.hist, 0, sizeof *l.hist);
  w0 = rg_client_now_us();
  rx0 = total_received(&l);
  if (cfg->broker_pid > 0)
    cpu0 = proc_cpu_s(cfg->broker_pid);
  pump_for(&l, (uint64_t)((cfg->duration_s > 0 ? cfg->duration_s : 10.0) * 1e6));
  if (cfg->broker_pid > 0)
    cpu1 = proc_cpu_s(cfg->broker_pid);
  rx1 = total_received(&l);
  w1 = rg_client_now_us();
  r.measure_s = (double)(w1 - w0) / 1e6;
  r.window_packets = rx1 - rx0;
  if (cpu0 >= 0 && cpu1 >= 0) {
    r.broker_cpu_s = cpu1 - cpu0;
    r.broker_cpu_s_per_1k = r.window_packets ? r.broker_cpu_s / ((double)r.window_packets / 1000.0) : -1;
  }
  /* Pause every sender, let the last packets arrive, then count. */
  for (uint32_t i = 0; i < l.n; i++)
    for (int k = 0; k < 2; k++)
      l.pairs[i].s[k].c->call.next_send = UINT64_MAX;
  pump_for(&l, LD_DRAIN_US);
  report(&l, &r);
  l.teardown = true;
  for (uint32_t i = 0; i < l.n; i++) {
    l.pairs[i].ended = true;
    (void)rg_client_hangup(l.pairs[i].s[0].c);
  }
  pump_for(&l, LD_HANGUP_US);
  *out = r;
done:
  if (l.pairs) {
    /* Free sharers first: the first client owns the shared contexts. */
    for (uint32_t i = l.n; i-- > 0;)
      for (int k = 2; k-- > 0;)
        if (l.pairs[i].s[k].c)
          rg_client_free(l.pairs[i].s[k].c);
  }
  free(l.pairs);
  free(l.hist);
  if (l.ep >= 0)
    close(l.ep);
  return rc;
}
