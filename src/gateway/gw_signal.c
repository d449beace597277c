/* rtcgate gateway — one text frame from a client: parse (gw_signal_parse.c),
 * then act: authenticate, refuse, or dispatch to the call state machine.
 *
 * Before authentication the only acceptable frame is a valid auth; anything
 * else ends the socket with error unauthorized and close code 4401. After it,
 * a frame that is not a JSON object with a known "type" and the fields that
 * type needs gets error bad_message and the socket stays open, unless that
 * happens GW_WS_BAD_MAX times in a row.
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

static void authenticate(struct gw_conn *c, const char *token, size_t token_len)
{
  struct gw_claims claims;
  uint8_t hash[32];
  if (gw_tokens_check(&c->gw->tokens, token, token_len, gw_unix_now(), &claims, hash) != 0) {
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
  gw_conn_preauth_done(c);
  fprintf(stderr, "rtcgate: gateway: user %s connected\n", claims.user);
  gw_conn_send(c, json_pack("{s:s,s:s,s:s}", "type", "ready", "user", claims.user, "display_name",
                            claims.display_name));
}

/* A valid message from an authenticated user: to the call state machine. */
static void dispatch(struct gw_conn *c, const struct gw_sig_msg *m)
{
  c->bad_streak = 0;
  switch (m->type) {
  case GW_SIG_CALL:
    gw_call_start(c, m->call_id, m->to, m->sdp, m->sdp_len);
    break;
  case GW_SIG_ANSWER:
    gw_call_answer(c, m->call_id, m->sdp, m->sdp_len);
    break;
  case GW_SIG_REJECT:
    gw_call_reject(c, m->call_id, m->reason ? m->reason : "rejected");
    break;
  default: /* GW_SIG_HANGUP */
    gw_call_hangup(c, m->call_id, m->reason ? m->reason : "normal");
    break;
  }
}

void gw_signal_handle(struct gw_conn *c, const char *text, size_t len)
{
  struct gw_sig_msg m;
  int rc = gw_signal_parse(text, len, &m);
  if (!c->authed) {
    if (rc == 0 && m.type == GW_SIG_AUTH)
      authenticate(c, m.token, m.token_len);
    else
      refuse_auth(c, GW_SIG_FIRST_FRAME);
  } else if (m.type == GW_SIG_AUTH) {
    bad(c, NULL, "already authenticated");
  } else if (rc) {
    bad(c, m.call_id, m.error);
  } else {
    dispatch(c, &m);
  }
  gw_signal_msg_free(&m);
}
