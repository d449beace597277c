/* librtcgate-client: the load generator behind rtcgate-load.
 *
 * N calls between pairs of simulated users, on one epoll set per process
 * (every client's WSS and UDP socket in it, no thread or timerfd per call).
 * Phases: mint + connect every user (a bounded window at a time) -> start
 * calls at --rate -> when every call is up (or failed) measure for
 * --duration seconds (broker CPU from /proc/PID/stat, packets received) ->
 * pause the senders, let the last packets land, count -> hang up. Payloads
 * are raw RTP payloads with their send time inside, so the receiver measures
 * one-way delay through the broker on this host's monotonic clock.
 *
 * Media: by default the users' UDP goes through one socket per worker (a
 * cl_udp_hub: each user still an address of its own, datagrams in
 * sendmmsg / recvmmsg batches) so that the load generator spends its core
 * on the calls rather than on a syscall and an epoll event per packet; a
 * socket per user where the system refuses the shared one (--udp per-user).
 *
 * Each user holds one or two descriptors (WSS, UDP). When the run needs more than
 * the descriptor limit allows (5,000 calls = 20,000 descriptors against a
 * hard limit of 20,000 that only CAP_SYS_RESOURCE may raise), the calls are
 * split over worker processes, each under the limit. The phases stay in step
 * through a shared anonymous mapping: workers publish their phase, a
 * coordinator (the parent, or the one in-process worker itself) says when
 * the next phase may start, so the measuring window is the same for all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "client/client_load_internal.h"
#include "io/io_udp.h"
#include "rtcgate/error.h"

#define LD_TOKEN_TTL_S 3600
#define LD_EVENTS 512
#define LD_TICK_US 1000ull              /* timer scan granularity */
#define LD_SCAN_BATCH 32                /* due clients prefetched together */
/* Users connecting (TCP + TLS + upgrade + auth) at once. The gateway drops a
 * socket that is not authenticated within its auth timeout (10 s), so users
 * must not pile up behind a long token-minting phase: each is minted, then
 * connected, while the loop keeps the ones in flight moving. */
#define LD_CONNECT_WINDOW 64
#define LD_CONNECT_STALL_US 15000000ull /* no user got ready for this long: give up */
#define LD_SETUP_GRACE_US 30000000ull   /* after the last call was started */
#define LD_DRAIN_US 300000ull           /* after pausing senders: in-flight packets land */
#define LD_HANGUP_US 500000ull          /* hangups and close_notify go out */
#define LD_PHASE_WAIT_MAX_US 600000000ull /* a worker waits for the others at most this long */
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

/* ---- one worker's calls ---------------------------------------------------- */

struct ld_pair;

struct ld_side {
  struct ld_pair *p;
  int side; /* 0 caller, 1 callee */
  struct rg_client *c;
  char user[LD_USER_MAX];
  bool secured, ready, gone;
  uint32_t idx; /* into ld.due */
};

struct ld_pair {
  struct ld_side s[2];
  bool started, up, failed, ended;
  uint64_t t_call, t_up;
  char why[RG_CLIENT_TEXT_MAX];
};

struct ld {
  const struct rg_client_load_config *cfg;
  struct ld_share *sh;
  struct ld_worker_share *me;
  bool solo;      /* the only worker, in the caller's process: it coordinates too */
  uint32_t wid;   /* worker number */
  uint32_t first; /* global index of its first call */
  struct ld_pair *pairs;
  uint32_t n;
  int ep;
  struct cl_hist *hist;
  /* due[i]: rg_client_next_timeout of client i (2 * pair + side), refreshed
   * after each time it runs. The 1 ms timer scan reads this dense array
   * instead of walking every client object (10,000 clients: a few cache
   * lines instead of tens of thousands). */
  uint64_t *due;
  struct cl_udp_hub *hub; /* the users' media socket, or NULL: one each */
};

static void on_event(void *user, const struct rg_client_event *ev)
{
  struct ld_side *s = user;
  struct ld_pair *p = s->p;
  switch (ev->type) {
  case RG_CLIENT_EV_READY:
    s->ready = true;
    break;
  case RG_CLIENT_EV_SECURED:
    s->secured = true;
    if (p->s[0].secured && p->s[1].secured && !p->up && !p->failed) {
      p->up = true;
      p->t_up = rg_client_now_us();
    }
    break;
  case RG_CLIENT_EV_HANGUP:
  case RG_CLIENT_EV_CLOSED:
    if (ev->type == RG_CLIENT_EV_CLOSED)
      s->gone = true;
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

static struct ld_side *side_of(struct rg_client *c)
{
  return c->cfg.user;
}

/* Runs a client and records when it next wants to run. */
static void run_client(struct ld *l, struct rg_client *c, uint64_t now, bool ws, bool udp)
{
  (void)cl_process_ready(c, now, ws, udp);
  l->due[side_of(c)->idx] = rg_client_next_timeout(c);
}

/* After the hub handed a client a datagram: when does it next want to run. */
static void hub_delivered(void *arg, struct rg_client *c)
{
  struct ld *l = arg;
  l->due[side_of(c)->idx] = rg_client_next_timeout(c);
}

/* Runs a batch of due clients: their lines are prefetched stage by stage
 * over the batch first (what sending an RTP packet reads), so that one
 * client's cache misses overlap the others' instead of adding up. */
static void run_batch(struct ld *l, struct rg_client **batch, uint32_t n, uint64_t now)
{
  for (int stage = 0; stage < CL_CLIENT_PREFETCH_STAGES; stage++)
    for (uint32_t k = 0; k < n; k++)
      cl_client_prefetch(batch[k], stage, false, 0, false);
  for (uint32_t k = 0; k < n; k++)
    run_client(l, batch[k], now, false, false);
}

/* Runs every client whose timer is due, LD_SCAN_BATCH at a time. */
static void scan(struct ld *l, uint64_t now)
{
  struct rg_client *batch[LD_SCAN_BATCH];
  uint32_t n = 0;
  for (uint32_t i = 0; i < 2 * l->n; i++) {
    if (l->due[i] > now)
      continue;
    batch[n++] = l->pairs[i / 2].s[i % 2].c;
    if (n == LD_SCAN_BATCH) {
      run_batch(l, batch, n, now);
      n = 0;
    }
  }
  run_batch(l, batch, n, now);
}

/* One round: socket events, then every client whose timer is due, then
 * what they queued on the hub goes out. */
static void pump(struct ld *l, uint64_t *next_scan, int wait_ms)
{
  struct epoll_event evs[LD_EVENTS];
  uint64_t now;
  int n = epoll_wait(l->ep, evs, LD_EVENTS, wait_ms);
  now = rg_client_now_us();
  for (int i = 0; i < n; i++) {
    struct rg_client *c;
    int t;
    if (l->hub && evs[i].data.ptr == l->hub) {
      cl_udp_hub_read(l->hub, now, hub_delivered, l);
      continue;
    }
    t = cl_event_tag(evs[i].data.u64, &c);
    run_client(l, c, now, t == 1, t == 2);
  }
  if (now >= *next_scan) {
    scan(l, now);
    *next_scan = now + LD_TICK_US;
  }
  if (l->hub)
    cl_udp_hub_flush(l->hub);
}

static void pump_for(struct ld *l, uint64_t *next_scan, uint64_t us)
{
  uint64_t end = rg_client_now_us() + us;
  while (rg_client_now_us() < end)
    pump(l, next_scan, 1);
}

/* Pumps the worker's loop until the coordinator says want (or aborts). */
static int wait_go(struct ld *l, uint64_t *next_scan, int want)
{
  uint64_t end = rg_client_now_us() + LD_PHASE_WAIT_MAX_US;
  for (;;) {
    int go;
    if (l->solo)
      (void)cl_load_coord_step(l->sh, l->cfg);
    go = ld_load(&l->sh->go);
    if (go == LD_GO_ABORT)
      return RG_ERR_CLOSED;
    if (go >= want)
      return RG_OK;
    if (rg_client_now_us() >= end)
      return RG_ERR_TIMEOUT;
    pump(l, next_scan, 1);
  }
}

/* ---- the phases of one worker ---------------------------------------------- */

static uint32_t count_users(const struct ld *l, uint32_t made, uint32_t *in_flight, uint32_t *gone)
{
  uint32_t r = 0, f = 0, g = 0;
  for (uint32_t i = 0; i < made; i++) {
    const struct ld_side *s = &l->pairs[i / 2].s[i % 2];
    r += s->ready && !s->gone;
    f += !s->ready && !s->gone;
    g += s->gone;
  }
  *in_flight = f;
  *gone = g;
  return r;
}

/* Mints each user's token and connects it, at most LD_CONNECT_WINDOW users
 * connecting at a time, pumping the loop in between so the ones in flight
 * finish their handshakes within the gateway's auth timeout. Bounded: every
 * connecting user becomes ready or gone within CL_CONNECT_TIMEOUT_US, and a
 * stall of LD_CONNECT_STALL_US ends the phase. */
static int make_clients(struct ld *l, uint64_t *next_scan, char *err, size_t err_cap)
{
  const struct rg_client_load_config *cfg = l->cfg;
  char token[RG_CLIENT_TOKEN_MAX];
  struct rg_client *first = NULL;
  uint32_t total = 2 * l->n, made = 0, ready = 0;
  uint64_t last_progress = rg_client_now_us();
  while (ready < total) {
    uint64_t now = rg_client_now_us();
    uint32_t flying, gone, r = count_users(l, made, &flying, &gone);
    if (ld_load(&l->sh->go) == LD_GO_ABORT)
      return RG_ERR_CLOSED; /* another worker failed */
    if (gone) {
      snprintf(err, err_cap, "%u of %u users lost their connection while connecting (%u ready)", (unsigned)gone,
               (unsigned)made, (unsigned)r);
      return RG_ERR_CLOSED;
    }
    if (r > ready)
      last_progress = now;
    ready = r;
    if (now >= last_progress + LD_CONNECT_STALL_US) {
      snprintf(err, err_cap, "only %u of %u users connected", (unsigned)ready, (unsigned)total);
      return RG_ERR_TIMEOUT;
    }
    if (made < total && flying < LD_CONNECT_WINDOW) {
      uint32_t i = made / 2;
      int k = (int)(made % 2);
      struct ld_side *s = &l->pairs[i].s[k];
      struct rg_client_config cc;
      int rc;
      s->p = &l->pairs[i];
      s->side = k;
      s->idx = made;
      snprintf(s->user, sizeof s->user, "load-%s-%c%u", l->sh->run, k ? 'b' : 'a', (unsigned)(l->first + i));
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
      rc = cl_client_new_in(&s->c, &cc, l->ep, l->hub);
      if (rc) {
        snprintf(err, err_cap, "client %s: %s (out of descriptors? ulimit -n)", s->user, rg_strerror(rc));
        return rc;
      }
      s->c->delay_hist = l->hist;
      l->due[made] = rg_client_next_timeout(s->c);
      if (!first)
        first = s->c;
      made++;
      pump(l, next_scan, 0);
    } else {
      pump(l, next_scan, 1);
    }
  }
  return RG_OK;
}

/* Starts the worker's calls at its share of the rate until each is up or
 * failed (bounded by LD_SETUP_GRACE_US after the last start). */
static void start_calls(struct ld *l, uint64_t *next_scan)
{
  const struct rg_client_load_config *cfg = l->cfg;
  double rate = cfg->rate > 0 ? cfg->rate / (double)l->sh->n_workers : 0;
  uint64_t t0 = rg_client_now_us(), deadline = UINT64_MAX, last_start = 0;
  uint32_t started = 0;
  for (;;) {
    uint64_t now = rg_client_now_us();
    uint32_t done_n = 0;
    uint64_t due = rate > 0 ? (uint64_t)((double)(now - t0) / 1e6 * rate) + 1 : l->n;
    while (started < l->n && started < due) {
      struct ld_pair *p = &l->pairs[started++];
      p->started = true;
      p->t_call = rg_client_now_us();
      if (rg_client_call(p->s[0].c, p->s[1].user, NULL, 0) != RG_OK) {
        p->failed = true;
        snprintf(p->why, sizeof p->why, "call not sent");
      }
      l->due[p->s[0].idx] = rg_client_next_timeout(p->s[0].c);
      last_start = p->t_call;
    }
    if (started == l->n && deadline == UINT64_MAX)
      deadline = last_start + LD_SETUP_GRACE_US;
    for (uint32_t i = 0; i < l->n; i++)
      done_n += l->pairs[i].up || l->pairs[i].failed;
    if (started == l->n && (done_n == l->n || now >= deadline))
      break;
    pump(l, next_scan, 1);
  }
  for (uint32_t i = 0; i < l->n; i++) {
    struct ld_pair *p = &l->pairs[i];
    bool up = p->up && !p->failed;
    l->me->calls_up += up;
    l->me->calls_failed += !up;
    l->sh->setup_us[l->first + i] = up ? (p->t_up > p->t_call ? p->t_up - p->t_call : 1) : 0;
    if (!up && cfg->verbose)
      fprintf(stderr, "rtcgate-load: call %u failed: %s\n", (unsigned)(l->first + i), p->why[0] ? p->why : "timeout");
  }
  if (cfg->verbose)
    fprintf(stderr, "rtcgate-load: worker %u: %u calls up, %u failed, in %.2f s\n", (unsigned)l->wid,
            (unsigned)l->me->calls_up, (unsigned)l->me->calls_failed, (double)(rg_client_now_us() - t0) / 1e6);
}

/* Sums over the worker's legs: sent, received, and lost as RFC 3550 A.3
 * counts it (expected - received from the first packet that arrived: packets
 * sent while the other leg was still handshaking were never relayable and are
 * not loss). */
struct ld_counts {
  uint64_t sent, received, lost;
  uint64_t overflows; /* datagrams our own sockets dropped: the load generator fell behind */
};

static struct ld_counts sum_rx(struct ld *l)
{
  struct ld_counts n = {0, 0, 0, 0};
  for (uint32_t i = 0; i < l->n; i++)
    for (int k = 0; k < 2; k++) {
      struct rg_client_stats st;
      struct rg_client *c = l->pairs[i].s[k].c;
      rg_client_get_stats(c, &st);
      n.sent += st.packets_sent;
      n.received += st.packets_received;
      n.lost += st.packets_lost > 0 ? (uint64_t)st.packets_lost : 0;
      if (c->udp_fd >= 0)
        n.overflows += rg_udp_receive_drops(c->udp_fd);
    }
  if (l->hub)
    n.overflows += rg_udp_receive_drops(cl_udp_hub_fd(l->hub));
  return n;
}

/* Whole calls, and the packets sent from the window's start (at0) on. */
static void count(struct ld *l, struct ld_counts at0)
{
  struct ld_worker_share *me = l->me;
  struct ld_counts n = sum_rx(l);
  me->sent = n.sent;
  me->received = n.received;
  me->lost = n.lost;
  me->w_received = n.received - at0.received;
  me->w_lost = n.lost > at0.lost ? n.lost - at0.lost : 0;
  me->w_overflows = n.overflows > at0.overflows ? n.overflows - at0.overflows : 0;
}

/* One worker's whole run over its calls; the counts land in its share. */
static int worker_run(struct ld *l)
{
  const struct rg_client_load_config *cfg = l->cfg;
  struct ld_worker_share *me = l->me;
  uint64_t next_scan = 0, t0;
  struct ld_counts at0;
  double self0, self1;
  int rc;
  l->ep = -1;
  l->pairs = calloc(l->n, sizeof *l->pairs);
  l->due = calloc(2 * (size_t)l->n, sizeof *l->due);
  l->ep = epoll_create1(EPOLL_CLOEXEC);
  if (!l->pairs || !l->due || l->ep < 0) {
    snprintf(me->err, sizeof me->err, "out of memory");
    rc = RG_ERR_NOMEM;
    goto done;
  }
  for (size_t i = 0; i < 2 * (size_t)l->n; i++)
    l->due[i] = UINT64_MAX; /* not made yet */
  if (l->sh->udp_shared) {
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
    if ((rc = cl_udp_hub_new(&l->hub, 2 * l->n, me->err, sizeof me->err)) != RG_OK)
      goto done;
    e.data.ptr = l->hub;
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, cl_udp_hub_fd(l->hub), &e) != 0) {
      snprintf(me->err, sizeof me->err, "epoll_ctl: the shared UDP socket");
      rc = RG_ERR_STATE;
      goto done;
    }
  }
  t0 = rg_client_now_us();
  if ((rc = make_clients(l, &next_scan, me->err, sizeof me->err)) != RG_OK)
    goto done;
  if (cfg->verbose)
    fprintf(stderr, "rtcgate-load: worker %u: %u users connected in %.2f s\n", (unsigned)l->wid,
            (unsigned)(2 * l->n), (double)(rg_client_now_us() - t0) / 1e6);
  ld_store(&me->phase, LD_PH_CONNECTED);
  if ((rc = wait_go(l, &next_scan, LD_GO_CALLS)) != RG_OK)
    goto done;
  start_calls(l, &next_scan);
  ld_store(&me->phase, LD_PH_CALLS_DONE);
  if ((rc = wait_go(l, &next_scan, LD_GO_WINDOW)) != RG_OK)
    goto done;
  memset(l->hist, 0, sizeof *l->hist);
  at0 = sum_rx(l);
  self0 = cl_load_proc_cpu_s(getpid());
  if ((rc = wait_go(l, &next_scan, LD_GO_END_WINDOW)) != RG_OK)
    goto done;
  self1 = cl_load_proc_cpu_s(getpid());
  me->window_rx = sum_rx(l).received - at0.received; /* up to the window's end */
  me->cpu_s = self0 >= 0 && self1 >= 0 ? self1 - self0 : -1;
  /* Pause every sender, let the last packets arrive, then count. */
  for (uint32_t i = 0; i < l->n; i++)
    for (int k = 0; k < 2; k++)
      l->pairs[i].s[k].c->call.next_send = UINT64_MAX;
  pump_for(l, &next_scan, LD_DRAIN_US);
  count(l, at0);
  ld_store(&me->phase, LD_PH_REPORTED);
  if ((rc = wait_go(l, &next_scan, LD_GO_HANGUP)) != RG_OK)
    goto done;
  for (uint32_t i = 0; i < l->n; i++) {
    l->pairs[i].ended = true;
    (void)rg_client_hangup(l->pairs[i].s[0].c);
  }
  pump_for(l, &next_scan, LD_HANGUP_US);
done:
  if (rc != RG_OK) {
    if (!me->err[0])
      snprintf(me->err, sizeof me->err, "worker %u: %s", (unsigned)l->wid, rg_strerror(rc));
    ld_store(&me->phase, LD_PH_FAILED);
  }
  if (l->pairs) {
    /* Free sharers first: the first client owns the shared contexts. */
    for (uint32_t i = l->n; i-- > 0;)
      for (int k = 2; k-- > 0;)
        if (l->pairs[i].s[k].c)
          rg_client_free(l->pairs[i].s[k].c);
  }
  if (l->hub) {
    struct cl_udp_hub_stats hs;
    cl_udp_hub_flush(l->hub); /* the last close_notify datagrams */
    cl_udp_hub_get_stats(l->hub, &hs);
    if (cfg->verbose)
      fprintf(stderr, "rtcgate-load: worker %u: shared UDP socket: %llu sent, %llu dropped on send, %llu stray\n",
              (unsigned)l->wid, (unsigned long long)hs.tx_sent, (unsigned long long)hs.tx_dropped,
              (unsigned long long)hs.rx_stray);
    cl_udp_hub_free(l->hub);
  }
  free(l->pairs);
  free(l->due);
  if (l->ep >= 0)
    close(l->ep);
  return rc;
}

int cl_load_worker_run(const struct rg_client_load_config *cfg, struct ld_share *sh, uint32_t wid, uint32_t first,
                       uint32_t n, bool solo)
{
  struct ld l = {.cfg = cfg, .sh = sh, .me = &sh->w[wid], .solo = solo, .wid = wid, .first = first, .n = n,
                 .hist = &sh->hist[wid]};
  return worker_run(&l);
}
