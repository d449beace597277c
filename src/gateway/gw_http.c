/* rtcgate gateway — HTTP requests: collect, route, respond.
 *
 * Bodies are bounded (GW_HTTP_BODY_MAX; a larger Content-Length is refused
 * before any byte is read) and every response is small JSON written in one
 * lws_write from the WRITEABLE callback, which is what lws guarantees to
 * accept without blocking.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "gateway/gw_internal.h"

#define GW_HDR_BUF 2048

static void req_free(struct gw_pss *pss)
{
  struct gw_http_req *r = pss ? pss->req : NULL;
  if (!r)
    return;
  free(r->body);
  free(r->resp);
  OPENSSL_cleanse(r->auth, sizeof(r->auth));
  free(r);
  pss->req = NULL;
}

bool gw_addr_is_loopback(const struct sockaddr *sa, socklen_t len)
{
  if (!sa || len < (socklen_t)sizeof(sa_family_t))
    return false;
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in a;
    memcpy(&a, sa, sizeof(a));
    return (ntohl(a.sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 a;
    memcpy(&a, sa, sizeof(a));
    if (IN6_IS_ADDR_LOOPBACK(&a.sin6_addr))
      return true;
    /* A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d. */
    return IN6_IS_ADDR_V4MAPPED(&a.sin6_addr) && a.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

static bool peer_is_loopback(struct lws *wsi)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  int fd = lws_get_socket_fd(wsi);
  if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
    return false;
  return gw_addr_is_loopback((const struct sockaddr *)&ss, sl);
}

static int method_of(struct lws *wsi)
{
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
    return GW_GET;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
    return GW_POST;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0)
    return GW_DELETE;
  return GW_OTHER;
}

bool gw_http_app_key_ok(struct gw *gw, const struct gw_http_req *req)
{
  static const char scheme[] = "Bearer ";
  size_t n = strlen(req->auth);
  if (!req->auth_ok_len || n <= sizeof(scheme) - 1 || strncasecmp(req->auth, scheme, sizeof(scheme) - 1) != 0) {
    gw->m.app_key_rejected++;
    return false;
  }
  uint8_t h[32];
  gw_sha256(req->auth + sizeof(scheme) - 1, n - (sizeof(scheme) - 1), h);
  if (CRYPTO_memcmp(h, gw->app_key_hash, sizeof(h)) != 0) {
    gw->m.app_key_rejected++;
    return false;
  }
  return true;
}

int gw_http_respond(struct lws *wsi, struct gw_http_req *req, unsigned status, const char *type, const char *body,
                    size_t len)
{
  unsigned char hdr[LWS_PRE + GW_HDR_BUF];
  unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
  static const char nosniff[] = "nosniff", nostore[] = "no-store";
  if (lws_add_http_common_headers(wsi, status, type, len, &p, end) ||
      lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                  (const unsigned char *)nosniff, (int)sizeof(nosniff) - 1, &p, end) ||
      lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)nostore,
                                  (int)sizeof(nostore) - 1, &p, end))
    return -1;
  if (req->close_after &&
      lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end))
    return -1;
  if (lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  if (len == 0) {
    if (req->close_after)
      return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  free(req->resp);
  req->resp = malloc(LWS_PRE + len);
  if (!req->resp)
    return -1;
  memcpy(req->resp + LWS_PRE, body, len);
  req->resp_len = len;
  lws_callback_on_writable(wsi);
  return 0;
}

int gw_http_json(struct lws *wsi, struct gw_http_req *req, unsigned status, json_t *obj)
{
  char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
  json_decref(obj);
  if (!text)
    return -1;
  int rc = gw_http_respond(wsi, req, status, "application/json", text, strlen(text));
  free(text);
  return rc;
}

int gw_http_error(struct lws *wsi, struct gw_http_req *req, unsigned status, const char *code, const char *detail)
{
  return gw_http_json(wsi, req, status, json_pack("{s:s,s:s}", "error", code, "detail", detail));
}

static bool starts(const char *s, const char *prefix, const char **rest)
{
  size_t n = strlen(prefix);
  if (strncmp(s, prefix, n) != 0)
    return false;
  *rest = s + n;
  return true;
}

static int route(struct gw *gw, struct lws *wsi, struct gw_http_req *req)
{
  const char *u = req->uri, *rest;
  int m = req->method;
  if (strcmp(u, "/v1/sessions") == 0)
    return m == GW_POST ? gw_route_sessions_post(gw, wsi, req)
                        : gw_http_error(wsi, req, 405, "method_not_allowed", "use POST");
  if (starts(u, "/v1/sessions/", &rest))
    return m == GW_DELETE ? gw_route_sessions_delete(gw, wsi, req, rest)
                          : gw_http_error(wsi, req, 405, "method_not_allowed", "use DELETE");
  if (starts(u, "/v1/calls/", &rest))
    return m == GW_GET ? gw_route_call_get(gw, wsi, req, rest)
                       : gw_http_error(wsi, req, 405, "method_not_allowed", "use GET");
  if (strcmp(u, "/v1/health") == 0)
    return m == GW_GET ? gw_route_health(gw, wsi, req) : gw_http_error(wsi, req, 405, "method_not_allowed", "use GET");
  if (strcmp(u, "/metrics") == 0)
    return m == GW_GET ? gw_route_metrics(gw, wsi, req)
                       : gw_http_error(wsi, req, 405, "method_not_allowed", "use GET");
  if (strcmp(u, "/demo/token") == 0 && gw->cfg.demo)
    return m == GW_POST ? gw_route_demo_token(gw, wsi, req)
                        : gw_http_error(wsi, req, 405, "method_not_allowed", "use POST");
  if (m == GW_GET)
    return gw_route_static(gw, wsi, req, u);
  return gw_http_error(wsi, req, 404, "not_found", "no such resource");
}

static int on_request(struct gw *gw, struct lws *wsi, struct gw_pss *pss, const char *uri)
{
  req_free(pss);
  struct gw_http_req *req = calloc(1, sizeof(*req));
  if (!req)
    return -1;
  pss->req = req;
  req->method = method_of(wsi);
  req->loopback = peer_is_loopback(wsi);
  if (strlen(uri) >= sizeof(req->uri)) {
    req->close_after = true;
    return gw_http_error(wsi, req, 414, "too_large", "URI too long");
  }
  snprintf(req->uri, sizeof(req->uri), "%s", uri);
  int alen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  if (alen > 0 && alen <= GW_HTTP_AUTH_MAX &&
      lws_hdr_copy(wsi, req->auth, sizeof(req->auth), WSI_TOKEN_HTTP_AUTHORIZATION) == alen)
    req->auth_ok_len = true;
  if (req->method == GW_OTHER) {
    req->close_after = true;
    return gw_http_error(wsi, req, 405, "method_not_allowed", "GET, POST or DELETE");
  }
  if (req->method == GW_POST) {
    char cl[24] = "";
    long long n = 0;
    if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
      n = atoll(cl);
    if (n > GW_HTTP_BODY_MAX || n < 0) {
      req->close_after = true; /* the unread body would otherwise be parsed as the next request */
      return gw_http_error(wsi, req, 413, "too_large", "request body over 65536 bytes");
    }
    if (n > 0)
      return 0; /* wait for LWS_CALLBACK_HTTP_BODY_COMPLETION */
  }
  return route(gw, wsi, req);
}

static int on_body(struct gw_http_req *req, const void *in, size_t len)
{
  if (req->body_too_large)
    return 0;
  if (req->body_len + len > GW_HTTP_BODY_MAX) {
    req->body_too_large = true;
    return 0;
  }
  char *nb = realloc(req->body, req->body_len + len + 1);
  if (!nb)
    return -1;
  memcpy(nb + req->body_len, in, len);
  req->body = nb;
  req->body_len += len;
  req->body[req->body_len] = '\0';
  return 0;
}

static int on_writeable(struct lws *wsi, struct gw_http_req *req)
{
  if (!req || !req->resp)
    return 0;
  int n = lws_write(wsi, req->resp + LWS_PRE, req->resp_len, LWS_WRITE_HTTP_FINAL);
  free(req->resp);
  req->resp = NULL;
  if (n < 0 || req->close_after)
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int gw_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  struct gw_pss *pss = user;
  struct gw *gw = lws_context_user(lws_get_context(wsi));
  switch (reason) {
  case LWS_CALLBACK_HTTP:
    return on_request(gw, wsi, pss, in ? (const char *)in : "/");
  case LWS_CALLBACK_HTTP_BODY:
    return pss->req ? on_body(pss->req, in, len) : -1;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    if (!pss->req)
      return -1;
    if (pss->req->body_too_large) {
      pss->req->close_after = true;
      return gw_http_error(wsi, pss->req, 413, "too_large", "request body over 65536 bytes");
    }
    return route(gw, wsi, pss->req);
  case LWS_CALLBACK_HTTP_WRITEABLE:
    return on_writeable(wsi, pss ? pss->req : NULL);
  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    req_free(pss);
    break;
  default:
    break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}
