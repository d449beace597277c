/* rtcgate integration tests — a small blocking HTTPS and WSS client on
 * OpenSSL, written for tests: each call has a deadline, nothing waits
 * forever, and the WebSocket framing (RFC 6455 §5) is done by hand so tests
 * can send exactly the frames they mean (fragments, binary, oversized).
 * Loopback only.
 */
#ifndef RTCGATE_GW_CLIENT_H
#define RTCGATE_GW_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GWC_TIMEOUT_MS 5000
#define GWC_HTTP_MAX (256 * 1024)
#define GWC_WS_MAX (1024 * 1024)

struct gwc_tls {
  int fd;
  SSL_CTX *ctx;
  SSL *ssl;
};

static inline uint64_t gwc_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline int gwc_wait(int fd, short events, uint64_t deadline)
{
  for (;;) {
    uint64_t now = gwc_now_ms();
    if (now >= deadline)
      return -1;
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, (int)(deadline - now));
    if (n > 0)
      return 0;
    if (n < 0 && errno != EINTR)
      return -1;
  }
}

static inline void gwc_tls_close(struct gwc_tls *t)
{
  if (t->ssl)
    SSL_free(t->ssl);
  if (t->ctx)
    SSL_CTX_free(t->ctx);
  if (t->fd >= 0)
    close(t->fd);
  t->ssl = NULL;
  t->ctx = NULL;
  t->fd = -1;
}

/* cafile: verify the server against it (and the name 127.0.0.1); NULL: no
 * verification. max_version: 0 or e.g. TLS1_1_VERSION to check refusal.
 * tls12_ciphers: NULL, or the only TLS 1.2 suites offered (OpenSSL names;
 * with max_version TLS1_2_VERSION, to check which suites the server takes). */
static inline int gwc_tls_connect_suites(struct gwc_tls *t, uint16_t port, const char *cafile, int max_version,
                                         const char *tls12_ciphers)
{
  memset(t, 0, sizeof(*t));
  signal(SIGPIPE, SIG_IGN); /* the server may close before a large body is sent (413) */
  t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (t->fd < 0)
    return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(t->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
    goto fail;
  int one = 1;
  setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
  t->ctx = SSL_CTX_new(TLS_client_method());
  if (!t->ctx)
    goto fail;
  if (max_version) {
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(t->ctx, max_version);
    SSL_CTX_set_security_level(t->ctx, 0);
    SSL_CTX_set_cipher_list(t->ctx, "ALL:@SECLEVEL=0");
  }
  if (tls12_ciphers && SSL_CTX_set_cipher_list(t->ctx, tls12_ciphers) != 1)
    goto fail;
  if (cafile) {
    if (SSL_CTX_load_verify_locations(t->ctx, cafile, NULL) != 1)
      goto fail;
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
  }
  t->ssl = SSL_new(t->ctx);
  if (!t->ssl)
    goto fail;
  if (cafile && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), "127.0.0.1") != 1)
    goto fail;
  SSL_set_fd(t->ssl, t->fd);
  uint64_t deadline = gwc_now_ms() + GWC_TIMEOUT_MS;
  for (;;) {
    int r = SSL_connect(t->ssl);
    if (r == 1)
      return 0;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ && gwc_wait(t->fd, POLLIN, deadline) == 0)
      continue;
    if (e == SSL_ERROR_WANT_WRITE && gwc_wait(t->fd, POLLOUT, deadline) == 0)
      continue;
    goto fail;
  }
fail:
  ERR_clear_error();
  gwc_tls_close(t);
  return -1;
}

static inline int gwc_tls_connect_ex(struct gwc_tls *t, uint16_t port, const char *cafile, int max_version)
{
  return gwc_tls_connect_suites(t, port, cafile, max_version, NULL);
}

static inline int gwc_tls_connect(struct gwc_tls *t, uint16_t port)
{
  return gwc_tls_connect_ex(t, port, NULL, 0);
}

static inline int gwc_tls_write(struct gwc_tls *t, const void *buf, size_t len)
{
  const uint8_t *p = buf;
  uint64_t deadline = gwc_now_ms() + GWC_TIMEOUT_MS;
  while (len > 0) {
    int r = SSL_write(t->ssl, p, (int)len);
    if (r > 0) {
      p += r;
      len -= (size_t)r;
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE && gwc_wait(t->fd, POLLOUT, deadline) == 0)
      continue;
    if (e == SSL_ERROR_WANT_READ && gwc_wait(t->fd, POLLIN, deadline) == 0)
      continue;
    return -1;
  }
  return 0;
}

/* >0 bytes, 0 on EOF (or reset), -1 on timeout or error. */
static inline int gwc_tls_read(struct gwc_tls *t, void *buf, size_t cap, uint64_t deadline)
{
  for (;;) {
    int r = SSL_read(t->ssl, buf, (int)cap);
    if (r > 0)
      return r;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) {
      ERR_clear_error();
      return 0;
    }
    if (e == SSL_ERROR_WANT_READ && gwc_wait(t->fd, POLLIN, deadline) == 0)
      continue;
    if (e == SSL_ERROR_WANT_WRITE && gwc_wait(t->fd, POLLOUT, deadline) == 0)
      continue;
    ERR_clear_error();
    return e == SSL_ERROR_SSL ? 0 : -1;
  }
}

/* ---------------------------------------------------------------- HTTP */

struct gwc_resp {
  int status;
  char headers[4096];
  char *body; /* NUL-terminated, malloc'ed */
  size_t body_len;
};

static inline void gwc_resp_free(struct gwc_resp *r)
{
  free(r->body);
  r->body = NULL;
}

static inline const char *gwc_header(const struct gwc_resp *r, const char *name)
{
  static char value[256];
  size_t n = strlen(name);
  const char *p = r->headers;
  while ((p = strchr(p, '\n')) != NULL) {
    p++;
    if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
      const char *v = p + n + 1;
      while (*v == ' ')
        v++;
      size_t len = strcspn(v, "\r\n");
      snprintf(value, sizeof(value), "%.*s", (int)len, v);
      return value;
    }
  }
  return NULL;
}

/* One request on its own connection. body may be NULL; body_len (size_t)-1
 * means strlen(body). extra: more header lines ending in \r\n, or NULL. */
static inline int gwc_http_ex(uint16_t port, const char *method, const char *path, const char *bearer,
                              const char *body, size_t body_len, const char *extra, struct gwc_resp *out)
{
  memset(out, 0, sizeof(*out));
  struct gwc_tls t;
  if (gwc_tls_connect(&t, port) != 0)
    return -1;
  if (body && body_len == (size_t)-1)
    body_len = strlen(body);
  char head[2048];
  int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n", method, path,
                   (unsigned)port);
  if (bearer)
    n += snprintf(head + n, sizeof(head) - (size_t)n, "Authorization: Bearer %s\r\n", bearer);
  if (body)
    n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                  body_len);
  if (extra)
    n += snprintf(head + n, sizeof(head) - (size_t)n, "%s", extra);
  n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
  if (gwc_tls_write(&t, head, (size_t)n) != 0 || (body && body_len && gwc_tls_write(&t, body, body_len) != 0)) {
    /* the server may answer early (413) and close; still read what it sent */
  }
  char *buf = malloc(GWC_HTTP_MAX + 1);
  size_t len = 0;
  uint64_t deadline = gwc_now_ms() + GWC_TIMEOUT_MS;
  long want = -1;
  size_t hdr_end = 0;
  while (len < GWC_HTTP_MAX) {
    int r = gwc_tls_read(&t, buf + len, GWC_HTTP_MAX - len, deadline);
    if (r <= 0)
      break;
    len += (size_t)r;
    buf[len] = '\0';
    if (!hdr_end) {
      char *e = strstr(buf, "\r\n\r\n");
      if (e) {
        hdr_end = (size_t)(e - buf) + 4;
        char *cl = strcasestr(buf, "\ncontent-length:");
        if (cl && cl < e)
          want = atol(cl + 16);
      }
    }
    if (hdr_end && want >= 0 && len >= hdr_end + (size_t)want)
      break;
  }
  gwc_tls_close(&t);
  buf[len] = '\0';
  if (!hdr_end || sscanf(buf, "HTTP/1.1 %d", &out->status) != 1) {
    free(buf);
    return -1;
  }
  snprintf(out->headers, sizeof(out->headers), "%.*s", (int)hdr_end, buf);
  out->body_len = len - hdr_end;
  out->body = malloc(out->body_len + 1);
  memcpy(out->body, buf + hdr_end, out->body_len);
  out->body[out->body_len] = '\0';
  free(buf);
  return 0;
}

static inline int gwc_http(uint16_t port, const char *method, const char *path, const char *bearer, const char *body,
                           struct gwc_resp *out)
{
  return gwc_http_ex(port, method, path, bearer, body, (size_t)-1, NULL, out);
}

/* The "error" member of a JSON error body, or "" . */
static inline const char *gwc_error_code(const struct gwc_resp *r)
{
  static char code[64];
  code[0] = '\0';
  json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
  const char *c = json_string_value(json_object_get(j, "error"));
  if (c)
    snprintf(code, sizeof(code), "%s", c);
  json_decref(j);
  return code;
}

/* POST /v1/sessions; returns the token (static buffer) or NULL. */
static inline const char *gwc_token(uint16_t port, const char *app_key, const char *body)
{
  static char token[128];
  struct gwc_resp r;
  if (gwc_http(port, "POST", "/v1/sessions", app_key, body, &r) != 0)
    return NULL;
  json_t *j = r.status == 201 ? json_loads(r.body, 0, NULL) : NULL;
  const char *t = json_string_value(json_object_get(j, "token"));
  const char *res = NULL;
  if (t) {
    snprintf(token, sizeof(token), "%s", t);
    res = token;
  }
  json_decref(j);
  gwc_resp_free(&r);
  return res;
}

/* ----------------------------------------------------------- WebSocket */

struct gwc_ws {
  struct gwc_tls t;
  uint8_t *buf; /* bytes received, not yet parsed */
  size_t len;
  bool closed;
  int close_code; /* from the server's close frame, 0 if none */
};

static inline void gwc_ws_free(struct gwc_ws *w)
{
  gwc_tls_close(&w->t);
  free(w->buf);
  w->buf = NULL;
  w->len = 0;
}

static inline int gwc_ws_fill(struct gwc_ws *w, uint64_t deadline)
{
  if (w->len >= GWC_WS_MAX)
    return -1;
  int r = gwc_tls_read(&w->t, w->buf + w->len, GWC_WS_MAX - w->len, deadline);
  if (r > 0)
    w->len += (size_t)r;
  return r > 0 ? 0 : (r == 0 ? 1 : -1);
}

/* 0: upgraded; otherwise the HTTP status (or -1). */
static inline int gwc_ws_open_path(struct gwc_ws *w, uint16_t port, const char *path)
{
  memset(w, 0, sizeof(*w));
  w->t.fd = -1;
  if (gwc_tls_connect(&w->t, port) != 0)
    return -1;
  w->buf = malloc(GWC_WS_MAX);
  uint8_t nonce[16];
  char key[32];
  RAND_bytes(nonce, sizeof(nonce));
  EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
  char req[512];
  int n = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: https://127.0.0.1:%u\r\n\r\n",
                   path, (unsigned)port, key, (unsigned)port);
  if (gwc_tls_write(&w->t, req, (size_t)n) != 0)
    return -1;
  uint64_t deadline = gwc_now_ms() + GWC_TIMEOUT_MS;
  for (;;) {
    w->buf[w->len < GWC_WS_MAX ? w->len : GWC_WS_MAX - 1] = '\0';
    char *e = w->len ? strstr((char *)w->buf, "\r\n\r\n") : NULL;
    if (e) {
      int status = 0;
      sscanf((char *)w->buf, "HTTP/1.1 %d", &status);
      size_t used = (size_t)(e - (char *)w->buf) + 4;
      memmove(w->buf, w->buf + used, w->len - used);
      w->len -= used;
      return status == 101 ? 0 : (status ? status : -1);
    }
    if (gwc_ws_fill(w, deadline) != 0)
      return -1;
  }
}

static inline int gwc_ws_open(struct gwc_ws *w, uint16_t port)
{
  return gwc_ws_open_path(w, port, "/v1/ws");
}

/* Writes one masked frame (clients must mask, RFC 6455 §5.3) into f, which
 * has room for len + 14 bytes; returns its length. */
static inline size_t gwc_ws_build_frame(uint8_t *f, int opcode, bool fin, const void *data, size_t len)
{
  size_t h = 0;
  f[h++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
  if (len < 126) {
    f[h++] = (uint8_t)(0x80 | len);
  } else if (len <= 0xffff) {
    f[h++] = 0x80 | 126;
    f[h++] = (uint8_t)(len >> 8);
    f[h++] = (uint8_t)len;
  } else {
    f[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--)
      f[h++] = (uint8_t)((uint64_t)len >> (8 * i));
  }
  uint8_t mask[4];
  RAND_bytes(mask, 4);
  memcpy(f + h, mask, 4);
  h += 4;
  const uint8_t *d = data;
  for (size_t i = 0; i < len; i++)
    f[h + i] = d[i] ^ mask[i & 3];
  return h + len;
}

static inline int gwc_ws_send_frame(struct gwc_ws *w, int opcode, bool fin, const void *data, size_t len)
{
  uint8_t *f = malloc(len + 14);
  int rc = gwc_tls_write(&w->t, f, gwc_ws_build_frame(f, opcode, fin, data, len));
  free(f);
  return rc;
}

/* count copies of one text message, written with a single TLS write. */
static inline int gwc_ws_send_burst(struct gwc_ws *w, const char *text, unsigned count)
{
  size_t len = strlen(text), off = 0;
  uint8_t *f = malloc((len + 14) * count);
  for (unsigned i = 0; i < count; i++)
    off += gwc_ws_build_frame(f + off, 1, true, text, len);
  int rc = gwc_tls_write(&w->t, f, off);
  free(f);
  return rc;
}

static inline int gwc_ws_send(struct gwc_ws *w, const char *text)
{
  return gwc_ws_send_frame(w, 1, true, text, strlen(text));
}

static inline int gwc_ws_send_json(struct gwc_ws *w, json_t *obj)
{
  char *text = json_dumps(obj, JSON_COMPACT);
  json_decref(obj);
  int rc = gwc_ws_send(w, text);
  free(text);
  return rc;
}

/* Next text message (malloc'ed) within timeout_ms. Returns 0 with *text,
 * 1 when the server closed (w->close_code set), -1 on timeout or error. */
static inline int gwc_ws_recv(struct gwc_ws *w, int timeout_ms, char **text, size_t *text_len)
{
  uint64_t deadline = gwc_now_ms() + (uint64_t)timeout_ms;
  for (;;) {
    if (w->len >= 2) {
      size_t plen = w->buf[1] & 0x7f, h = 2;
      if (plen == 126 && w->len >= 4) {
        plen = ((size_t)w->buf[2] << 8) | w->buf[3];
        h = 4;
      } else if (plen == 127 && w->len >= 10) {
        plen = 0;
        for (int i = 0; i < 8; i++)
          plen = (plen << 8) | w->buf[2 + i];
        h = 10;
      } else if (plen >= 126) {
        h = 0; /* need more */
      }
      if (h && w->len >= h + plen) {
        int op = w->buf[0] & 0x0f;
        uint8_t *p = w->buf + h;
        int result = 2;
        if (op == 1 || op == 0) {
          *text = malloc(plen + 1);
          memcpy(*text, p, plen);
          (*text)[plen] = '\0';
          if (text_len)
            *text_len = plen;
          result = 0;
        } else if (op == 8) {
          w->close_code = plen >= 2 ? (p[0] << 8) | p[1] : 1005;
          w->closed = true;
          result = 1;
        } else if (op == 9) {
          gwc_ws_send_frame(w, 10, true, p, plen);
        }
        memmove(w->buf, w->buf + h + plen, w->len - h - plen);
        w->len -= h + plen;
        if (result != 2)
          return result;
        continue;
      }
    }
    if (w->closed)
      return 1;
    int r = gwc_ws_fill(w, deadline);
    if (r == 1) {
      w->closed = true;
      return 1;
    }
    if (r < 0)
      return -1;
  }
}

/* Next message as JSON (NULL on timeout, close or bad JSON). */
static inline json_t *gwc_ws_recv_json(struct gwc_ws *w, int timeout_ms)
{
  char *text = NULL;
  if (gwc_ws_recv(w, timeout_ms, &text, NULL) != 0)
    return NULL;
  json_t *j = json_loads(text, 0, NULL);
  free(text);
  return j;
}

/* Waits for the server's close frame (or EOF); returns its code or -1. */
static inline int gwc_ws_wait_close(struct gwc_ws *w, int timeout_ms)
{
  uint64_t deadline = gwc_now_ms() + (uint64_t)timeout_ms;
  for (;;) {
    char *text = NULL;
    uint64_t now = gwc_now_ms();
    if (now >= deadline)
      return -1;
    int r = gwc_ws_recv(w, (int)(deadline - now), &text, NULL);
    free(text);
    if (r == 1)
      return w->close_code;
    if (r < 0)
      return -1;
  }
}

static inline const char *gwc_type(json_t *j)
{
  const char *t = json_string_value(json_object_get(j, "type"));
  return t ? t : "";
}

static inline const char *gwc_str(json_t *j, const char *key)
{
  const char *t = json_string_value(json_object_get(j, key));
  return t ? t : "";
}

#endif
