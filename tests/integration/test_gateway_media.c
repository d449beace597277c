/* rtcgate integration — the gateway's media workers (src/gateway/gw_media.c)
 * with real brokers on loopback, driven in-process: a new call goes to the
 * running worker holding the fewest calls; a worker whose thread has died is
 * marked stopped the first time it answers RG_ERR_CLOSED and gets no more
 * calls, so one dead worker does not refuse every call; with none running an
 * offer fails at once; /metrics' receive-buffer gauge ignores stopped ones.
 * The death is made real from outside, as in test_broker_relay: the dying
 * worker's epoll descriptor (found as the epoll instance that watches its UDP
 * socket) is replaced by /dev/null, so its next epoll_wait fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/gw_internal.h"
#include "test_broker_client.h"

#define DEATH_WAIT_MS 3000 /* the loop's longest sleep is 1 s */

struct fx {
  struct gw gw;
  struct tc_client caller;
  char *offer_sdp;
};

static int setup(void **state)
{
  static struct fx f;
  memset(&f, 0, sizeof f);
  rg_gw_config_defaults(&f.gw.cfg);
  f.gw.cfg.media_port = 0;
  f.gw.cfg.media_workers = 3;
  pthread_mutex_init(&f.gw.ev_lock, NULL);
  if (gw_media_start(&f.gw) != 0)
    return -1;
  tc_client_init(&f.caller, "alice", "alic", 0x1111u, 0x2222u);
  f.offer_sdp = tc_client_sdp(&f.caller, &f.caller.fp, RG_SDP_SETUP_ACTPASS);
  *state = &f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  gw_media_stop(&f->gw);
  gw_media_free(&f->gw);
  free(f->offer_sdp);
  tc_client_free(&f->caller);
  pthread_mutex_destroy(&f->gw.ev_lock);
  return 0;
}

/* Offers the test SDP as call `id`; returns the result and where it went. */
static int offer(struct fx *f, const char *id, unsigned *worker)
{
  char err[RG_BROKER_ERR_MAX] = "";
  char *out = NULL;
  *worker = 99;
  int rc = gw_media_offer(&f->gw, id, f->offer_sdp, strlen(f->offer_sdp), &out, NULL, err, sizeof err, worker);
  if (rc == RG_OK)
    assert_non_null(out);
  else
    assert_non_null(strstr(err, "stopped"));
  free(out);
  return rc;
}

/* The local UDP port of fd, or 0 when it is not an IPv4 socket. */
static unsigned udp_port(int fd)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) != 0 || a.sin_family != AF_INET)
    return 0;
  return ntohs(a.sin_port);
}

/* The epoll descriptor whose watch list holds the UDP socket bound to port
 * (/proc/self/fdinfo lists each watched descriptor as "tfd: N"); -1 if none. */
static int epoll_fd_watching_port(unsigned port)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int found = -1;
  assert_non_null(d);
  while (found < 0 && (e = readdir(d)) != NULL) {
    char path[300], link[64], line[256];
    ssize_t n;
    FILE *info;
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    n = readlink(path, link, sizeof link - 1);
    if (n <= 0)
      continue;
    link[n] = '\0';
    if (strcmp(link, "anon_inode:[eventpoll]") != 0)
      continue;
    snprintf(path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
    info = fopen(path, "r");
    if (!info)
      continue;
    while (fgets(line, sizeof line, info)) {
      int tfd;
      if (sscanf(line, "tfd: %d", &tfd) == 1 && udp_port(tfd) == port) {
        found = atoi(e->d_name);
        break;
      }
    }
    fclose(info);
  }
  closedir(d);
  return found;
}

/* Ends worker w's thread and waits until its broker says so. */
static void kill_worker(struct fx *f, unsigned w)
{
  struct rg_broker_leg_stats st[2];
  int epfd = epoll_fd_watching_port(f->gw.media_ports[w]);
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(epfd >= 0 && devnull >= 0);
  assert_int_equal(dup2(devnull, epfd), epfd);
  close(devnull);
  /* A message wakes the worker out of the wait that still holds the old
   * instance; its next wait fails. */
  uint64_t t0 = rg_io_now_us();
  int rc = RG_OK;
  while ((rg_io_now_us() - t0) / 1000u < DEATH_WAIT_MS) {
    rc = rg_broker_call_stats(f->gw.broker[w], "no-such-call", st);
    if (rc == RG_ERR_CLOSED)
      break;
    usleep(10000);
  }
  assert_int_equal(rc, RG_ERR_CLOSED);
}

static void a_call_goes_to_the_running_worker_with_the_fewest_calls_and_stopped_ones_are_skipped(void **state)
{
  struct fx *f = *state;
  struct gw *gw = &f->gw;
  unsigned w;
  assert_int_equal(gw->n_brokers, 3);
  for (unsigned i = 0; i < 3; i++)
    assert_true(gw->media_ports[i] != 0);
  /* The fewest; a tie goes to the lowest index. */
  assert_int_equal(offer(f, "call-0001", &w), RG_OK);
  assert_int_equal(w, 0);
  gw->worker_calls[0] = 2;
  gw->worker_calls[1] = 0;
  gw->worker_calls[2] = 1;
  assert_int_equal(offer(f, "call-0002", &w), RG_OK);
  assert_int_equal(w, 1);

  /* Worker 1, the one with the fewest calls, dies: the offer finds it
   * stopped, marks it, and goes to worker 2 (1 call) instead. */
  kill_worker(f, 1);
  assert_false(gw->worker_stopped[1]);
  assert_int_equal(offer(f, "call-0003", &w), RG_OK);
  assert_int_equal(w, 2);
  assert_true(gw->worker_stopped[1]);
  assert_int_equal(gw->n_workers_stopped, 1);
  gw->worker_calls[2] = 5;
  assert_int_equal(offer(f, "call-0004", &w), RG_OK);
  assert_int_equal(w, 0); /* 2 calls: the running one with the fewest, never the stopped one with 0 */

  /* The receive-buffer gauge is the smallest running worker's, not the stopped one's 0. */
  struct rg_broker_metrics m;
  gw_media_metrics(gw, &m);
  assert_true(m.receive_buffer_bytes > 0);
  assert_int_equal(m.calls_active, 3); /* call-0002 died with worker 1 */

  /* With no worker running, an offer fails at once. */
  kill_worker(f, 0);
  kill_worker(f, 2);
  uint64_t t0 = rg_io_now_us();
  assert_int_equal(offer(f, "call-0005", &w), RG_ERR_CLOSED);
  assert_true((rg_io_now_us() - t0) / 1000u < 100);
  assert_int_equal(gw->n_workers_stopped, 3);
  assert_int_equal(gw_media_pick(gw), gw->n_brokers);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_call_goes_to_the_running_worker_with_the_fewest_calls_and_stopped_ones_are_skipped),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
