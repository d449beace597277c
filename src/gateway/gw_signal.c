/* rtcgate gateway — one text frame from a client: parse, check, dispatch.
 *
 * Before authentication the only acceptable frame is a valid auth; anything
 * else ends the socket with error unauthorized and close code 4401. After it,
 * a frame that is not a JSON object with a known "type" and the fields that
 * type needs gets error bad_message and the socket stays open, unless that
 * happens GW_WS_BAD_MAX times in a row. Fields a type does not use are
 * ignored, so clients may add their own.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_internal.h"

static void bad(struct gw_conn *c, const char *call_id, const char *message)
{
  c->gw->m.ws_bad_frames++;
  gw_conn_send_error(c, call_id, "bad_message", message);
  if (++c->bad_streak >= GW_WS_BAD_MAX) {
    c->gw->m.ws_closed_abuse++;
    fprintf(stderr, "rtcgate: gateway: closing the socket of %s after %d bad frames in a row\n", c->claims.user,
            GW_WS_BAD_MAX);
    gw_conn_close(c, GW_CLOSE_BAD_FRAMES, "too many bad frames");
  }
}

static void refuse_auth(struct gw_conn *c, const char *message)
{
  c->gw->m.tokens_rejected++;
  gw_conn_send_error(c, NULL, "unauthorized", message);
  gw_conn_close(c, GW_CLOSE_UNAUTHORIZED, "unauthorized");
}

static void authenticate(struct gw_conn *c, json_t *j)
{
  json_t *tok = json_object_get(j, "token");
  if (!json_is_string(tok)) {
    refuse_auth(c, "the first frame must be {\"type\":\"auth\",\"token\":T}");
    return;
  }
  struct gw_claims claims;
  uint8_t hash[32];
  if (gw_tokens_check(&c->gw->tokens, json_string_value(tok), json_string_length(tok), gw_unix_now(), &claims,
                      hash) != 0) {
    refuse_auth(c, "invalid, expired or revoked token");
    return;
  }
  struct gw_conn *old = gw_conn_find_user(c->gw, claims.user);
  if (old) {
    fprintf(stderr, "rtcgate: gateway: user %s connected again; closing the older socket\n", claims.user);
    gw_conn_close(old, GW_CLOSE_REPLACED, "replaced");
  }
  c->claims = claims;
  memcpy(c->token_hash, hash, sizeof(hash));
  c->authed = true;
  fprintf(stderr, "rtcgate: gateway: user %s connected\n", claims.user);
  gw_conn_send(c, json_pack("{s:s,s:s,s:s}", "type", "ready", "user", claims.user, "display_name",
                            claims.display_name));
}

/* A required string field; NULL if absent or not a string. */
static const char *str_field(json_t *j, const char *name, size_t *len)
{
  json_t *v = json_object_get(j, name);
  if (!json_is_string(v))
    return NULL;
  if (len)
    *len = json_string_length(v);
  return json_string_value(v);
}

static void dispatch(struct gw_conn *c, json_t *j, const char *type)
{
  size_t id_len = 0, sdp_len = 0, to_len = 0;
  const char *id = str_field(j, "call_id", &id_len);
  if (strcmp(type, "auth") == 0) {
    bad(c, NULL, "already authenticated");
    return;
  }
  bool known = !strcmp(type, "call") || !strcmp(type, "answer") || !strcmp(type, "reject") ||
               !strcmp(type, "hangup");
  if (!known) {
    bad(c, NULL, "unknown type");
    return;
  }
  if (!id || !gw_valid_call_id(id, id_len)) {
    bad(c, NULL, "call_id must be a string matching [A-Za-z0-9_-]{8,64}");
    return;
  }
  if (strcmp(type, "call") == 0 || strcmp(type, "answer") == 0) {
    const char *sdp = str_field(j, "sdp", &sdp_len);
    if (!sdp || sdp_len == 0) {
      bad(c, id, "sdp must be a non-empty string");
      return;
    }
    if (type[0] == 'a') {
      c->bad_streak = 0;
      gw_call_answer(c, id, sdp, sdp_len);
      return;
    }
    const char *to = str_field(j, "to", &to_len);
    if (!to || !gw_valid_user(to, to_len)) {
      bad(c, id, "to must be a user name matching [A-Za-z0-9._-]{1,64}");
      return;
    }
    c->bad_streak = 0;
    gw_call_start(c, id, to, sdp, sdp_len);
    return;
  }
  json_t *r = json_object_get(j, "reason");
  const char *reason = NULL;
  if (r) {
    reason = json_string_value(r);
    if (!reason || !gw_reason_valid(reason)) {
      bad(c, id, "reason must be one of normal, rejected, busy, not_found, forbidden, media_failed, timeout, gone");
      return;
    }
  }
  c->bad_streak = 0;
  if (type[0] == 'r')
    gw_call_reject(c, id, reason ? reason : "rejected");
  else
    gw_call_hangup(c, id, reason ? reason : "normal");
}

void gw_signal_handle(struct gw_conn *c, const char *text, size_t len)
{
  json_error_t je;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  const char *type = json_is_object(j) ? json_string_value(json_object_get(j, "type")) : NULL;
  if (!c->authed) {
    if (type && strcmp(type, "auth") == 0)
      authenticate(c, j);
    else
      refuse_auth(c, "the first frame must be {\"type\":\"auth\",\"token\":T}");
  } else if (!j) {
    bad(c, NULL, "invalid JSON");
  } else if (!type) {
    bad(c, NULL, "a frame must be a JSON object with a string \"type\"");
  } else {
    dispatch(c, j, type);
  }
  json_decref(j);
}
