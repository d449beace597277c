/* librtcgate-client: what the load generator's workers and their
 * coordinator share (client_load.c runs a worker's calls, client_load_run.c
 * splits a run over workers and keeps their phases in step). */
#ifndef RTCGATE_CLIENT_LOAD_INTERNAL_H
#define RTCGATE_CLIENT_LOAD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "client/client_internal.h"

#define LD_PROCS_MAX 16
#define LD_ERR_MAX 256

/* Shared state of a run: one mapping, MAP_SHARED across worker processes. */

enum ld_phase { /* a worker's progress, written by the worker only */
  LD_PH_START = 0,
  LD_PH_CONNECTED,  /* every user of the worker ready */
  LD_PH_CALLS_DONE, /* every call of the worker up or failed */
  LD_PH_REPORTED,   /* window closed, counts written */
  LD_PH_FAILED,     /* err says why */
};

enum ld_go { /* the coordinator's word, written by the coordinator only */
  LD_GO_CONNECT = 0,
  LD_GO_CALLS,      /* everyone connected: start calls */
  LD_GO_WINDOW,     /* every call settled: the window is open */
  LD_GO_END_WINDOW, /* the window is closed: pause, drain, count */
  LD_GO_HANGUP,     /* counts are in: hang up and leave */
  LD_GO_ABORT,
};

struct ld_worker_share {
  int phase;
  uint32_t calls_up, calls_failed;
  uint64_t window_rx; /* packets received inside the window */
  uint64_t sent, received, lost; /* whole calls, from each leg's first packet */
  uint64_t w_received, w_lost;   /* packets sent inside the window: received, lost */
  uint64_t w_overflows;          /* of those, dropped by the worker's own full receive buffers */
  double cpu_s; /* the worker's own CPU inside the window */
  char err[LD_ERR_MAX];
};

struct ld_share {
  int go;
  int abort_by; /* the worker whose failure aborted the run, -1 */
  uint32_t n_workers;
  bool udp_shared; /* each worker puts its users' media on one cl_udp_hub */
  char run[7];
  uint64_t t_window0, t_window1;
  double cpu0, cpu1;
  struct ld_worker_share w[LD_PROCS_MAX];
  struct cl_hist hist[LD_PROCS_MAX];
  uint64_t setup_us[]; /* per call (global index), 0 when it never came up */
};

static inline int ld_load(const int *p)
{
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void ld_store(int *p, int v)
{
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Worker i's calls when `calls` are spread over np workers (1 <= np <=
 * calls): [*first, *first + *n), every worker at least one, shares differing
 * by at most one. */
void cl_load_share(uint32_t calls, uint32_t np, uint32_t i, uint32_t *first, uint32_t *n);
/* utime + stime of a process in seconds, or -1. */
double cl_load_proc_cpu_s(int pid);
/* Advances the run when every worker has reached the phase the next step
 * needs; never blocks. Returns false when a worker failed (go is ABORT). */
bool cl_load_coord_step(struct ld_share *sh, const struct rg_client_load_config *cfg);
/* Runs worker wid over calls [first, first + n); solo: the only worker, in
 * the caller's process, coordinating itself. Its counts land in sh->w[wid]. */
int cl_load_worker_run(const struct rg_client_load_config *cfg, struct ld_share *sh, uint32_t wid, uint32_t first,
                       uint32_t n, bool solo);

#endif
