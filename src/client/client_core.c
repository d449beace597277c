/* librtcgate-client: the client object, its descriptors and its loop —
 * rg_client_fd / rg_client_process / rg_client_next_timeout, and the thread
 * mode on top of them. */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "io/io_clock.h"
#include "io/io_udp.h"
#include "rtcgate/error.h"

/* epoll data: the client's address with a tag in its low bits (calloc
 * aligns to 16), so one epoll set can hold many clients' sockets. */
#define TAG_WS 1u
#define TAG_UDP 2u
#define TAG_TIMER 3u
#define TAG_WAKE 4u
#define TAG_MASK 15u
#define EPOLL_EVENTS 8
#define UDP_ROUNDS 8           /* recvmmsg batches per process call: bounded work */
#define THREAD_WAIT_MAX_MS 1000 /* the thread re-checks its stop flag at least this often */
#define CERT_CN "rtcgate-client"

uint64_t rg_client_now_us(void)
{
  return rg_io_now_us();
}

void cl_rand(void *buf, size_t len)
{
  /* RAND_bytes only fails when the CSPRNG cannot be seeded; nothing secure
   * could be made then, so stop rather than make predictable ids. */
  if (RAND_bytes(buf, (int)len) != 1)
    abort();
}

void cl_rand_text(char *out, size_t n)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  uint8_t r[64];
  if (n > sizeof r)
    n = sizeof r;
  cl_rand(r, n);
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[r[i] % 62]; /* slight bias is harmless for ids and ICE strings of 8-24 chars */
  out[n] = '\0';
}

void cl_emit(struct rg_client *c, struct rg_client_event *ev)
{
  if (c->cfg.on_event)
    c->cfg.on_event(c->cfg.user, ev);
}

static uint64_t tag(const struct rg_client *c, unsigned t)
{
  return (uint64_t)(uintptr_t)c | t;
}

static void update_ws_mask(struct rg_client *c)
{
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = tag(c, TAG_WS)};
  if (c->ws.fd < 0)
    return;
  if (cl_ws_wants_write(&c->ws))
    e.events |= EPOLLOUT;
  (void)epoll_ctl(c->ep, EPOLL_CTL_MOD, c->ws.fd, &e);
}

int cl_send_json(struct rg_client *c, void *json)
{
  json_t *j = json;
  char *text;
  int rc;
  if (!j)
    return RG_ERR_NOMEM;
  text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!text)
    return RG_ERR_NOMEM;
  rc = cl_ws_send_text(&c->ws, text, strlen(text));
  free(text);
  update_ws_mask(c); /* EPOLLOUT until it is written */
  return rc;
}

static char *dup_opt(const char *s, int *rc)
{
  char *d;
  if (!s)
    return NULL;
  d = strdup(s);
  if (!d)
    *rc = RG_ERR_NOMEM;
  return d;
}

static void arm_timer(struct rg_client *c, uint64_t now)
{
  uint64_t next;
  struct itimerspec its;
  if (c->tfd < 0)
    return; /* the caller drives the timers (no_timerfd, or a shared loop) */
  next = rg_client_next_timeout(c);
  if (next == c->armed)
    return;
  memset(&its, 0, sizeof its);
  if (next != UINT64_MAX) {
    uint64_t d = next > now ? next - now : 1;
    its.it_value.tv_sec = (time_t)(d / 1000000u);
    its.it_value.tv_nsec = (long)(d % 1000000u) * 1000 + 1; /* never 0: that would disarm */
  }
  (void)timerfd_settime(c->tfd, 0, &its, NULL);
  c->armed = next;
}

static void kick(struct rg_client *c)
{
  uint64_t one = 1;
  arm_timer(c, rg_client_now_us());
  if (c->thread_running && c->efd >= 0)
    (void)!write(c->efd, &one, sizeof one);
}

/* What cl_client_new_in acquired, released in one place (its failure path and
 * rg_client_free share it). Every descriptor may still be -1 here. */
static void release(struct rg_client *c)
{
  if (c->ep >= 0 && !c->shared_ep)
    close(c->ep);
  if (c->tfd >= 0)
    close(c->tfd);
  if (c->efd >= 0)
    close(c->efd);
  if (c->udp_fd >= 0)
    close(c->udp_fd);
  if (c->hub)
    cl_udp_hub_detach(c->hub, c);
  if (c->owns_shared) {
    SSL_CTX_free(c->tls_ctx);
    rg_dtls_ctx_free(c->dtls_ctx);
    rg_cert_free(c->cert);
  }
  rg_pcm_free(&c->wav);
  if (c->token) /* a bearer secret: leave no copy in freed memory */
    OPENSSL_cleanse(c->token, strlen(c->token));
  free(c->server);
  free(c->token);
  free(c->ca_file);
  free(c->pin_text);
  free(c->media_ip);
  free(c->send_wav);
  free(c->record_wav);
  free(c);
}

int cl_client_new_in(struct rg_client **out, const struct rg_client_config *cfg, int shared_ep,
                     struct cl_udp_hub *hub)
{
  struct rg_client *c;
  struct rg_addr lo;
  struct epoll_event e;
  pthread_mutexattr_t ma;
  char err[RG_CLIENT_TEXT_MAX];
  int rc = RG_OK;
  if (!out || !cfg || !cfg->server || !cfg->token || strlen(cfg->token) >= RG_CLIENT_TOKEN_MAX)
    return RG_ERR_INVAL;
  if (cfg->codec != 0 && cfg->codec != RG_CLIENT_CODEC_OPUS && cfg->codec != RG_CLIENT_CODEC_PCMU)
    return RG_ERR_INVAL;
  if (cfg->raw_payload && (cfg->raw_payload < CL_RAW_PAYLOAD_MIN || cfg->raw_payload > CL_RAW_PAYLOAD_MAX))
    return RG_ERR_INVAL;
  if (cfg->raw_pps > 1000 || cfg->tone_hz < 0 || cfg->tone_amplitude < 0 || cfg->tone_amplitude > 1)
    return RG_ERR_INVAL;
  c = calloc(1, sizeof *c);
  if (!c)
    return RG_ERR_NOMEM;
  c->ep = c->tfd = c->efd = c->udp_fd = -1;
  c->ws.fd = -1;
  c->cfg = *cfg;
  if (!c->cfg.codec)
    c->cfg.codec = RG_CLIENT_CODEC_OPUS;
  c->server = dup_opt(cfg->server, &rc);
  c->token = dup_opt(cfg->token, &rc);
  c->ca_file = dup_opt(cfg->tls.ca_file, &rc);
  c->pin_text = dup_opt(cfg->tls.pin_sha256, &rc);
  c->media_ip = dup_opt(cfg->media_ip ? cfg->media_ip : "127.0.0.1", &rc);
  c->media_ip_given = cfg->media_ip != NULL;
  c->send_wav = dup_opt(cfg->send_wav, &rc);
  c->record_wav = dup_opt(cfg->record_wav, &rc);
  if (rc)
    goto fail;
  c->cfg.server = c->server;
  c->cfg.token = c->token;
  c->cfg.tls.ca_file = c->ca_file;
  c->cfg.tls.pin_sha256 = c->pin_text;
  c->cfg.media_ip = c->media_ip;
  c->cfg.send_wav = c->send_wav;
  c->cfg.record_wav = c->record_wav;
  c->st.rtt_ms = -1;
  if ((rc = cl_url_parse(c->server, &c->url)) != RG_OK)
    goto fail;
  if (c->cfg.tls.verify == RG_CLIENT_VERIFY_PIN && (rc = cl_pin_parse(c->pin_text, c->pin)) != RG_OK)
    goto fail;
  if (c->send_wav && (rc = cl_audio_prepare(c, c->cfg.codec)) != RG_OK)
    goto fail; /* a missing file is better reported now than at answer time */
  if (cfg->share_with) {
    /* Same verification settings assumed: the load generator shares one. */
    c->tls_ctx = cfg->share_with->tls_ctx;
    c->dtls_ctx = cfg->share_with->dtls_ctx;
    c->fp = cfg->share_with->fp;
  } else {
    c->owns_shared = true;
    if ((rc = cl_tls_ctx_new(&c->cfg.tls, &c->tls_ctx, err, sizeof err)) != RG_OK)
      goto fail;
    if ((rc = rg_cert_generate(&c->cert, RG_CERT_ECDSA_P256, CERT_CN, strlen(CERT_CN), rg_io_unix_now(), 0)) != RG_OK ||
        (rc = rg_dtls_ctx_new(&c->dtls_ctx, c->cert)) != RG_OK ||
        (rc = rg_cert_fingerprint(c->cert, RG_HASH_SHA256, &c->fp)) != RG_OK)
      goto fail;
  }
  if (hub) {
    if ((rc = cl_udp_hub_attach(hub, c, &c->local)) != RG_OK)
      goto fail;
  } else if ((rc = rg_addr_parse_ip(&lo, c->media_ip, strlen(c->media_ip), 0)) != RG_OK ||
             (rc = rg_udp_bind(&lo, &c->udp_fd, &c->local)) != RG_OK) {
    goto fail;
  }
  if (shared_ep >= 0) {
    /* The caller's epoll set holds our sockets and it drives the timers. */
    c->ep = shared_ep;
    c->shared_ep = true;
    c->cfg.no_timerfd = true;
  } else {
    c->ep = epoll_create1(EPOLL_CLOEXEC);
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!cfg->no_timerfd)
      c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (c->ep < 0 || c->efd < 0 || (!cfg->no_timerfd && c->tfd < 0)) {
      rc = RG_ERR_STATE;
      goto fail;
    }
    e = (struct epoll_event){.events = EPOLLIN, .data.u64 = tag(c, TAG_WAKE)};
    if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->efd, &e) != 0)
      rc = RG_ERR_STATE;
    e = (struct epoll_event){.events = EPOLLIN, .data.u64 = tag(c, TAG_TIMER)};
    if (c->tfd >= 0 && epoll_ctl(c->ep, EPOLL_CTL_ADD, c->tfd, &e) != 0)
      rc = RG_ERR_STATE;
  }
  e = (struct epoll_event){.events = EPOLLIN, .data.u64 = tag(c, TAG_UDP)};
  if (c->udp_fd >= 0 && epoll_ctl(c->ep, EPOLL_CTL_ADD, c->udp_fd, &e) != 0)
    rc = RG_ERR_STATE;
  if (rc)
    goto fail;
  if ((rc = cl_ws_start(&c->ws, c->tls_ctx, &c->cfg.tls, &c->url)) != RG_OK)
    goto fail;
  e = (struct epoll_event){.events = EPOLLIN | EPOLLOUT, .data.u64 = tag(c, TAG_WS)};
  if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->ws.fd, &e) != 0) {
    rc = RG_ERR_STATE;
    goto fail;
  }
  pthread_mutexattr_init(&ma);
  /* Recursive: a callback running under the lock may call the API. */
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&c->mu, &ma);
  pthread_mutexattr_destroy(&ma);
  c->connect_deadline = rg_client_now_us() + CL_CONNECT_TIMEOUT_US;
  c->armed = 0;
  arm_timer(c, rg_client_now_us());
  *out = c;
  return RG_OK;
fail:
  if (c->ws.fd >= 0 || c->ws.ssl)
    cl_ws_cleanup(&c->ws);
  if (c->udp_fd >= 0 && c->shared_ep)
    (void)epoll_ctl(c->ep, EPOLL_CTL_DEL, c->udp_fd, NULL);
  release(c);
  return rc;
}

void rg_client_free(struct rg_client *c)
{
  if (!c)
    return;
  rg_client_stop_thread(c);
  pthread_mutex_lock(&c->mu);
  c->cfg.on_event = NULL; /* nobody is listening any more */
  if (c->call.state != CL_CALL_NONE)
    cl_call_end(c, "normal", true, c->call.state != CL_CALL_INCOMING);
  if (c->ws.fd >= 0) {
    for (int i = 0; i < 3 && c->ws.out_len && c->ws.state == CL_WS_OPEN; i++)
      (void)cl_ws_io(&c->ws, NULL, NULL, NULL); /* best effort: let the hangup out */
  }
  if (c->shared_ep) {
    if (c->ws.fd >= 0)
      (void)epoll_ctl(c->ep, EPOLL_CTL_DEL, c->ws.fd, NULL);
    if (c->udp_fd >= 0)
      (void)epoll_ctl(c->ep, EPOLL_CTL_DEL, c->udp_fd, NULL);
  }
  cl_ws_cleanup(&c->ws);
  pthread_mutex_unlock(&c->mu);
  pthread_mutex_destroy(&c->mu);
  release(c);
}

int rg_client_fd(const struct rg_client *c)
{
  return c->ep;
}

static void ws_open_cb(void *arg)
{
  cl_signal_on_open(arg);
}

static void ws_text_cb(void *arg, const char *text, size_t len)
{
  cl_signal_on_text(arg, text, len);
}

static void read_udp(struct rg_client *c, uint64_t now)
{
  struct mmsghdr msgs[CL_UDP_BATCH];
  struct iovec iov[CL_UDP_BATCH];
  struct sockaddr_storage names[CL_UDP_BATCH];
  if (c->udp_fd < 0)
    return; /* on a hub: its reader delivers */
  for (int round = 0; round < UDP_ROUNDS; round++) {
    int n;
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < CL_UDP_BATCH; i++) {
      iov[i].iov_base = c->rx_buf[i];
      iov[i].iov_len = sizeof c->rx_buf[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &names[i];
      msgs[i].msg_hdr.msg_namelen = sizeof names[i];
    }
    n = recvmmsg(c->udp_fd, msgs, CL_UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      return;
    for (int i = 0; i < n; i++) {
      struct rg_addr from;
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
        continue;
      if (rg_udp_addr_from_sockaddr(&from, (struct sockaddr *)&names[i], msgs[i].msg_hdr.msg_namelen) != RG_OK)
        continue;
      cl_media_on_datagram(c, now, &from, c->rx_buf[i], msgs[i].msg_len);
    }
    if (n < CL_UDP_BATCH)
      return; /* drained */
  }
}

bool cl_process_datagram(struct rg_client *c, uint64_t now, const struct rg_addr *from, uint8_t *data, size_t len)
{
  bool media = false;
  pthread_mutex_lock(&c->mu);
  if (!c->closed)
    media = cl_media_on_datagram(c, now, from, data, len);
  pthread_mutex_unlock(&c->mu);
  return !media;
}

/* Checked at every call, so a socket whose address has gone away (a network
 * change) moves too. An ICE-lite broker takes our address from our checks,
 * so a caller whose offer named the old address still connects from the new
 * one; a callee's answer and later offers name the new one (build_sdp takes
 * c->local). */
void cl_media_socket_follow(struct rg_client *c, const struct rg_addr *broker)
{
  struct rg_addr want, bound;
  struct epoll_event e;
  int fd;
  if (c->media_ip_given || c->udp_fd < 0 || rg_udp_can_reach(&c->local, broker))
    return;
  if (rg_udp_local_toward(broker, &want) != RG_OK || !rg_udp_can_reach(&want, broker) ||
      rg_udp_bind(&want, &fd, &bound) != RG_OK)
    return;
  e = (struct epoll_event){.events = EPOLLIN, .data.u64 = tag(c, TAG_UDP)};
  if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
    close(fd);
    return;
  }
  (void)epoll_ctl(c->ep, EPOLL_CTL_DEL, c->udp_fd, NULL);
  close(c->udp_fd);
  c->udp_fd = fd;
  c->local = bound;
}

void cl_client_prefetch(const struct rg_client *c, int stage, bool rx, uint32_t ssrc, bool rtcp)
{
  if (stage == 0) {
    /* struct rg_client's field order: cfg's per-packet fields, the lock,
     * the flags and the hot part of call lie in its first 512 bytes. */
    for (size_t off = 64; off < 512; off += 64)
      __builtin_prefetch((const char *)c + off);
    return;
  }
  if (c->call.t)
    rg_transport_prefetch(c->call.t, stage - 1, rx, rx ? ssrc : c->call.ssrc, rx && rtcp);
}

void cl_udp_send(struct rg_client *c, const uint8_t *data, size_t len, const struct rg_addr *to)
{
  if (c->hub)
    (void)cl_udp_hub_send(c->hub, c, data, len, to);
  else
    (void)rg_udp_sendto(c->udp_fd, data, len, to); /* a full buffer loses it, as the wire would */
}

static void report_closed(struct rg_client *c)
{
  struct rg_client_event ev;
  if (c->closed_reported)
    return;
  c->closed = true;
  c->closed_reported = true;
  c->ready = false;
  if (c->call.state != CL_CALL_NONE)
    cl_call_end(c, "gone", false, false);
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_CLOSED;
  ev.reason = c->ws.why[0] ? c->ws.why : "closed";
  cl_emit(c, &ev);
  if (c->ws.fd >= 0)
    (void)epoll_ctl(c->ep, EPOLL_CTL_DEL, c->ws.fd, NULL);
}

int cl_process_ready(struct rg_client *c, uint64_t now, bool ws_ready, bool udp_ready)
{
  int rc = RG_OK;
  pthread_mutex_lock(&c->mu);
  /* A ready client's WebSocket is open: only a connecting one is driven
   * without an event (its TCP connect); c->ws is not read on a timer run. */
  if (!c->closed && (ws_ready || (!c->ready && c->ws.state == CL_WS_TCP))) {
    if (cl_ws_io(&c->ws, ws_open_cb, ws_text_cb, c) != RG_OK)
      report_closed(c);
    else
      update_ws_mask(c);
  }
  if (udp_ready)
    read_udp(c, now);
  if (!c->closed && !c->ready && now >= c->connect_deadline) {
    if (!c->ws.why[0])
      snprintf(c->ws.why, sizeof c->ws.why, "no ready from the server within %llu s",
               (unsigned long long)(CL_CONNECT_TIMEOUT_US / 1000000u));
    cl_ws_close(&c->ws, 1000);
    report_closed(c);
  }
  if (!c->closed && c->ready && c->next_ping && now >= c->next_ping) {
    (void)cl_ws_send_ping(&c->ws);
    update_ws_mask(c);
    c->next_ping = now + CL_WS_PING_US;
  }
  cl_media_timers(c, now);
  if (c->closed)
    rc = RG_ERR_CLOSED;
  arm_timer(c, now);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int cl_event_tag(uint64_t data, struct rg_client **c)
{
  *c = (struct rg_client *)(uintptr_t)(data & ~(uint64_t)TAG_MASK);
  return (int)(data & TAG_MASK);
}

int rg_client_process(struct rg_client *c, uint64_t now)
{
  struct epoll_event evs[EPOLL_EVENTS];
  bool ws_ready = false, udp_ready = false;
  int n;
  if (c->shared_ep)
    return cl_process_ready(c, now, true, true);
  pthread_mutex_lock(&c->mu);
  n = epoll_wait(c->ep, evs, EPOLL_EVENTS, 0);
  for (int i = 0; i < n; i++) {
    uint64_t drain;
    switch (evs[i].data.u64 & TAG_MASK) {
    case TAG_WS:
      ws_ready = true;
      break;
    case TAG_UDP:
      udp_ready = true;
      break;
    case TAG_TIMER:
      (void)!read(c->tfd, &drain, sizeof drain);
      c->armed = 0;
      break;
    case TAG_WAKE:
      (void)!read(c->efd, &drain, sizeof drain);
      break;
    default:
      break;
    }
  }
  n = cl_process_ready(c, now, ws_ready, udp_ready);
  pthread_mutex_unlock(&c->mu);
  return n;
}

int rg_client_new(struct rg_client **out, const struct rg_client_config *cfg)
{
  return cl_client_new_in(out, cfg, -1, NULL);
}

uint64_t rg_client_next_timeout(const struct rg_client *c)
{
  uint64_t t = cl_media_next_timeout(c);
  if (c->closed)
    return t;
  if (!c->ready && c->connect_deadline < t)
    t = c->connect_deadline;
  if (c->ready && c->next_ping && c->next_ping < t)
    t = c->next_ping;
  return t;
}

static void *thread_main(void *arg)
{
  struct rg_client *c = arg;
  while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
    struct epoll_event e;
    uint64_t now = rg_client_now_us(), next;
    int wait_ms;
    pthread_mutex_lock(&c->mu);
    next = rg_client_next_timeout(c);
    pthread_mutex_unlock(&c->mu);
    wait_ms = next <= now ? 0 : next - now > THREAD_WAIT_MAX_MS * 1000ull ? THREAD_WAIT_MAX_MS
                                                                             : (int)((next - now + 999) / 1000);
    (void)epoll_wait(c->ep, &e, 1, wait_ms);
    if (__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE))
      break;
    (void)rg_client_process(c, rg_client_now_us());
  }
  return NULL;
}

int rg_client_start_thread(struct rg_client *c)
{
  int rc = RG_OK;
  pthread_mutex_lock(&c->mu);
  if (c->thread_running) {
    rc = RG_ERR_STATE;
  } else {
    __atomic_store_n(&c->stop, 0, __ATOMIC_RELEASE);
    if (pthread_create(&c->thread, NULL, thread_main, c) != 0)
      rc = RG_ERR_NOMEM;
    else
      c->thread_running = true;
  }
  pthread_mutex_unlock(&c->mu);
  return rc;
}

void rg_client_stop_thread(struct rg_client *c)
{
  uint64_t one = 1;
  pthread_mutex_lock(&c->mu);
  if (!c->thread_running) {
    pthread_mutex_unlock(&c->mu);
    return;
  }
  __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
  (void)!write(c->efd, &one, sizeof one);
  pthread_mutex_unlock(&c->mu);
  pthread_join(c->thread, NULL);
  pthread_mutex_lock(&c->mu);
  c->thread_running = false;
  pthread_mutex_unlock(&c->mu);
}

int rg_client_call(struct rg_client *c, const char *to, char *call_id, size_t cap)
{
  int rc;
  if (!to || !to[0] || strlen(to) >= RG_CLIENT_ID_MAX)
    return RG_ERR_INVAL;
  pthread_mutex_lock(&c->mu);
  rc = cl_call_start(c, to, rg_client_now_us());
  if (rc == RG_OK && call_id && cap)
    snprintf(call_id, cap, "%s", c->call.id);
  kick(c);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int rg_client_answer(struct rg_client *c, const char *call_id)
{
  int rc;
  if (!call_id)
    return RG_ERR_INVAL;
  pthread_mutex_lock(&c->mu);
  rc = cl_call_answer(c, call_id, rg_client_now_us());
  kick(c);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int rg_client_reject(struct rg_client *c, const char *call_id, const char *reason)
{
  int rc;
  if (!call_id)
    return RG_ERR_INVAL;
  pthread_mutex_lock(&c->mu);
  rc = cl_call_reject(c, call_id, reason);
  kick(c);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int rg_client_hangup(struct rg_client *c)
{
  int rc = RG_OK;
  pthread_mutex_lock(&c->mu);
  if (c->call.state == CL_CALL_NONE)
    rc = RG_ERR_STATE;
  else if (c->call.state == CL_CALL_INCOMING)
    rc = cl_call_reject(c, c->call.id, "rejected");
  else
    cl_call_end(c, "normal", true, true);
  kick(c);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

bool rg_client_is_ready(const struct rg_client *c)
{
  struct rg_client *m = (struct rg_client *)c; /* the lock is not part of the logical state */
  bool r;
  pthread_mutex_lock(&m->mu);
  r = c->ready && !c->closed;
  pthread_mutex_unlock(&m->mu);
  return r;
}

bool rg_client_in_call(const struct rg_client *c)
{
  struct rg_client *m = (struct rg_client *)c;
  bool r;
  pthread_mutex_lock(&m->mu);
  r = c->call.state != CL_CALL_NONE;
  pthread_mutex_unlock(&m->mu);
  return r;
}

void rg_client_get_stats(const struct rg_client *c, struct rg_client_stats *out)
{
  struct rg_client *m = (struct rg_client *)c; /* the lock is not part of the logical state */
  pthread_mutex_lock(&m->mu);
  if (m->call.state == CL_CALL_MEDIA)
    cl_rx_fill_stats(m);
  *out = m->st;
  pthread_mutex_unlock(&m->mu);
}

const char *rg_client_event_name(int type)
{
  switch (type) {
  case RG_CLIENT_EV_READY: return "ready";
  case RG_CLIENT_EV_INCOMING: return "incoming";
  case RG_CLIENT_EV_RINGING: return "ringing";
  case RG_CLIENT_EV_ANSWER: return "answer";
  case RG_CLIENT_EV_SECURED: return "secured";
  case RG_CLIENT_EV_BROKER_SECURED: return "broker_secured";
  case RG_CLIENT_EV_AUDIO: return "audio";
  case RG_CLIENT_EV_HANGUP: return "hangup";
  case RG_CLIENT_EV_ERROR: return "error";
  case RG_CLIENT_EV_CLOSED: return "closed";
  default: return "unknown";
  }
}
