/* rtcgate gateway — rg_gw_run: state dir, media workers, the libwebsockets context
 * (one vhost, TLS 1.2+), the service loop, the timer sweep, shutdown.
 *
 * The service loop is libev on epoll, handed to libwebsockets as a foreign
 * loop. lws 4.1's built-in loop calls poll() over every socket on every
 * wake-up: with 2,000 idle WebSockets that was ~20 % of a core at ~150
 * wake-ups/s (docs/benchmarks.md, "Relay"); epoll costs what is active. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/gw_internal.h"
#include "io/io_udp.h"
#include "rtcgate/error.h"

#define GW_SHUTDOWN_DRAIN_US 2000000 /* time given to flush hangups and close frames */
#define GW_IDLE_PING_S 30
#define GW_IDLE_HANGUP_S 75

/* TLS 1.2 suites: ECDHE + AEAD only (forward secrecy, no CBC, no RSA key exchange). */
static const char gw_tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                       "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                                       "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
static const char gw_tls13_ciphers[] = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/* The one piece of process-wide state: what a signal handler may touch. */
static volatile sig_atomic_t gw_stop_flag;

static void on_signal(int sig)
{
  (void)sig;
  gw_stop_flag = 1;
}

static int gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct gw *gw = lws_context_user(lws_get_context(wsi));
  switch (reason) {
  case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
    if (gw)
      gw_events_drain(gw);
    return 0;
  case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
    if (user)
      SSL_CTX_set_min_proto_version((SSL_CTX *)user, TLS1_2_VERSION);
    return 0;
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
  case LWS_CALLBACK_ESTABLISHED:
  case LWS_CALLBACK_RECEIVE:
  case LWS_CALLBACK_SERVER_WRITEABLE:
  case LWS_CALLBACK_CLOSED:
    return gw_ws_callback(wsi, reason, user, in, len);
  default:
    return gw_http_callback(wsi, reason, user, in, len);
  }
}

/* Browsers open the WebSocket without a subprotocol; lws then uses the first
 * entry, which also serves HTTP. "rtcgate" is accepted when named. */
static const struct lws_protocols gw_protocols[] = {
    {"rtcgate", gw_callback, sizeof(struct gw_pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const lws_retry_bo_t gw_idle_policy = {
    .secs_since_valid_ping = GW_IDLE_PING_S,
    .secs_since_valid_hangup = GW_IDLE_HANGUP_S,
};

static void on_tick(lws_sorted_usec_list_t *sul)
{
  struct gw *gw = (struct gw *)(void *)((char *)sul - offsetof(struct gw, tick));
  uint64_t now = gw_now_us();
  /* Every open socket that has not authenticated is counted in n_unauthed:
   * with none, the walk over all sockets (thousands in a busy gateway, a
   * cache miss each) would find nothing. */
  for (struct gw_conn *c = gw->n_unauthed ? gw->conns : NULL; c; c = c->next) {
    if (!c->authed && !c->close_code && now >= c->auth_deadline_us) {
      gw->m.tokens_rejected++;
      gw_conn_send_error(c, NULL, "unauthorized", "no auth frame in time");
      gw_conn_close(c, GW_CLOSE_UNAUTHORIZED, "unauthorized");
    }
  }
  gw_call_tick(gw, now);
  if (now >= gw->next_expiry_sweep_us) {
    gw->next_expiry_sweep_us = now + GW_EXPIRY_SWEEP_US;
    gw_sessions_expire(gw, gw_unix_now());
  }
  lws_sul_schedule(gw->ctx, 0, &gw->tick, on_tick, GW_TICK_US);
}

static void lws_log_emit(int level, const char *line)
{
  (void)level;
  fprintf(stderr, "rtcgate: lws: %s", line);
}

static bool is_ipv4(const char *ip)
{
  struct in_addr a;
  return inet_pton(AF_INET, ip, &a) == 1;
}

static struct lws_context *start_lws(struct gw *gw, const char *cert, const char *key)
{
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_LIBEV;
  info.foreign_loops = gw->foreign_loops;
  if (is_ipv4(gw->cfg.listen_ip))
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.port = gw->cfg.listen_port;
  info.iface = gw->cfg.listen_ip;
  info.protocols = gw_protocols;
  info.ssl_cert_filepath = cert;
  info.ssl_private_key_filepath = key;
  info.ssl_cipher_list = gw_tls12_ciphers;
  info.tls1_3_plus_cipher_list = gw_tls13_ciphers;
  info.ssl_options_set = (long)(SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  info.alpn = "http/1.1"; /* WebSockets over HTTP/1.1 only; no RFC 8441 */
  info.server_string = "rtcgate";
  info.retry_and_idle_policy = &gw_idle_policy;
  info.user = gw;
  return lws_create_context(&info);
}

static void print_banner(struct gw *gw)
{
  const char *ip = gw->cfg.listen_ip;
  bool v6 = !is_ipv4(ip);
  size_t granted, asked;
  char ports[RG_GW_MEDIA_WORKERS_MAX * 6 + 1];
  gw_media_ports_text(gw, ports, sizeof(ports));
  bool media_v6 = !is_ipv4(gw->cfg.media_ip);
  printf("rtcgate: listening https://%s%s%s:%u media udp %s%s%s:%s\n", v6 ? "[" : "", ip, v6 ? "]" : "",
         (unsigned)gw->bound_port, media_v6 ? "[" : "", gw->cfg.media_ip, media_v6 ? "]" : "", ports);
  if (gw->n_brokers > 1)
    printf("rtcgate: media: %u workers, one thread and one udp port each; a call's legs share one\n",
           gw->n_brokers);
  /* A stock kernel caps socket buffers at 208 KB (net.core.rmem_max): the
   * broker's queue then holds ~300 datagrams, a few ms of a busy relay. */
  rg_broker_receive_buffer(gw->broker[0], &granted, &asked); /* every worker asks for the same */
  if (granted && granted < asked)
    printf("rtcgate: note: the media socket's receive buffer is %zu KB, less than the %zu KB asked "
           "(net.core.rmem_max caps it); for many calls: sysctl -w net.core.rmem_max=%zu, or "
           "media-receive-buffer = %zu with CAP_NET_ADMIN\n",
           granted / 1024, asked / 1024, asked / 2, asked / 2);
  if (gw->cfg.demo)
    printf("rtcgate: demo: open https://%s%s%s:%u/ in two tabs (accept the self-signed certificate)\n",
           v6 ? "[" : "", ip, v6 ? "]" : "", (unsigned)gw->bound_port);
  fflush(stdout);
}

/* One turn of the loop: waits for a socket, a timer (the 100 ms tick at the
 * latest) or a signal: epoll_wait returns EINTR and libev ends the turn. A
 * signal that lands between the flag check and epoll_wait is seen at the
 * next wake-up, within the 100 ms tick. */
static void service_once(struct gw *gw)
{
  ev_run(gw->loop, EVRUN_ONCE);
}

static void shutdown_all(struct gw *gw)
{
  gw->stopping = true;
  fprintf(stderr, "rtcgate: gateway: shutting down: hanging up %zu calls\n", gw->n_calls);
  while (gw->calls)
    gw_call_end(gw->calls, "gone", NULL);
  for (struct gw_conn *c = gw->conns; c; c = c->next)
    gw_conn_close(c, GW_CLOSE_SHUTDOWN, "server shutting down");
  uint64_t deadline = gw_now_us() + GW_SHUTDOWN_DRAIN_US;
  while (gw->n_conns > 0 && gw_now_us() < deadline)
    service_once(gw);
}

int rg_gw_run(const struct rg_gw_config *cfg)
{
  struct gw *gw = calloc(1, sizeof(*gw));
  if (!gw)
    return 1;
  int status = 1;
  gw->cfg = *cfg;
  pthread_mutex_init(&gw->ev_lock, NULL);
  gw_tokens_init(&gw->tokens);
  signal(SIGPIPE, SIG_IGN);
  char cert[RG_GW_PATH_MAX + 16], key[RG_GW_PATH_MAX + 16];
  if (gw_state_prepare(gw, cert, key, sizeof(cert)) != 0)
    goto out;
  if (gw_media_start(gw) != 0)
    goto out;
  lws_set_log_level(LLL_ERR, lws_log_emit);
  gw->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
  if (!gw->loop) {
    fprintf(stderr, "rtcgate: gateway: cannot create the epoll event loop\n");
    goto out;
  }
  gw->foreign_loops[0] = gw->loop;
  gw->ctx = start_lws(gw, cert, key);
  if (!gw->ctx) {
    fprintf(stderr, "rtcgate: gateway: cannot listen on %s:%u\n", cfg->listen_ip, (unsigned)cfg->listen_port);
    goto out;
  }
  gw->bound_port = (uint16_t)lws_get_vhost_listen_port(lws_get_vhost_by_name(gw->ctx, "default"));
  pthread_mutex_lock(&gw->ev_lock);
  gw->ev_accept = true;
  pthread_mutex_unlock(&gw->ev_lock);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal; /* epoll_wait is never restarted: it returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  print_banner(gw);
  lws_sul_schedule(gw->ctx, 0, &gw->tick, on_tick, GW_TICK_US);
  while (!gw_stop_flag)
    service_once(gw);
  shutdown_all(gw);
  status = 0;
out:
  gw_events_close(gw);
  gw_media_stop(gw);
  if (gw->ctx) {
    lws_sul_cancel(&gw->tick);
    lws_context_destroy(gw->ctx);
  }
  if (gw->loop)
    ev_loop_destroy(gw->loop);
  gw_media_free(gw);
  gw_tokens_cleanup(&gw->tokens);
  pthread_mutex_destroy(&gw->ev_lock);
  free(gw);
  fprintf(stderr, "rtcgate: gateway: stopped\n");
  return status;
}
