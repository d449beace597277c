/* librtcgate-client: minting a session token (POST /v1/sessions with the
 * application key). Blocking and bounded: a back-end helper for tools and
 * tests, not part of the event loop. */
#include <errno.h>
#include <jansson.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"

#define HTTP_TIMEOUT_MS 10000
#define HTTP_RESPONSE_MAX 65536

static uint64_t ms_now(void)
{
  return rg_client_now_us() / 1000u;
}

/* Waits for the socket as OpenSSL asked; false at the deadline. */
static bool wait_io(SSL *ssl, int fd, int ret, uint64_t deadline)
{
  int e = SSL_get_error(ssl, ret);
  struct pollfd p = {.fd = fd};
  uint64_t now = ms_now();
  if (e == SSL_ERROR_WANT_READ)
    p.events = POLLIN;
  else if (e == SSL_ERROR_WANT_WRITE)
    p.events = POLLOUT;
  else
    return false;
  if (now >= deadline)
    return false;
  return poll(&p, 1, (int)(deadline - now)) > 0;
}

int rg_client_mint_token(const char *server, const struct rg_client_tls *tls, const char *app_key, const char *user,
                         uint32_t ttl_s, char *token, size_t cap, char *err, size_t err_cap)
{
  struct cl_url u;
  SSL_CTX *ctx = NULL;
  SSL *ssl = NULL;
  uint8_t pin[32];
  int fd = -1, rc, status = 0;
  char *body = NULL, *req = NULL, *resp = NULL;
  size_t rlen = 0;
  uint64_t deadline = ms_now() + HTTP_TIMEOUT_MS;
  json_t *j = NULL;
  if (!server || !tls || !app_key || !user || !token) {
    snprintf(err, err_cap, "missing argument");
    return RG_ERR_INVAL;
  }
  if ((rc = cl_url_parse(server, &u)) != RG_OK) {
    snprintf(err, err_cap, "bad server URL %s", server);
    return rc;
  }
  if (tls->verify == RG_CLIENT_VERIFY_PIN && cl_pin_parse(tls->pin_sha256, pin) != RG_OK) {
    snprintf(err, err_cap, "bad pin");
    return RG_ERR_INVAL;
  }
  if ((rc = cl_tls_ctx_new(tls, &ctx, err, err_cap)) != RG_OK)
    return rc;
  if ((rc = cl_tcp_connect(&u, &fd)) != RG_OK) {
    snprintf(err, err_cap, "cannot connect to %s:%u", u.host, (unsigned)u.port);
    goto done;
  }
  if ((rc = cl_tls_ssl_new(ctx, tls, &u, pin, fd, &ssl)) != RG_OK) {
    snprintf(err, err_cap, "TLS setup failed");
    goto done;
  }
  for (;;) {
    int r = SSL_connect(ssl);
    if (r == 1)
      break;
    if (!wait_io(ssl, fd, r, deadline)) {
      cl_tls_error_text(ssl, r, err, err_cap);
      rc = RG_ERR_AUTH;
      goto done;
    }
  }
  {
    json_t *jb = json_pack("{s:s,s:s,s:[s],s:[s],s:i}", "user", user, "display_name", user,
                           "allowed_destinations", "*", "media", "audio", "ttl_s", (json_int_t)ttl_s);
    body = jb ? json_dumps(jb, JSON_COMPACT) : NULL;
    json_decref(jb);
  }
  if (!body) {
    rc = RG_ERR_NOMEM;
    goto done;
  }
  {
    bool v6 = strchr(u.host, ':') != NULL;
    int n = asprintf(&req,
                     "POST /v1/sessions HTTP/1.1\r\nHost: %s%s%s:%u\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     v6 ? "[" : "", u.host, v6 ? "]" : "", (unsigned)u.port, app_key, strlen(body), body);
    if (n < 0) {
      req = NULL;
      rc = RG_ERR_NOMEM;
      goto done;
    }
    for (size_t off = 0; off < (size_t)n;) {
      int w = SSL_write(ssl, req + off, (int)((size_t)n - off));
      if (w > 0) {
        off += (size_t)w;
      } else if (!wait_io(ssl, fd, w, deadline)) {
        snprintf(err, err_cap, "request not sent");
        rc = RG_ERR_CLOSED;
        goto done;
      }
    }
  }
  resp = malloc(HTTP_RESPONSE_MAX + 1);
  if (!resp) {
    rc = RG_ERR_NOMEM;
    goto done;
  }
  for (;;) {
    int r = SSL_read(ssl, resp + rlen, (int)(HTTP_RESPONSE_MAX - rlen));
    if (r > 0) {
      rlen += (size_t)r;
      if (rlen >= HTTP_RESPONSE_MAX)
        break;
      continue;
    }
    if (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN || SSL_get_error(ssl, r) == SSL_ERROR_SYSCALL)
      break;
    if (!wait_io(ssl, fd, r, deadline))
      break;
  }
  ERR_clear_error();
  resp[rlen] = '\0';
  {
    char *b = strstr(resp, "\r\n\r\n");
    if (sscanf(resp, "HTTP/1.1 %d", &status) != 1 || !b) {
      snprintf(err, err_cap, "no HTTP response");
      rc = RG_ERR_MALFORMED;
      goto done;
    }
    j = json_loads(b + 4, JSON_DISABLE_EOF_CHECK, NULL);
  }
  if (status != 201 || !json_is_string(json_object_get(j, "token"))) {
    snprintf(err, err_cap, "POST /v1/sessions: HTTP %d %s", status,
             json_string_value(json_object_get(j, "error")) ? json_string_value(json_object_get(j, "error")) : "");
    rc = status == 401 ? RG_ERR_AUTH : RG_ERR_MALFORMED;
    goto done;
  }
  if (json_string_length(json_object_get(j, "token")) >= cap) {
    rc = RG_ERR_BUFFER;
    goto done;
  }
  snprintf(token, cap, "%s", json_string_value(json_object_get(j, "token")));
  rc = RG_OK;
done:
  json_decref(j);
  free(resp);
  free(req);
  free(body);
  if (ssl)
    SSL_free(ssl);
  if (fd >= 0)
    close(fd);
  SSL_CTX_free(ctx);
  return rc;
}
