/* rtcgate gateway — POST /v1/sessions, DELETE /v1/sessions/<token>,
 * POST /demo/token (docs/protocol.md "HTTP API"), and the end of a session
 * when its token expires. */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

#define GW_DEMO_TTL_S 3600

static int issue(struct gw *gw, struct lws *wsi, struct gw_http_req *req, struct gw_claims *c, int64_t ttl)
{
  int64_t now = gw_unix_now();
  if (ttl > (int64_t)gw->cfg.max_token_ttl_s) /* the operator's cap wins over the back end's ttl_s */
    ttl = (int64_t)gw->cfg.max_token_ttl_s;
  c->expires_at = now + ttl;
  char token[GW_TOKEN_TEXT_LEN + 1];
  int rc = gw_tokens_issue(&gw->tokens, c, now, token);
  if (rc == RG_ERR_TOO_LARGE)
    return gw_http_error(wsi, req, 503, "limit", "too many live tokens");
  if (rc)
    return gw_http_error(wsi, req, 500, "internal", "cannot make a token");
  gw->m.tokens_issued++;
  char when[32];
  gw_rfc3339(c->expires_at, when);
  fprintf(stderr, "rtcgate: gateway: token issued for user %s, expires %s\n", c->user, when);
  json_t *o = json_pack("{s:s,s:s,s:s}", "token", token, "user", c->user, "expires_at", when);
  memset(token, 0, sizeof(token));
  return gw_http_json(wsi, req, 201, o);
}

static json_t *parse_body(struct gw_http_req *req, char *err, size_t cap)
{
  return gw_body_parse(req->body, req->body_len, err, cap);
}

int gw_route_sessions_post(struct gw *gw, struct lws *wsi, struct gw_http_req *req)
{
  if (!gw_http_app_key_ok(gw, req))
    return gw_http_error(wsi, req, 401, "unauthorized", "a valid application key is required (Authorization: Bearer)");
  char err[200];
  json_t *body = parse_body(req, err, sizeof(err));
  if (!body)
    return gw_http_error(wsi, req, 400, "bad_request", err);
  struct gw_claims c;
  int64_t ttl;
  int rc = gw_claims_parse(body, &c, &ttl, err, sizeof(err));
  json_decref(body);
  if (rc)
    return gw_http_error(wsi, req, 400, "bad_request", err);
  return issue(gw, wsi, req, &c, ttl);
}

int gw_route_demo_token(struct gw *gw, struct lws *wsi, struct gw_http_req *req)
{
  if (!req->loopback)
    return gw_http_error(wsi, req, 403, "forbidden", "demo tokens are only given to loopback clients");
  char err[200];
  json_t *body = parse_body(req, err, sizeof(err));
  if (!body)
    return gw_http_error(wsi, req, 400, "bad_request", err);
  json_t *user = json_object_get(body, "user");
  bool ok = json_is_object(body) && json_object_size(body) == 1 && json_is_string(user) &&
            gw_valid_user(json_string_value(user), json_string_length(user));
  if (!ok) {
    json_decref(body);
    return gw_http_error(wsi, req, 400, "bad_request", "expected {\"user\": NAME} with NAME in [A-Za-z0-9._-]{1,64}");
  }
  struct gw_claims c;
  memset(&c, 0, sizeof(c));
  memcpy(c.user, json_string_value(user), json_string_length(user) + 1);
  memcpy(c.display_name, c.user, sizeof(c.user));
  c.dest_any = true;
  c.media = GW_MEDIA_AUDIO | GW_MEDIA_VIDEO;
  json_decref(body);
  return issue(gw, wsi, req, &c, GW_DEMO_TTL_S);
}

int gw_route_sessions_delete(struct gw *gw, struct lws *wsi, struct gw_http_req *req, const char *token)
{
  if (!gw_http_app_key_ok(gw, req))
    return gw_http_error(wsi, req, 401, "unauthorized", "a valid application key is required (Authorization: Bearer)");
  uint8_t hash[32];
  if (gw_tokens_revoke(&gw->tokens, token, strlen(token), hash) != 0)
    return gw_http_error(wsi, req, 404, "not_found", "no such live token");
  /* The socket that authenticated with this token goes, and its call ends. */
  for (struct gw_conn *c = gw->conns; c; c = c->next) {
    if (c->authed && memcmp(c->token_hash, hash, sizeof(hash)) == 0) {
      fprintf(stderr, "rtcgate: gateway: token of user %s revoked; closing its socket\n", c->claims.user);
      gw_conn_send_error(c, NULL, "unauthorized", "session revoked");
      gw_conn_close(c, GW_CLOSE_UNAUTHORIZED, "revoked");
    }
  }
  return gw_http_respond(wsi, req, 204, "application/json", "", 0);
}

/* Expired means no longer authorised, exactly as revoked does: the token goes
 * and so does every socket that authenticated with it (its call ends). Each
 * socket carries its token's expiry in its claims, so no lookup is needed. */
void gw_sessions_expire(struct gw *gw, int64_t now)
{
  gw_tokens_purge(&gw->tokens, now);
  for (struct gw_conn *c = gw->conns; c; c = c->next) {
    if (c->authed && !c->close_code && c->claims.expires_at <= now) {
      fprintf(stderr, "rtcgate: gateway: token of user %s expired; closing its socket\n", c->claims.user);
      gw->m.sessions_expired++;
      gw_conn_send_error(c, NULL, "unauthorized", "session expired");
      gw_conn_close(c, GW_CLOSE_UNAUTHORIZED, "expired");
    }
  }
}
