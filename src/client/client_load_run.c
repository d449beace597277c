/* librtcgate-client: rg_client_load_run — splits a load run over worker
 * processes when the descriptor limit asks for it, keeps their phases in
 * step, times the measuring window and the broker's CPU, and merges what
 * the workers counted (client_load.c runs each worker's calls). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/client_load_internal.h"
#include "rtcgate/error.h"

#define LD_FDS_PER_CALL 4 /* two users, each a WSS and a UDP socket */
#define LD_FDS_PER_CALL_HUB 2 /* two users' WSS; their UDP shares one socket */
#define LD_FDS_SPARE 64   /* epoll, stdio, minting sockets, /proc */
#define LD_COORD_SLEEP_US 1000 /* the parent's polling period: window edges within ~1 ms */

/* utime + stime of a process in seconds, or -1. */
double cl_load_proc_cpu_s(int pid)
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

void cl_load_share(uint32_t calls, uint32_t np, uint32_t i, uint32_t *first, uint32_t *n)
{
  uint64_t a = (uint64_t)i * calls / np, b = (uint64_t)(i + 1) * calls / np;
  *first = (uint32_t)a;
  *n = (uint32_t)(b - a);
}

static bool all_at(const struct ld_share *sh, int phase, int *failed)
{
  bool all = true;
  *failed = -1;
  for (uint32_t i = 0; i < sh->n_workers; i++) {
    int p = ld_load(&sh->w[i].phase);
    if (p == LD_PH_FAILED && *failed < 0)
      *failed = (int)i;
    if (p < phase || p == LD_PH_FAILED)
      all = false;
  }
  return all;
}

bool cl_load_coord_step(struct ld_share *sh, const struct rg_client_load_config *cfg)
{
  int failed, go = ld_load(&sh->go);
  uint64_t now = rg_client_now_us();
  uint64_t window_us = (uint64_t)((cfg->duration_s > 0 ? cfg->duration_s : 10.0) * 1e6);
  bool all;
  if (go == LD_GO_ABORT)
    return false;
  switch (go) {
  case LD_GO_CONNECT:
    all = all_at(sh, LD_PH_CONNECTED, &failed);
    break;
  case LD_GO_CALLS:
    all = all_at(sh, LD_PH_CALLS_DONE, &failed);
    break;
  case LD_GO_END_WINDOW:
    all = all_at(sh, LD_PH_REPORTED, &failed);
    break;
  default:
    all = false;
    (void)all_at(sh, LD_PH_START, &failed);
    break;
  }
  if (failed >= 0) {
    sh->abort_by = failed;
    ld_store(&sh->go, LD_GO_ABORT);
    return false;
  }
  if (go == LD_GO_WINDOW && now >= sh->t_window0 + window_us) {
    sh->cpu1 = cfg->broker_pid > 0 ? cl_load_proc_cpu_s(cfg->broker_pid) : -1;
    sh->t_window1 = rg_client_now_us();
    ld_store(&sh->go, LD_GO_END_WINDOW);
  } else if (all && go == LD_GO_CALLS) {
    /* Steady state from here; one-way delay is measured in the window only,
     * not while DTLS handshakes of later calls still share the loop. */
    sh->t_window0 = rg_client_now_us();
    sh->cpu0 = cfg->broker_pid > 0 ? cl_load_proc_cpu_s(cfg->broker_pid) : -1;
    ld_store(&sh->go, LD_GO_WINDOW);
  } else if (all) {
    ld_store(&sh->go, go + 1);
  }
  return true;
}

/* ---- the run --------------------------------------------------------------- */

/* Raises the soft descriptor limit to what the run needs (the hard limit
 * too, which works with CAP_SYS_RESOURCE up to fs.nr_open); returns how many
 * calls one process can then carry. */
static uint32_t calls_per_process(uint32_t calls, rlim_t per_call)
{
  struct rlimit rl;
  rlim_t need = (rlim_t)calls * per_call + LD_FDS_SPARE;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return calls; /* unknown: let the run find out */
  if (rl.rlim_cur < need && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
    struct rlimit up = {need, need};
    if (setrlimit(RLIMIT_NOFILE, &up) == 0)
      return calls;
  }
  if (rl.rlim_cur < need) {
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
    return calls;
  return rl.rlim_cur > LD_FDS_SPARE + per_call ? (uint32_t)((rl.rlim_cur - LD_FDS_SPARE) / per_call) : 1;
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void merge(const struct ld_share *sh, uint32_t calls, bool verbose, struct rg_client_load_report *out)
{
  struct cl_hist *h = calloc(1, sizeof *h);
  uint64_t *setup = calloc(calls, sizeof *setup);
  size_t ns = 0;
  double self = 0;
  for (uint32_t i = 0; i < sh->n_workers; i++) {
    const struct ld_worker_share *w = &sh->w[i];
    out->calls_up += w->calls_up;
    out->calls_failed += w->calls_failed;
    out->packets_sent += w->sent;
    out->packets_received += w->received;
    out->packets_lost += w->lost;
    out->window_received += w->w_received;
    out->window_lost += w->w_lost;
    out->window_load_overflows += w->w_overflows;
    out->window_packets += w->window_rx;
    self += w->cpu_s > 0 ? w->cpu_s : 0;
    if (h) {
      h->n += sh->hist[i].n;
      for (size_t b = 0; b < CL_HIST_BUCKETS; b++)
        h->b[b] += sh->hist[i].b[b];
    }
  }
  out->loss_pct = out->packets_received + out->packets_lost
                      ? 100.0 * (double)out->packets_lost / (double)(out->packets_received + out->packets_lost)
                      : 0;
  out->window_loss_pct = out->window_received + out->window_lost
                             ? 100.0 * (double)out->window_lost / (double)(out->window_received + out->window_lost)
                             : 0;
  for (uint32_t i = 0; setup && i < calls; i++)
    if (sh->setup_us[i])
      setup[ns++] = sh->setup_us[i];
  if (ns) {
    qsort(setup, ns, sizeof *setup, cmp_u64);
    out->setup_p50_ms = (double)setup[(size_t)(0.50 * (double)(ns - 1))] / 1000.0;
    out->setup_p99_ms = (double)setup[(size_t)(0.99 * (double)(ns - 1))] / 1000.0;
  }
  if (h) {
    out->delay_p50_ms = cl_hist_quantile_ms(h, 0.50);
    out->delay_p99_ms = cl_hist_quantile_ms(h, 0.99);
  }
  out->measure_s = (double)(sh->t_window1 - sh->t_window0) / 1e6;
  if (sh->cpu0 >= 0 && sh->cpu1 >= 0) {
    out->broker_cpu_s = sh->cpu1 - sh->cpu0;
    out->broker_cpu_s_per_1k = out->window_packets ? out->broker_cpu_s / ((double)out->window_packets / 1000.0) : -1;
  }
  out->load_cpu_s = self;
  out->udp_shared = sh->udp_shared;
  if (verbose)
    fprintf(stderr, "rtcgate-load: load generator CPU %.2f s over the %.1f s window (%.0f %% of one core)\n", self,
            out->measure_s, out->measure_s > 0 ? 100.0 * self / out->measure_s : 0);
  free(setup);
  free(h);
}

/* Parent of several workers: coordinates until all have exited. Bounded by
 * the workers' own bounds; a worker that dies aborts the run. */
static int coordinate(struct ld_share *sh, const struct rg_client_load_config *cfg, const pid_t *pids, uint32_t np)
{
  uint32_t alive = np;
  bool exited[LD_PROCS_MAX] = {false};
  int rc = RG_OK;
  while (alive) {
    if (!cl_load_coord_step(sh, cfg))
      rc = RG_ERR_CLOSED;
    for (uint32_t i = 0; i < np; i++) {
      int status;
      if (exited[i] || waitpid(pids[i], &status, WNOHANG) != pids[i])
        continue;
      exited[i] = true;
      alive--;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (ld_load(&sh->w[i].phase) != LD_PH_FAILED) {
          snprintf(sh->w[i].err, sizeof sh->w[i].err, "worker %u died (status %d)", (unsigned)i, status);
          ld_store(&sh->w[i].phase, LD_PH_FAILED);
        }
        if (ld_load(&sh->go) != LD_GO_ABORT)
          sh->abort_by = (int)i;
        ld_store(&sh->go, LD_GO_ABORT);
        rc = RG_ERR_CLOSED;
      }
    }
    usleep(LD_COORD_SLEEP_US);
  }
  return rc;
}

int rg_client_load_run(const struct rg_client_load_config *cfg, struct rg_client_load_report *out, char *err,
                       size_t err_cap)
{
  struct rg_client_load_report r;
  struct ld_share *sh;
  size_t sh_size;
  uint32_t per, np;
  pid_t pids[LD_PROCS_MAX];
  bool shared = false;
  int rc = RG_OK;
  if (err && err_cap)
    err[0] = '\0';
  if (!cfg || !out || !cfg->server || !cfg->app_key || cfg->calls == 0 || cfg->calls > 100000) {
    snprintf(err, err_cap, "need a server, an app key and 1..100000 calls");
    return RG_ERR_INVAL;
  }
  /* The shared socket where the system allows it (the probe costs one
   * socket), else a socket per user. */
  if (cfg->udp != RG_CLIENT_LOAD_UDP_PER_USER) {
    struct cl_udp_hub *probe = NULL;
    char why[128] = "";
    if (cl_udp_hub_new(&probe, 1, why, sizeof why) == RG_OK) {
      shared = cfg->udp == RG_CLIENT_LOAD_UDP_SHARED || cl_udp_hub_roomy(probe);
      if (!shared && cfg->verbose)
        fprintf(stderr, "rtcgate-load: a UDP socket per user (net.core.rmem_max caps a shared socket's buffer)\n");
      cl_udp_hub_free(probe);
    } else if (cfg->udp == RG_CLIENT_LOAD_UDP_SHARED) {
      snprintf(err, err_cap, "no shared UDP socket: %s", why);
      return RG_ERR_STATE;
    } else if (cfg->verbose) {
      fprintf(stderr, "rtcgate-load: a UDP socket per user (no shared socket: %s)\n", why);
    }
  }
  if (cfg->verbose)
    fprintf(stderr, "rtcgate-load: media on %s\n",
            shared ? "one shared UDP socket per worker process (users on 127.64.0.0/10)" : "a UDP socket per user");
  per = calls_per_process(cfg->calls, shared ? LD_FDS_PER_CALL_HUB : LD_FDS_PER_CALL);
  np = (cfg->calls + per - 1) / per;
  if (cfg->procs > np) /* asked for more: one event loop per core, say */
    np = cfg->procs < cfg->calls ? cfg->procs : cfg->calls;
  if (np > LD_PROCS_MAX) {
    snprintf(err, err_cap, "%u calls need %u processes at the descriptor limit (max %u): raise ulimit -n",
             (unsigned)cfg->calls, (unsigned)np, (unsigned)LD_PROCS_MAX);
    return RG_ERR_TOO_LARGE;
  }
  sh_size = sizeof *sh + (size_t)cfg->calls * sizeof sh->setup_us[0];
  sh = mmap(NULL, sh_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) {
    snprintf(err, err_cap, "out of memory");
    return RG_ERR_NOMEM;
  }
  sh->n_workers = np;
  sh->udp_shared = shared;
  sh->abort_by = -1;
  sh->cpu0 = sh->cpu1 = -1;
  cl_rand_text(sh->run, 6);
  if (np == 1) {
    rc = cl_load_worker_run(cfg, sh, 0, 0, cfg->calls, true);
  } else {
    uint32_t forked = 0;
    if (cfg->verbose)
      fprintf(stderr, "rtcgate-load: %u calls over %u worker processes (%s)\n", (unsigned)cfg->calls, (unsigned)np,
              cfg->procs >= np ? "--procs" : "descriptor limit");
    fflush(stdout);
    fflush(stderr);
    for (uint32_t i = 0; i < np; i++) {
      uint32_t first, n;
      cl_load_share(cfg->calls, np, i, &first, &n); /* no larger than per: np >= calls / per */
      pid_t pid = fork();
      if (pid == 0) {
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the run */
        _exit(cl_load_worker_run(cfg, sh, i, first, n, false) == RG_OK ? 0 : 1);
      }
      if (pid < 0) {
        snprintf(sh->w[i].err, sizeof sh->w[i].err, "fork: %s", strerror(errno));
        ld_store(&sh->w[i].phase, LD_PH_FAILED);
        ld_store(&sh->go, LD_GO_ABORT);
        break;
      }
      pids[forked++] = pid;
    }
    rc = coordinate(sh, cfg, pids, forked);
    if (forked < np)
      rc = RG_ERR_NOMEM;
  }
  if (rc == RG_OK) {
    memset(&r, 0, sizeof r);
    r.broker_cpu_s = r.broker_cpu_s_per_1k = -1;
    merge(sh, cfg->calls, cfg->verbose, &r);
    *out = r;
  } else {
    if (sh->abort_by >= 0 && sh->w[sh->abort_by].err[0])
      snprintf(err, err_cap, "%s", sh->w[sh->abort_by].err);
    for (uint32_t i = 0; !err[0] && i < np; i++)
      if (sh->w[i].err[0]) {
        snprintf(err, err_cap, "%s", sh->w[i].err);
        break;
      }
    if (!err[0])
      snprintf(err, err_cap, "%s", rg_strerror(rc));
  }
  munmap(sh, sh_size);
  return rc;
}
