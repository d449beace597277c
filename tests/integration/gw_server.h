/* rtcgate integration tests — start and stop a real `rtcgate serve`.
 *
 * The server runs from RG_BIN_DIR with --listen 127.0.0.1:0 --media-port 0
 * and a fresh state dir from mkdtemp, so tests can run beside a developer's
 * `make run`. The ports are read from the line it prints on stdout; its
 * stderr goes to <state dir>/server.log (printed if a test fails to start
 * it). It is stopped by its PID with SIGTERM (SIGKILL after 5 s), and gets
 * SIGTERM by itself if the test program dies first (PR_SET_PDEATHSIG).
 */
#ifndef RTCGATE_GW_SERVER_H
#define RTCGATE_GW_SERVER_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GWS_APP_KEY "itest-app-key-5d41402abc4b2a76b9719d911017c592"
#define GWS_START_MS 10000
#define GWS_ARGS_MAX 32

struct gw_server {
  pid_t pid;
  uint16_t port, media_port; /* media_port: the first media worker's */
  uint16_t media_ports[16];  /* every media worker's, as the banner lists them ("...:10000,10001") */
  unsigned n_media_ports;
  char dir[256];
  char out[4096]; /* what it printed on stdout before the banner, and the banner */
  int out_fd;
};

static inline uint64_t gws_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void gws_print_log(const struct gw_server *s)
{
  char path[300];
  snprintf(path, sizeof(path), "%s/server.log", s->dir);
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[512];
  fprintf(stderr, "---- %s ----\n", path);
  while (fgets(line, sizeof(line), f))
    fputs(line, stderr);
  fclose(f);
}

/* extra: NULL-terminated extra arguments. app_key NULL: unset RTCGATE_APP_KEY.
 * dir: reuse this state dir (restart), or NULL for a fresh one. */
static inline int gw_server_start_ex(struct gw_server *s, const char *const *extra, const char *app_key,
                                     const char *dir)
{
  memset(s, 0, sizeof(*s));
  s->out_fd = -1;
  if (dir) {
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
  } else {
    snprintf(s->dir, sizeof(s->dir), "/tmp/rtcgate-itest-XXXXXX");
    if (!mkdtemp(s->dir))
      return -1;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0)
    return -1;
  const char *argv[GWS_ARGS_MAX + 12];
  int n = 0;
  argv[n++] = RG_BIN_DIR "/rtcgate";
  argv[n++] = "serve";
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--media-port";
  argv[n++] = "0";
  argv[n++] = "--state-dir";
  argv[n++] = s->dir;
  argv[n++] = "--web-dir";
  argv[n++] = RG_SOURCE_DIR "/web";
  for (int i = 0; extra && extra[i] && i < GWS_ARGS_MAX; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    /* If the test program dies (crash, failed assert in a forked path), the server goes with it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    char log[300];
    snprintf(log, sizeof(log), "%s/server.log", s->dir);
    int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(pipefd[1], 1);
    if (lfd >= 0)
      dup2(lfd, 2);
    if (app_key)
      setenv("RTCGATE_APP_KEY", app_key, 1);
    else
      unsetenv("RTCGATE_APP_KEY");
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(pipefd[1]);
  s->pid = pid;
  s->out_fd = pipefd[0];
  size_t len = 0;
  uint64_t deadline = gws_now_ms() + GWS_START_MS;
  while (gws_now_ms() < deadline && len < sizeof(s->out) - 1) {
    struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0)
      continue;
    ssize_t r = read(s->out_fd, s->out + len, sizeof(s->out) - 1 - len);
    if (r <= 0)
      break;
    len += (size_t)r;
    s->out[len] = '\0';
    const char *b = strstr(s->out, "rtcgate: listening https://127.0.0.1:");
    unsigned port;
    const char *eol = b ? strchr(b, '\n') : NULL;
    const char *media = b ? strstr(b, " media udp ") : NULL;
    if (eol && media && media < eol && sscanf(b, "rtcgate: listening https://127.0.0.1:%u ", &port) == 1) {
      /* "media udp 127.0.0.1:10000", "...:10000,10001" or "media udp [::1]:10000" */
      const char *mp = media;
      for (const char *q = media; q < eol; q++)
        if (*q == ':')
          mp = q + 1;
      s->port = (uint16_t)port;
      while (s->n_media_ports < 16) {
        char *end;
        unsigned long v = strtoul(mp, &end, 10);
        if (end == mp || v == 0 || v > 65535)
          break;
        s->media_ports[s->n_media_ports++] = (uint16_t)v;
        if (*end != ',')
          break;
        mp = end + 1;
      }
      s->media_port = s->media_ports[0];
      return 0;
    }
  }
  fprintf(stderr, "rtcgate server did not start; stdout: %s\n", s->out);
  gws_print_log(s);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  s->pid = 0;
  return -1;
}

static inline int gw_server_start(struct gw_server *s, const char *const *extra)
{
  return gw_server_start_ex(s, extra, GWS_APP_KEY, NULL);
}

/* Reads whatever more the server printed on stdout (non-blocking). */
static inline const char *gw_server_stdout(struct gw_server *s)
{
  size_t len = strlen(s->out);
  for (;;) {
    struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
    if (len >= sizeof(s->out) - 1 || poll(&p, 1, 50) <= 0)
      break;
    ssize_t r = read(s->out_fd, s->out + len, sizeof(s->out) - 1 - len);
    if (r <= 0)
      break;
    len += (size_t)r;
    s->out[len] = '\0';
  }
  return s->out;
}

/* SIGTERM and wait; returns the exit status, or -1 if it had to be killed. */
static inline int gw_server_stop_keep(struct gw_server *s)
{
  if (s->pid <= 0)
    return -1;
  kill(s->pid, SIGTERM);
  int status = 0, result = -1;
  uint64_t deadline = gws_now_ms() + 5000;
  for (;;) {
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid) {
      result = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (gws_now_ms() >= deadline) {
      kill(s->pid, SIGKILL);
      waitpid(s->pid, NULL, 0);
      break;
    }
    usleep(10000);
  }
  s->pid = 0;
  if (s->out_fd >= 0)
    close(s->out_fd);
  s->out_fd = -1;
  if (result != 0)
    gws_print_log(s);
  return result;
}

static inline void gw_server_rmdir(struct gw_server *s)
{
  DIR *d = opendir(s->dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", s->dir, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(s->dir);
}

static inline int gw_server_stop(struct gw_server *s)
{
  int rc = gw_server_stop_keep(s);
  gw_server_rmdir(s);
  return rc;
}

/* The test data SDP file (malloc'ed, NUL-terminated) or NULL. */
static inline char *gws_read_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(65536);
  size_t n = fread(buf, 1, 65535, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

#endif
