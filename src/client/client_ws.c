/* librtcgate-client: a small non-blocking WebSocket client (RFC 6455) over
 * OpenSSL. Written here rather than taken from libwebsockets so that one
 * process can hold thousands of these inside its own epoll loop (rtcgate-load)
 * and so that pinning is checked inside the TLS handshake.
 *
 * Client frames are masked (§5.3); server frames must not be (§5.1). Control
 * frames are answered (ping -> pong, close -> close). Messages are capped at
 * CL_WS_FRAME_MAX, queued output at CL_WS_OUT_MAX. Frames are read by the
 * pure reader in client_ws_frame.c; this file does the socket and TLS side.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_READS_PER_IO 64 /* bound the work one call does */

void cl_ws_accept_for(const char *key, char out[32])
{
  uint8_t md[20];
  unsigned mdlen = 0;
  char buf[128];
  int n = snprintf(buf, sizeof buf, "%s%s", key, WS_GUID);
  EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha1(), NULL);
  EVP_EncodeBlock((unsigned char *)out, md, 20); /* 28 chars + NUL */
}

static int reserve(uint8_t **buf, size_t *cap, size_t need, size_t max)
{
  size_t ncap;
  uint8_t *nb;
  if (need <= *cap)
    return RG_OK;
  if (need > max)
    return RG_ERR_TOO_LARGE;
  ncap = *cap ? *cap : 4096;
  while (ncap < need)
    ncap *= 2;
  if (ncap > max)
    ncap = max;
  nb = realloc(*buf, ncap);
  if (!nb)
    return RG_ERR_NOMEM;
  *buf = nb;
  *cap = ncap;
  return RG_OK;
}

static int queue_frame(struct cl_ws *w, int op, const uint8_t *payload, size_t len)
{
  uint8_t mask[4];
  int n, rc = reserve(&w->out, &w->out_cap, w->out_len + len + 14, CL_WS_OUT_MAX);
  if (rc)
    return rc;
  if (RAND_bytes(mask, sizeof mask) != 1)
    return RG_ERR_CRYPTO;
  n = cl_ws_build_frame(w->out + w->out_len, w->out_cap - w->out_len, op, payload, len, mask);
  if (n < 0)
    return n;
  w->out_len += (size_t)n;
  return RG_OK;
}

static void set_closed(struct cl_ws *w, const char *why)
{
  if (w->state != CL_WS_CLOSED && why && !w->why[0])
    snprintf(w->why, sizeof w->why, "%s", why);
  w->state = CL_WS_CLOSED;
}

int cl_ws_start(struct cl_ws *w, SSL_CTX *ctx, const struct rg_client_tls *tls, const struct cl_url *u)
{
  uint8_t raw[16];
  int rc;
  memset(w, 0, sizeof *w);
  w->fd = -1;
  w->url = *u;
  if (tls->verify == RG_CLIENT_VERIFY_PIN && cl_pin_parse(tls->pin_sha256, w->pin) != RG_OK)
    return RG_ERR_INVAL;
  if (RAND_bytes(raw, sizeof raw) != 1)
    return RG_ERR_CRYPTO;
  EVP_EncodeBlock((unsigned char *)w->key, raw, sizeof raw);
  rc = cl_tcp_connect(u, &w->fd);
  if (rc)
    return rc;
  rc = cl_tls_ssl_new(ctx, tls, u, w->pin, w->fd, &w->ssl);
  if (rc) {
    close(w->fd);
    w->fd = -1;
    return rc;
  }
  w->state = CL_WS_TCP;
  return RG_OK;
}

bool cl_ws_wants_write(const struct cl_ws *w)
{
  return w->state == CL_WS_TCP || (w->state != CL_WS_CLOSED && w->out_len > 0);
}

static int flush_out(struct cl_ws *w)
{
  while (w->out_len > 0) {
    int n = SSL_write(w->ssl, w->out, (int)(w->out_len > INT32_MAX ? INT32_MAX : w->out_len));
    if (n > 0) {
      memmove(w->out, w->out + n, w->out_len - (size_t)n);
      w->out_len -= (size_t)n;
      continue;
    }
    int e = SSL_get_error(w->ssl, n);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
      return RG_OK;
    ERR_clear_error();
    set_closed(w, "write failed");
    return RG_ERR_CLOSED;
  }
  return RG_OK;
}

static void send_upgrade(struct cl_ws *w)
{
  char req[1024];
  bool v6 = strchr(w->url.host, ':') != NULL;
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nUser-Agent: librtcgate-client\r\n\r\n",
                   w->url.path[0] ? w->url.path : "/v1/ws", v6 ? "[" : "", w->url.host, v6 ? "]" : "",
                   (unsigned)w->url.port, w->key);
  if (n > 0 && (size_t)n < sizeof req && reserve(&w->out, &w->out_cap, w->out_len + (size_t)n, CL_WS_OUT_MAX) == 0) {
    memcpy(w->out + w->out_len, req, (size_t)n);
    w->out_len += (size_t)n;
  }
}

/* A header's value in the response head (case-insensitive name), or NULL. */
static const char *header(const char *head, const char *name, size_t *vlen)
{
  size_t nl = strlen(name);
  for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2, *end = strstr(line, "\r\n");
    if (!end)
      break;
    if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
      const char *v = line + nl + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      *vlen = (size_t)(end - v);
      while (*vlen && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
        (*vlen)--;
      return v;
    }
  }
  return NULL;
}

/* 1: upgraded; 0: need more; <0: refused. */
static int read_upgrade(struct cl_ws *w)
{
  char head[CL_HTTP_HEAD_MAX + 1], accept[32];
  const uint8_t *end = NULL;
  const char *v;
  size_t hlen, vlen;
  int status = 0;
  for (size_t i = 3; i < w->in_len; i++)
    if (w->in[i] == '\n' && w->in[i - 1] == '\r' && w->in[i - 2] == '\n' && w->in[i - 3] == '\r') {
      end = w->in + i + 1;
      break;
    }
  if (!end) {
    if (w->in_len > CL_HTTP_HEAD_MAX) {
      set_closed(w, "upgrade response too large");
      return RG_ERR_TOO_LARGE;
    }
    return 0;
  }
  hlen = (size_t)(end - w->in);
  if (hlen > CL_HTTP_HEAD_MAX) {
    set_closed(w, "upgrade response too large");
    return RG_ERR_TOO_LARGE;
  }
  memcpy(head, w->in, hlen);
  head[hlen] = '\0';
  memmove(w->in, end, w->in_len - hlen);
  w->in_len -= hlen;
  if (sscanf(head, "HTTP/1.1 %d", &status) != 1 || status != 101) {
    char why[RG_CLIENT_TEXT_MAX];
    snprintf(why, sizeof why, "WebSocket upgrade refused: HTTP %d", status);
    set_closed(w, why);
    return RG_ERR_AUTH;
  }
  cl_ws_accept_for(w->key, accept);
  v = header(head, "Sec-WebSocket-Accept", &vlen);
  if (!v || vlen != strlen(accept) || memcmp(v, accept, vlen) != 0) {
    set_closed(w, "WebSocket upgrade: bad Sec-WebSocket-Accept");
    return RG_ERR_AUTH;
  }
  v = header(head, "Upgrade", &vlen);
  if (!v || vlen != 9 || strncasecmp(v, "websocket", 9) != 0) {
    set_closed(w, "WebSocket upgrade: no Upgrade: websocket");
    return RG_ERR_AUTH;
  }
  return 1;
}

static int handle_frames(struct cl_ws *w, cl_ws_text_cb on_text, void *arg)
{
  size_t off = 0;
  int rc = RG_OK;
  while (w->state == CL_WS_OPEN) {
    struct cl_ws_event ev;
    int n = cl_ws_rx_next(&w->rx, w->in + off, w->in_len - off, CL_WS_FRAME_MAX, &ev);
    if (n == 0)
      break;
    if (n < 0) {
      if (ev.code)
        cl_ws_close(w, ev.code);
      set_closed(w, ev.why);
      rc = RG_ERR_CLOSED;
      break;
    }
    off += (size_t)n;
    switch (ev.kind) {
    case CL_WS_EV_PING:
      if (queue_frame(w, CL_WS_OP_PONG, ev.data, ev.len) != RG_OK)
        set_closed(w, "output queue full");
      break;
    case CL_WS_EV_CLOSE: {
      char why[RG_CLIENT_TEXT_MAX];
      int rl = (int)ev.len;
      w->close_code = ev.code;
      snprintf(why, sizeof why, "closed by the server (%u%s%.*s)", (unsigned)w->close_code, rl ? ": " : "", rl,
               rl ? (const char *)ev.data : "");
      cl_ws_close(w, w->close_code == 1005 ? 1000 : w->close_code);
      set_closed(w, why);
      rc = RG_ERR_CLOSED;
      break;
    }
    case CL_WS_EV_TEXT:
      if (on_text)
        on_text(arg, (const char *)ev.data, ev.len);
      break;
    default:
      break;
    }
  }
  if (off) {
    memmove(w->in, w->in + off, w->in_len - off);
    w->in_len -= off;
  }
  return rc;
}

/* Reads what is there; 1 when the peer closed the TCP/TLS stream. */
static int read_some(struct cl_ws *w)
{
  for (int i = 0; i < WS_READS_PER_IO; i++) {
    int n, e;
    if (reserve(&w->in, &w->in_cap, w->in_len + CL_WS_IN_CHUNK, CL_WS_FRAME_MAX + CL_WS_IN_CHUNK + 16) != RG_OK) {
      if (w->in_cap - w->in_len == 0) {
        set_closed(w, "input too large");
        return RG_ERR_CLOSED;
      }
    }
    n = SSL_read(w->ssl, w->in + w->in_len, (int)(w->in_cap - w->in_len));
    if (n > 0) {
      w->in_len += (size_t)n;
      return 0; /* let the caller parse, then come back */
    }
    e = SSL_get_error(w->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return 2;
    ERR_clear_error();
    set_closed(w, e == SSL_ERROR_ZERO_RETURN ? "connection closed by the server" : "connection lost");
    return RG_ERR_CLOSED;
  }
  return 2;
}

int cl_ws_io(struct cl_ws *w, cl_ws_open_cb on_open, cl_ws_text_cb on_text, void *arg)
{
  if (w->state == CL_WS_CLOSED || w->state == CL_WS_IDLE)
    return RG_ERR_CLOSED;
  if (w->state == CL_WS_TCP) {
    struct pollfd p = {.fd = w->fd, .events = POLLOUT};
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (poll(&p, 1, 0) <= 0)
      return RG_OK;
    if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
      char why[RG_CLIENT_TEXT_MAX];
      snprintf(why, sizeof why, "cannot connect to %.64s:%u: %s", w->url.host, (unsigned)w->url.port,
               strerror(soerr ? soerr : errno));
      set_closed(w, why);
      return RG_ERR_CLOSED;
    }
    w->state = CL_WS_TLS;
  }
  if (w->state == CL_WS_TLS) {
    int r = SSL_connect(w->ssl);
    if (r != 1) {
      int e = SSL_get_error(w->ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return RG_OK;
      char why[RG_CLIENT_TEXT_MAX];
      cl_tls_error_text(w->ssl, r, why, sizeof why);
      set_closed(w, why);
      return RG_ERR_CLOSED;
    }
    w->state = CL_WS_UPGRADE;
    send_upgrade(w);
  }
  if (flush_out(w) != RG_OK)
    return RG_ERR_CLOSED;
  for (int round = 0; round < WS_READS_PER_IO && w->state != CL_WS_CLOSED; round++) {
    int r = read_some(w);
    if (r < 0 && w->in_len == 0)
      return RG_ERR_CLOSED;
    if (w->state == CL_WS_UPGRADE && w->in_len) {
      int u = read_upgrade(w);
      if (u < 0)
        return RG_ERR_CLOSED;
      if (u == 1) {
        w->state = CL_WS_OPEN;
        if (on_open)
          on_open(arg);
      }
    }
    if (w->state == CL_WS_OPEN && w->in_len)
      handle_frames(w, on_text, arg);
    if (r != 0)
      break; /* drained (2) or closed (<0) */
  }
  if (w->state != CL_WS_CLOSED)
    flush_out(w);
  return w->state == CL_WS_CLOSED ? RG_ERR_CLOSED : RG_OK;
}

int cl_ws_send_text(struct cl_ws *w, const char *text, size_t len)
{
  if (w->state != CL_WS_OPEN)
    return RG_ERR_STATE;
  return queue_frame(w, CL_WS_OP_TEXT, (const uint8_t *)text, len);
}

int cl_ws_send_ping(struct cl_ws *w)
{
  if (w->state != CL_WS_OPEN)
    return RG_ERR_STATE;
  return queue_frame(w, CL_WS_OP_PING, (const uint8_t *)"rg", 2);
}

void cl_ws_close(struct cl_ws *w, uint16_t code)
{
  uint8_t body[2] = {(uint8_t)(code >> 8), (uint8_t)code};
  if (w->close_sent || !w->ssl || (w->state != CL_WS_OPEN && w->state != CL_WS_UPGRADE))
    return;
  w->close_sent = true;
  if (w->state == CL_WS_OPEN && queue_frame(w, CL_WS_OP_CLOSE, body, sizeof body) == RG_OK)
    (void)flush_out(w);
}

void cl_ws_cleanup(struct cl_ws *w)
{
  if (w->ssl) {
    if (w->state == CL_WS_OPEN) {
      cl_ws_close(w, 1000);
      (void)SSL_shutdown(w->ssl);
    }
    SSL_free(w->ssl);
  }
  ERR_clear_error();
  if (w->fd >= 0)
    close(w->fd);
  free(w->in);
  free(w->out);
  cl_ws_rx_cleanup(&w->rx);
  memset(w, 0, sizeof *w);
  w->fd = -1;
  w->state = CL_WS_CLOSED;
}
