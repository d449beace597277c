/* The broker's life cycle, its worker thread and the control messages of
 * broker.h. Control calls run on the gateway's thread: each posts one message
 * to the worker (a slot guarded by a mutex, a condition variable for the
 * reply, an eventfd to wake the worker's epoll) and waits for the answer.
 * The worker does the work, so calls, legs and counters are only ever
 * touched by one thread and the media path needs no lock.
 * If the worker's loop fails (epoll itself), the worker sets `stop` under
 * the slot's mutex before it exits: every control call from then on fails
 * at once with RG_ERR_CLOSED instead of waiting for a reply that cannot
 * come. (`stop` is otherwise the worker's own; posters read it only under
 * the mutex, and the one other write, a STOP message, happens while its
 * poster holds call_mu, so no poster reads it concurrently.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "broker/broker_internal.h"
#include "io/io_clock.h"
#include "rtcgate/cert.h"
#include "rtcgate/error.h"

#define CERT_CN "rtcgate"
#define SETUP_TIMEOUT_MS_DEFAULT 10000u

static uint32_t pow2_at_least(uint64_t n)
{
  uint32_t p = 16;
  while (p < n && p < (1u << 30))
    p <<= 1;
  return p;
}

static bool call_id_ok(const char *id)
{
  size_t n = 0;
  if (!id)
    return false;
  for (; id[n]; n++) {
    char c = id[n];
    if (n >= RG_CALL_ID_MAX ||
        !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return n > 0;
}

static void set_err(char *err, size_t cap, const char *text)
{
  if (err && cap)
    snprintf(err, cap, "%s", text);
}

int rg_broker_new(struct rg_broker **out, const struct rg_broker_config *cfg, rg_broker_event_fn fn, void *arg)
{
  struct rg_broker *b;
  struct rg_cert *cert = NULL;
  int rc;
  uint32_t legs;
  if (!out || !cfg || !cfg->media_ip || strlen(cfg->media_ip) >= sizeof b->media_ip)
    return RG_ERR_INVAL;
  if (cfg->consent_timeout_ms && ((uint64_t)cfg->consent_timeout_ms * 1000u < RG_ICE_CONSENT_TIMEOUT_MIN_US ||
                                  (uint64_t)cfg->consent_timeout_ms * 1000u > RG_ICE_CONSENT_TIMEOUT_MAX_US))
    return RG_ERR_INVAL;
  b = calloc(1, sizeof *b);
  if (!b)
    return RG_ERR_NOMEM;
  b->fd = b->wakefd = -1;
  b->cfg = *cfg;
  snprintf(b->media_ip, sizeof b->media_ip, "%s", cfg->media_ip);
  b->cfg.media_ip = b->media_ip;
  if (!b->cfg.setup_timeout_ms)
    b->cfg.setup_timeout_ms = SETUP_TIMEOUT_MS_DEFAULT;
  if (!b->cfg.consent_timeout_ms)
    b->cfg.consent_timeout_ms = (uint32_t)(RG_ICE_CONSENT_TIMEOUT_US / 1000u);
  b->max_calls = cfg->max_calls ? cfg->max_calls : RG_BROKER_MAX_CALLS_DEFAULT;
  if (b->max_calls > RG_BROKER_MAX_CALLS_LIMIT)
    b->max_calls = RG_BROKER_MAX_CALLS_LIMIT;
  b->fn = fn;
  b->fn_arg = arg;
  rc = rg_addr_parse_ip(&b->bound, b->media_ip, strlen(b->media_ip), cfg->media_port);
  if (rc < 0)
    goto fail;
  rc = RG_ERR_CRYPTO;
  if (RAND_bytes((unsigned char *)&b->hash_seed, sizeof b->hash_seed) != 1)
    goto fail;
  if ((rc = rg_cert_generate(&cert, RG_CERT_ECDSA_P256, CERT_CN, strlen(CERT_CN), cfg->now_unix, 0)) < 0 ||
      (rc = rg_dtls_ctx_new(&b->dtls_ctx, cert)) < 0 || (rc = rg_cert_fingerprint(cert, RG_HASH_SHA256, &b->fp)) < 0)
    goto fail;
  rg_cert_free(cert); /* the DTLS context holds its own references */
  cert = NULL;
  if ((rc = rg_fingerprint_format(&b->fp, b->fp_text, sizeof b->fp_text)) < 0)
    goto fail;
  legs = 2 * b->max_calls;
  rc = RG_ERR_NOMEM;
  b->ufrag_mask = pow2_at_least(2ull * legs) - 1;
  b->addr_mask = pow2_at_least(2ull * legs * RG_BROKER_LEG_ADDRS) - 1;
  b->ufrag_buckets = calloc((size_t)b->ufrag_mask + 1, sizeof *b->ufrag_buckets);
  b->addr_buckets = calloc((size_t)b->addr_mask + 1, sizeof *b->addr_buckets);
  b->rx = malloc(sizeof *b->rx);
  b->defer = calloc(1, sizeof *b->defer);
  if (!b->ufrag_buckets || !b->addr_buckets || !b->rx || !b->defer)
    goto fail;
  b->sock_drained = true;
  rg_udp_rx_batch_init(b->rx);
  rg_udp_tx_batch_init(&b->tx);
  if ((rc = rg_loop_new(&b->loop, legs * RG_BROKER_TIMERS_PER_LEG + 8)) < 0)
    goto fail;
  pthread_mutex_init(&b->mu, NULL);
  pthread_mutex_init(&b->call_mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  *out = b;
  return RG_OK;
fail:
  rg_cert_free(cert);
  rg_dtls_ctx_free(b->dtls_ctx);
  free(b->ufrag_buckets);
  free(b->addr_buckets);
  free(b->rx);
  free(b->defer);
  free(b);
  return rc;
}

/* ---- the work each message asks for (worker thread, or the caller's when not started) ---- */

static int do_offer(struct rg_broker *b, struct rg_broker_msg *m)
{
  struct rg_sdp *s = NULL;
  struct rg_broker_remote r;
  struct rg_broker_call *c = NULL;
  uint64_t now = rg_loop_update_now(b->loop);
  int rc;
  if (!call_id_ok(m->call_id)) {
    set_err(m->err, m->err_cap, "bad call_id");
    return RG_ERR_INVAL;
  }
  if (rg_broker_call_find_(b, m->call_id)) {
    set_err(m->err, m->err_cap, "call_id in use");
    return RG_ERR_STATE;
  }
  if (b->n_calls >= b->max_calls) {
    set_err(m->err, m->err_cap, "too many calls");
    return RG_ERR_TOO_LARGE;
  }
  if ((rc = rg_broker_sdp_read_(m->sdp, m->len, false, &s, &r, m->err, m->err_cap)) < 0)
    return rc;
  if ((rc = rg_broker_call_create_(b, m->call_id, &c)) < 0)
    goto fail;
  c->n_media = r.n_media;
  /* The caller's leg: the broker answers it with setup:active, so it is the DTLS client. */
  if ((rc = rg_broker_leg_start_(b, &c->legs[RG_LEG_CALLER], &r, RG_DTLS_CLIENT, now)) < 0)
    goto fail;
  if ((rc = rg_broker_sdp_rewrite_(b, s, &c->legs[RG_LEG_CALLEE], RG_SDP_SETUP_ACTPASS, m->out_sdp)) < 0)
    goto fail;
  /* No setup timer yet for either leg: the callee's has no transport until
   * its answer, and ringing may outlast the setup timeout by far (the
   * gateway's ring timeout decides how long a call may ring). */
  if (m->media_kinds)
    *m->media_kinds = r.kinds;
  rg_sdp_free(s);
  fprintf(stderr, "rtcgate: broker: call %s created (audio %s, video %s)\n", c->id, (r.kinds & 1) ? "yes" : "no",
          (r.kinds & 2) ? "yes" : "no");
  return RG_OK;
fail:
  if (c)
    rg_broker_call_end_(b, c, now);
  rg_sdp_free(s);
  set_err(m->err, m->err_cap, "could not create the call");
  return rc;
}

static int do_answer(struct rg_broker *b, struct rg_broker_msg *m)
{
  struct rg_sdp *s = NULL;
  struct rg_broker_remote r;
  struct rg_broker_call *c;
  struct rg_broker_leg *callee;
  uint64_t now = rg_loop_update_now(b->loop);
  char *text = NULL;
  int rc;
  if (!m->call_id || !(c = rg_broker_call_find_(b, m->call_id))) {
    set_err(m->err, m->err_cap, "no such call");
    return RG_ERR_NOT_FOUND;
  }
  callee = &c->legs[RG_LEG_CALLEE];
  if (callee->t) {
    set_err(m->err, m->err_cap, "call already answered");
    return RG_ERR_STATE;
  }
  if ((rc = rg_broker_sdp_read_(m->sdp, m->len, true, &s, &r, m->err, m->err_cap)) < 0)
    return rc;
  if (r.n_media != c->n_media) {
    set_err(m->err, m->err_cap, "answer does not have the offer's m-sections");
    rc = RG_ERR_MALFORMED;
    goto out;
  }
  /* The callee's answer picks the roles: active -> it is the DTLS client. */
  rc = rg_broker_sdp_rewrite_(b, s, &c->legs[RG_LEG_CALLER], RG_SDP_SETUP_ACTIVE, &text);
  if (rc == 0)
    rc = rg_broker_leg_start_(b, callee, &r, r.setup == RG_SDP_SETUP_ACTIVE ? RG_DTLS_SERVER : RG_DTLS_CLIENT, now);
  if (rc < 0) {
    free(text);
    set_err(m->err, m->err_cap, "could not build the answer");
    goto out;
  }
  /* Both transports exist from here on and both clients have what they
   * need (the callee our offer, the caller our answer): both timers start. */
  rg_broker_arm_setup_(b, &c->legs[RG_LEG_CALLER], now);
  rg_broker_arm_setup_(b, callee, now);
  *m->out_sdp = text;
  if (m->media_kinds)
    *m->media_kinds = r.kinds;
out:
  rg_sdp_free(s);
  return rc;
}

static void handle_msg(struct rg_broker *b, struct rg_broker_msg *m)
{
  struct rg_broker_call *c;
  switch (m->type) {
  case RG_BROKER_MSG_OFFER:
    m->result = do_offer(b, m);
    break;
  case RG_BROKER_MSG_ANSWER:
    m->result = do_answer(b, m);
    break;
  case RG_BROKER_MSG_HANGUP:
    c = m->call_id ? rg_broker_call_find_(b, m->call_id) : NULL;
    m->result = c ? RG_OK : RG_ERR_NOT_FOUND;
    if (c) {
      fprintf(stderr, "rtcgate: broker: call %s ended\n", c->id);
      rg_broker_call_end_(b, c, rg_loop_update_now(b->loop));
    }
    break;
  case RG_BROKER_MSG_STATS:
    c = m->call_id ? rg_broker_call_find_(b, m->call_id) : NULL;
    m->result = c ? RG_OK : RG_ERR_NOT_FOUND;
    if (c)
      for (int i = 0; i < 2; i++)
        rg_broker_fill_leg_stats_(&c->legs[i], &m->legs[i]);
    break;
  case RG_BROKER_MSG_METRICS:
    rg_broker_fill_metrics_(b, m->metrics);
    m->result = RG_OK;
    break;
  case RG_BROKER_MSG_STOP:
    while (b->calls)
      rg_broker_call_end_(b, b->calls, rg_loop_update_now(b->loop));
    b->stop = true;
    m->result = RG_OK;
    break;
  default:
    m->result = RG_ERR_INVAL;
    break;
  }
}

static void on_wake(void *arg, uint32_t events)
{
  struct rg_broker *b = arg;
  struct rg_broker_msg *m;
  uint64_t v;
  if (read(b->wakefd, &v, sizeof v) < 0 && errno != EAGAIN)
    return;
  pthread_mutex_lock(&b->mu);
  m = b->pending;
  pthread_mutex_unlock(&b->mu);
  if (!m || m->done)
    return;
  handle_msg(b, m);
  pthread_mutex_lock(&b->mu);
  m->done = true;
  b->pending = NULL;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

static void *worker(void *arg)
{
  struct rg_broker *b = arg;
  int failed_errno = 0;
  while (!b->stop) {
    uint64_t turns = b->sock_turns;
    /* Queued DTLS (broker_defer.c): look at the socket without sleeping. */
    if (rg_loop_run_once(b->loop, rg_broker_defer_pending_(b) ? 0 : RG_LOOP_MAX_WAIT_MS) < 0) {
      failed_errno = errno ? errno : EIO; /* epoll itself failed: nothing sensible is left to do */
      break;
    }
    /* Level-triggered: had a datagram been waiting, the socket callback would
     * have run. (A last batch of exactly RG_UDP_BATCH left the flag false.) */
    if (b->sock_turns == turns)
      b->sock_drained = true;
    rg_broker_run_deferred_(b);
  }
  /* From here no message is taken: fail the one waiting (if any) and every
   * later one at once, so the gateway's thread never waits for a dead worker. */
  pthread_mutex_lock(&b->mu);
  b->stop = true;
  if (b->pending && !b->pending->done) {
    set_err(b->pending->err, b->pending->err_cap, "media broker stopped");
    b->pending->result = RG_ERR_CLOSED;
    b->pending->done = true;
    b->pending = NULL;
  }
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
  if (failed_errno)
    fprintf(stderr, "rtcgate: broker: worker stopped: its event loop failed (%s); media calls are refused\n",
            strerror(failed_errno));
  return NULL;
}

/* Runs m on the worker and waits for its reply; inline when there is no worker. */
static int post(struct rg_broker *b, struct rg_broker_msg *m)
{
  uint64_t one = 1;
  pthread_mutex_lock(&b->call_mu);
  if (!b->running) {
    handle_msg(b, m);
    pthread_mutex_unlock(&b->call_mu);
    return m->result;
  }
  pthread_mutex_lock(&b->mu);
  if (b->stop) { /* the worker is gone (or going): it would never answer */
    pthread_mutex_unlock(&b->mu);
    pthread_mutex_unlock(&b->call_mu);
    set_err(m->err, m->err_cap, "media broker stopped");
    return RG_ERR_CLOSED;
  }
  b->pending = m;
  pthread_mutex_unlock(&b->mu);
  if (write(b->wakefd, &one, sizeof one) < 0 && errno != EAGAIN) {
    pthread_mutex_lock(&b->mu);
    b->pending = NULL;
    pthread_mutex_unlock(&b->mu);
    pthread_mutex_unlock(&b->call_mu);
    return RG_ERR_STATE;
  }
  /* The worker answers every message it takes, and one it can no longer
   * take it fails on its way out (dead), so this wait ends. */
  pthread_mutex_lock(&b->mu);
  while (!m->done)
    pthread_cond_wait(&b->cv, &b->mu);
  pthread_mutex_unlock(&b->mu);
  pthread_mutex_unlock(&b->call_mu);
  return m->result;
}

int rg_broker_start(struct rg_broker *b)
{
  sigset_t all, old;
  char where[RG_ADDR_STRLEN];
  int rc;
  if (!b || b->running || b->fd >= 0)
    return RG_ERR_STATE;
  if ((rc = rg_udp_bind(&b->bound, &b->fd, &b->bound)) < 0)
    return rc;
  if (b->cfg.receive_buffer)
    (void)rg_udp_set_receive_buffer(b->fd, b->cfg.receive_buffer, true);
  b->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (b->wakefd < 0) {
    rc = RG_ERR_STATE;
    goto fail;
  }
  if ((rc = rg_loop_add(b->loop, &b->sock_watch, b->fd, EPOLLIN, rg_broker_on_socket_, b)) < 0 ||
      (rc = rg_loop_add(b->loop, &b->wake_watch, b->wakefd, EPOLLIN, on_wake, b)) < 0)
    goto fail;
  /* The worker takes no signals: SIGINT/SIGTERM belong to the gateway's thread. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  b->stop = false;
  rc = pthread_create(&b->thread, NULL, worker, b) == 0 ? RG_OK : RG_ERR_STATE;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc < 0)
    goto fail;
  b->running = true;
  fprintf(stderr, "rtcgate: broker: media on udp %s\n", rg_addr_format(&b->bound, where, sizeof where));
  return RG_OK;
fail:
  rg_loop_del(b->loop, &b->sock_watch);
  rg_loop_del(b->loop, &b->wake_watch);
  if (b->wakefd >= 0)
    close(b->wakefd);
  close(b->fd);
  b->fd = b->wakefd = -1;
  return rc;
}

void rg_broker_stop(struct rg_broker *b)
{
  struct rg_broker_msg m;
  if (!b)
    return;
  memset(&m, 0, sizeof m);
  m.type = RG_BROKER_MSG_STOP;
  if (post(b, &m) == RG_ERR_CLOSED) {
    /* The worker died first: once it is joined, its calls are ended here. */
    pthread_join(b->thread, NULL);
    b->running = false;
    memset(&m, 0, sizeof m);
    m.type = RG_BROKER_MSG_STOP;
    handle_msg(b, &m);
    return;
  }
  if (b->running) {
    pthread_join(b->thread, NULL);
    b->running = false;
  }
}

void rg_broker_free(struct rg_broker *b)
{
  if (!b)
    return;
  rg_broker_stop(b);
  if (b->fd >= 0) {
    rg_loop_del(b->loop, &b->sock_watch);
    close(b->fd);
  }
  if (b->wakefd >= 0) {
    rg_loop_del(b->loop, &b->wake_watch);
    close(b->wakefd);
  }
  rg_loop_free(b->loop);
  rg_dtls_ctx_free(b->dtls_ctx);
  pthread_mutex_destroy(&b->mu);
  pthread_mutex_destroy(&b->call_mu);
  pthread_cond_destroy(&b->cv);
  free(b->ufrag_buckets);
  free(b->addr_buckets);
  free(b->rx);
  free(b->defer);
  free(b);
}

/* Offer and answer travel the same way: one SDP in, one SDP out, an error text. */
static int post_sdp(struct rg_broker *b, int type, const char *call_id, const char *sdp, size_t len, char **out_sdp,
                    unsigned *media_kinds, char *err, size_t err_cap)
{
  struct rg_broker_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.call_id = call_id;
  m.sdp = sdp;
  m.len = len;
  m.out_sdp = out_sdp;
  m.media_kinds = media_kinds;
  m.err = err;
  m.err_cap = err_cap;
  return post(b, &m);
}

int rg_broker_offer(struct rg_broker *b, const char *call_id, const char *sdp, size_t len, char **callee_offer,
                    unsigned *media_kinds, char *err, size_t err_cap)
{
  if (!b || !sdp || !callee_offer)
    return RG_ERR_INVAL;
  if (b->fd < 0) {
    set_err(err, err_cap, "broker not started");
    return RG_ERR_STATE;
  }
  return post_sdp(b, RG_BROKER_MSG_OFFER, call_id, sdp, len, callee_offer, media_kinds, err, err_cap);
}

int rg_broker_answer(struct rg_broker *b, const char *call_id, const char *sdp, size_t len, char **caller_answer,
                     unsigned *media_kinds, char *err, size_t err_cap)
{
  if (!b || !sdp || !caller_answer)
    return RG_ERR_INVAL;
  return post_sdp(b, RG_BROKER_MSG_ANSWER, call_id, sdp, len, caller_answer, media_kinds, err, err_cap);
}

int rg_broker_hangup(struct rg_broker *b, const char *call_id)
{
  struct rg_broker_msg m;
  if (!b)
    return RG_ERR_INVAL;
  memset(&m, 0, sizeof m);
  m.type = RG_BROKER_MSG_HANGUP;
  m.call_id = call_id;
  return post(b, &m);
}

int rg_broker_call_stats(struct rg_broker *b, const char *call_id, struct rg_broker_leg_stats legs[2])
{
  struct rg_broker_msg m;
  struct rg_broker_leg_stats tmp[2];
  int rc;
  if (!b || !legs)
    return RG_ERR_INVAL;
  memset(&m, 0, sizeof m);
  memset(tmp, 0, sizeof tmp);
  m.type = RG_BROKER_MSG_STATS;
  m.call_id = call_id;
  m.legs = tmp;
  rc = post(b, &m);
  if (rc == RG_OK)
    memcpy(legs, tmp, sizeof tmp);
  return rc;
}

void rg_broker_get_metrics(struct rg_broker *b, struct rg_broker_metrics *out)
{
  struct rg_broker_msg m;
  if (!b || !out)
    return;
  memset(&m, 0, sizeof m);
  m.type = RG_BROKER_MSG_METRICS;
  m.metrics = out;
  if (post(b, &m) != RG_OK)
    memset(out, 0, sizeof *out); /* a dead worker: no figures rather than stale stack bytes */
}

const char *rg_broker_fingerprint(const struct rg_broker *b)
{
  return b ? b->fp_text : "";
}

uint16_t rg_broker_media_port(const struct rg_broker *b)
{
  return b && b->fd >= 0 ? b->bound.port : 0;
}

void rg_broker_receive_buffer(const struct rg_broker *b, size_t *granted, size_t *asked)
{
  bool up = b && b->fd >= 0;
  *granted = up ? rg_udp_receive_buffer(b->fd) : 0;
  *asked = up ? 2 * (size_t)(b->cfg.receive_buffer ? b->cfg.receive_buffer : RG_UDP_SOCKBUF) : 0;
}
