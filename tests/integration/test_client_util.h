/* Test helper for the librtcgate-client integration tests: a real
 * `rtcgate serve` (gw_server.h), tokens minted through the SDK, and clients
 * driven on the test's thread (event-loop mode) or their own (thread mode),
 * with their events logged. Header-only so each test program stays one file.
 */
#ifndef RTCGATE_TEST_CLIENT_UTIL_H
#define RTCGATE_TEST_CLIENT_UTIL_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_server.h"
#include "rtcgate/client.h"
#include "rtcgate/error.h"

#define TCU_MAX_EVENTS 64
#define TCU_WAIT_MS 8000

struct tcu_ev {
  int type;
  char call_id[RG_CLIENT_ID_MAX];
  char reason[RG_CLIENT_TEXT_MAX];
  char message[256];
  char dtls_version[16];
  bool local;
};

/* One client and the log of its events (a mutex: thread-mode clients log
 * from their own thread). */
struct tcu_client {
  struct rg_client *c;
  pthread_mutex_t mu;
  struct tcu_ev ev[TCU_MAX_EVENTS];
  size_t n_ev;
  uint64_t audio_frames;
  bool threaded;
};

static inline void tcu_on_event(void *user, const struct rg_client_event *e)
{
  struct tcu_client *t = user;
  pthread_mutex_lock(&t->mu);
  if (e->type == RG_CLIENT_EV_AUDIO) {
    t->audio_frames++;
  } else if (t->n_ev < TCU_MAX_EVENTS) {
    struct tcu_ev *x = &t->ev[t->n_ev++];
    memset(x, 0, sizeof *x);
    x->type = e->type;
    snprintf(x->call_id, sizeof x->call_id, "%s", e->call_id ? e->call_id : "");
    snprintf(x->reason, sizeof x->reason, "%s", e->reason ? e->reason : "");
    snprintf(x->message, sizeof x->message, "%s", e->message ? e->message : "");
    snprintf(x->dtls_version, sizeof x->dtls_version, "%s", e->dtls_version ? e->dtls_version : "");
    x->local = e->local;
  }
  pthread_mutex_unlock(&t->mu);
}

/* The first logged event of type (copied to out), false when none. */
static inline bool tcu_saw(struct tcu_client *t, int type, struct tcu_ev *out)
{
  bool found = false;
  pthread_mutex_lock(&t->mu);
  for (size_t i = 0; i < t->n_ev && !found; i++)
    if (t->ev[i].type == type) {
      found = true;
      if (out)
        *out = t->ev[i];
    }
  pthread_mutex_unlock(&t->mu);
  return found;
}

static inline void tcu_server_url(const struct gw_server *s, char *url, size_t cap)
{
  snprintf(url, cap, "wss://127.0.0.1:%u", (unsigned)s->port);
}

static inline void tcu_ca_file(const struct gw_server *s, char *path, size_t cap)
{
  snprintf(path, cap, "%s/cert.pem", s->dir);
}

/* SHA-256 of the server's certificate, as rtcgate-call --pin takes it. */
static inline void tcu_server_pin(const struct gw_server *s, char *hex, size_t cap)
{
  char path[300];
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  FILE *f;
  X509 *x;
  tcu_ca_file(s, path, sizeof path);
  f = fopen(path, "r");
  assert_non_null(f);
  x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  assert_non_null(x);
  assert_int_equal(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
  X509_free(x);
  assert_true(cap >= mdlen * 3);
  for (unsigned i = 0; i < mdlen; i++)
    snprintf(hex + i * 3, cap - i * 3, i + 1 < mdlen ? "%02X:" : "%02X", md[i]);
}

static inline void tcu_mint(const struct gw_server *s, const char *user, char *token, size_t cap)
{
  char url[64], ca[300], err[256] = "";
  struct rg_client_tls tls = {.verify = RG_CLIENT_VERIFY_CA_FILE, .ca_file = ca};
  tcu_server_url(s, url, sizeof url);
  tcu_ca_file(s, ca, sizeof ca);
  if (rg_client_mint_token(url, &tls, GWS_APP_KEY, user, 600, token, cap, err, sizeof err) != RG_OK)
    fail_msg("cannot mint a token for %s: %s", user, err);
}

/* A config trusting the test server through its certificate as CA file. */
static inline void tcu_config(struct rg_client_config *cfg, struct tcu_client *t, const char *url, const char *token,
                              const char *ca)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->server = url;
  cfg->token = token;
  cfg->tls.verify = RG_CLIENT_VERIFY_CA_FILE;
  cfg->tls.ca_file = ca;
  cfg->on_event = tcu_on_event;
  cfg->user = t;
}

static inline void tcu_start(struct tcu_client *t, const struct rg_client_config *cfg, bool threaded)
{
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->mu, NULL);
  assert_int_equal(rg_client_new(&t->c, cfg), RG_OK);
  t->threaded = threaded;
  if (threaded)
    assert_int_equal(rg_client_start_thread(t->c), RG_OK);
}

static inline void tcu_stop(struct tcu_client *t)
{
  if (!t->c)
    return;
  rg_client_free(t->c); /* stops the thread first */
  t->c = NULL;
  pthread_mutex_destroy(&t->mu);
}

/* Drives the loop-mode clients until done(arg) or max_ms; thread-mode ones
 * run by themselves. */
static inline bool tcu_pump(struct tcu_client **cs, size_t n, unsigned max_ms, bool (*done)(void *), void *arg)
{
  uint64_t end = rg_client_now_us() + (uint64_t)max_ms * 1000u;
  struct pollfd pfd[4];
  assert_true(n <= 4);
  for (;;) {
    uint64_t now = rg_client_now_us(), next = end;
    size_t np = 0;
    if (done && done(arg))
      return true;
    if (now >= end)
      return false;
    for (size_t i = 0; i < n; i++) {
      if (cs[i]->threaded || !cs[i]->c)
        continue;
      if (rg_client_next_timeout(cs[i]->c) < next)
        next = rg_client_next_timeout(cs[i]->c);
      pfd[np++] = (struct pollfd){.fd = rg_client_fd(cs[i]->c), .events = POLLIN};
    }
    int wait = next > now ? (int)((next - now + 999) / 1000) : 0;
    if (wait > 10)
      wait = 10; /* re-check done() and thread-mode clients often */
    (void)poll(pfd, np, wait);
    for (size_t i = 0; i < n; i++)
      if (!cs[i]->threaded && cs[i]->c)
        (void)rg_client_process(cs[i]->c, rg_client_now_us());
  }
}

struct tcu_wait {
  struct tcu_client *t;
  int type;
};

static inline bool tcu_done_saw(void *arg)
{
  struct tcu_wait *w = arg;
  return tcu_saw(w->t, w->type, NULL);
}

/* Pumps until client t logged an event of type. */
static inline bool tcu_wait_for(struct tcu_client **cs, size_t n, struct tcu_client *t, int type, unsigned max_ms)
{
  struct tcu_wait w = {t, type};
  return tcu_pump(cs, n, max_ms, tcu_done_saw, &w);
}

#endif
