/* librtcgate-client: the signalling protocol (docs/protocol.md) and the
 * call's life: auth/ready, call -> ringing -> answer, incoming -> answer or
 * reject, secured, hangup, error. One call at a time; a second incoming call
 * is refused as busy. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"
#include "rtcgate/sdp.h"

static const char *jstr(json_t *j, const char *name)
{
  const char *v = json_string_value(json_object_get(j, name));
  return v ? v : "";
}

static bool is_ours(const struct rg_client *c, const char *id)
{
  return c->call.state != CL_CALL_NONE && strcmp(c->call.id, id) == 0;
}

void cl_signal_on_open(struct rg_client *c)
{
  (void)cl_send_json(c, json_pack("{s:s,s:s}", "type", "auth", "token", c->token));
}

static void reset_call(struct rg_client *c)
{
  free(c->call.remote_sdp);
  memset(&c->call, 0, sizeof c->call);
}

/* A new call slot with fresh ICE credentials and SSRC; stats start over. */
static void new_call(struct rg_client *c, const char *id, const char *peer, bool caller, uint64_t now)
{
  reset_call(c);
  memset(&c->st, 0, sizeof c->st);
  c->st.rtt_ms = -1;
  snprintf(c->call.id, sizeof c->call.id, "%s", id);
  snprintf(c->call.peer, sizeof c->call.peer, "%s", peer);
  c->call.caller = caller;
  c->call.t_start = now;
  cl_rand_text(c->call.ufrag, CL_UFRAG_LEN);
  cl_rand_text(c->call.pwd, CL_PWD_LEN);
  do
    cl_rand(&c->call.ssrc, sizeof c->call.ssrc);
  while (c->call.ssrc == 0);
}

/* offer: NULL for our offer; the broker's offer when answering (pt: its payload type of codec). */
static int build_sdp(struct rg_client *c, int setup, int codec, bool both, const char *mid,
                     const struct cl_remote_media *offer, int pt, char **out, char *err, size_t cap)
{
  struct cl_local_media lm;
  char track[CL_UFRAG_LEN + 8], ip[INET6_ADDRSTRLEN];
  snprintf(track, sizeof track, "audio-%s", c->call.ufrag);
  memset(&lm, 0, sizeof lm);
  lm.ufrag = c->call.ufrag;
  lm.pwd = c->call.pwd;
  lm.fp = &c->fp;
  lm.setup = setup;
  lm.addr = &c->local;
  /* Where the socket is now: with no media_ip it may have followed a broker. */
  if (!inet_ntop(c->local.family == RG_AF_INET6 ? AF_INET6 : AF_INET, c->local.ip, ip, sizeof ip))
    snprintf(ip, sizeof ip, "%s", c->media_ip);
  lm.ip = ip;
  lm.ssrc = c->call.ssrc;
  lm.cname = c->user[0] ? c->user : "rtcgate";
  lm.msid_stream = "rtcgate";
  lm.msid_track = track;
  lm.codec_first = codec;
  lm.both_codecs = both;
  lm.mid = mid;
  lm.offer = offer;
  lm.pt_first = pt;
  return cl_sdp_build(&lm, out, err, cap);
}

int cl_call_start(struct rg_client *c, const char *to, uint64_t now)
{
  char id[CL_CALL_ID_LEN + 1], err[RG_CLIENT_TEXT_MAX];
  char *offer = NULL;
  int rc;
  if (!c->ready || c->closed || c->call.state != CL_CALL_NONE)
    return RG_ERR_STATE;
  cl_rand_text(id, CL_CALL_ID_LEN);
  new_call(c, id, to, true, now);
  /* Both codecs, the chosen one first: the callee (or the browser) picks. */
  rc = build_sdp(c, RG_SDP_SETUP_ACTPASS, c->cfg.codec, true, "0", NULL, -1, &offer, err, sizeof err);
  if (rc) {
    reset_call(c);
    return rc;
  }
  rc = cl_send_json(c, json_pack("{s:s,s:s,s:s,s:s}", "type", "call", "call_id", id, "to", to, "sdp", offer));
  free(offer);
  if (rc) {
    reset_call(c);
    return rc;
  }
  c->call.state = CL_CALL_OUTGOING;
  return RG_OK;
}

/* Our DTLS role from the broker's a=setup (RFC 5763 §5). */
static int dtls_role_for(int remote_setup)
{
  return remote_setup == RG_SDP_SETUP_ACTIVE ? RG_DTLS_SERVER : RG_DTLS_CLIENT;
}

int cl_call_answer(struct rg_client *c, const char *id, uint64_t now)
{
  struct cl_remote_media rm;
  char err[RG_CLIENT_TEXT_MAX];
  char *answer = NULL;
  int rc, codec = 0;
  uint8_t pt = 0;
  if (c->call.state != CL_CALL_INCOMING || strcmp(c->call.id, id) != 0)
    return RG_ERR_STATE;
  if (c->cfg.test_remote_sdp_hook)
    c->cfg.test_remote_sdp_hook(c->cfg.user, c->call.remote_sdp, strlen(c->call.remote_sdp));
  rc = cl_sdp_read(c->call.remote_sdp, strlen(c->call.remote_sdp), &rm, err, sizeof err);
  if (rc == RG_OK) {
    /* Our configured codec when offered, else the offer's first we know. */
    codec = rm.codecs[0];
    pt = rm.pts[0];
    for (size_t i = 0; i < rm.n_codecs; i++)
      if (rm.codecs[i] == c->cfg.codec) {
        codec = rm.codecs[i];
        pt = rm.pts[i];
        break;
      }
    if (rm.setup != RG_SDP_SETUP_ACTPASS && rm.setup != RG_SDP_SETUP_PASSIVE && rm.setup != RG_SDP_SETUP_ACTIVE) {
      rc = RG_ERR_MALFORMED;
      snprintf(err, sizeof err, "the offer has no usable a=setup");
    }
  }
  if (rc == RG_OK)
    rc = cl_media_start(c, &rm, codec, pt, dtls_role_for(rm.setup), now, err, sizeof err);
  if (rc == RG_OK)
    rc = build_sdp(c, rm.setup == RG_SDP_SETUP_ACTIVE ? RG_SDP_SETUP_PASSIVE : RG_SDP_SETUP_ACTIVE, codec, false,
                   rm.mid, &rm, pt, &answer, err, sizeof err);
  if (rc == RG_OK) {
    c->call.t_start = now;
    c->call.ice_hold_until = now + CL_CALLEE_ICE_HOLD_US;
    rc = cl_send_json(c, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer));
    free(answer);
  }
  if (rc != RG_OK) {
    cl_report_media_failed(c, err);
    (void)cl_send_json(c, json_pack("{s:s,s:s,s:s}", "type", "reject", "call_id", id, "reason", "media_failed"));
    cl_call_end(c, "media_failed", true, false);
    return rc;
  }
  free(c->call.remote_sdp);
  c->call.remote_sdp = NULL;
  cl_media_drain(c, now);
  return RG_OK;
}

int cl_call_reject(struct rg_client *c, const char *id, const char *reason)
{
  if (c->call.state != CL_CALL_INCOMING || strcmp(c->call.id, id) != 0)
    return RG_ERR_STATE;
  (void)cl_send_json(c, json_pack("{s:s,s:s,s:s}", "type", "reject", "call_id", id, "reason",
                                  reason ? reason : "rejected"));
  cl_call_end(c, reason ? reason : "rejected", true, false);
  return RG_OK;
}

void cl_call_end(struct rg_client *c, const char *reason, bool local, bool send_hangup)
{
  struct rg_client_event ev;
  char id[RG_CLIENT_ID_MAX], peer[RG_CLIENT_ID_MAX], why[RG_CLIENT_TEXT_MAX];
  if (c->call.state == CL_CALL_NONE)
    return;
  snprintf(id, sizeof id, "%s", c->call.id);
  snprintf(peer, sizeof peer, "%s", c->call.peer);
  snprintf(why, sizeof why, "%s", reason);
  if (send_hangup && !c->closed)
    (void)cl_send_json(c, json_pack("{s:s,s:s,s:s}", "type", "hangup", "call_id", id, "reason", why));
  cl_media_stop(c, rg_client_now_us());
  reset_call(c);
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_HANGUP;
  ev.call_id = id;
  ev.peer = peer;
  ev.reason = why;
  ev.local = local;
  cl_emit(c, &ev);
}

static void on_incoming(struct rg_client *c, json_t *j, const char *id, uint64_t now)
{
  struct rg_client_event ev;
  const char *sdp = jstr(j, "sdp");
  if (c->call.state != CL_CALL_NONE) {
    (void)cl_send_json(c, json_pack("{s:s,s:s,s:s}", "type", "reject", "call_id", id, "reason", "busy"));
    return;
  }
  if (strlen(sdp) == 0 || strlen(sdp) > CL_SDP_MAX || strlen(id) >= RG_CLIENT_ID_MAX) {
    (void)cl_send_json(c, json_pack("{s:s,s:s,s:s}", "type", "reject", "call_id", id, "reason", "media_failed"));
    return;
  }
  new_call(c, id, jstr(j, "from"), false, now);
  snprintf(c->call.display, sizeof c->call.display, "%s", jstr(j, "display_name"));
  c->call.remote_sdp = strdup(sdp);
  if (!c->call.remote_sdp) {
    reset_call(c);
    return;
  }
  c->call.state = CL_CALL_INCOMING;
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_INCOMING;
  ev.call_id = c->call.id;
  ev.peer = c->call.peer;
  ev.display_name = c->call.display;
  cl_emit(c, &ev);
  if (c->cfg.auto_answer && c->call.state == CL_CALL_INCOMING && strcmp(c->call.id, id) == 0)
    (void)cl_call_answer(c, id, now);
}

static void on_answer(struct rg_client *c, json_t *j, uint64_t now)
{
  struct cl_remote_media rm;
  struct rg_client_event ev;
  char err[RG_CLIENT_TEXT_MAX];
  size_t len;
  char *sdp;
  int rc;
  if (c->call.state != CL_CALL_OUTGOING)
    return;
  len = strlen(jstr(j, "sdp"));
  sdp = strdup(jstr(j, "sdp"));
  if (!sdp)
    return;
  if (c->cfg.test_remote_sdp_hook)
    c->cfg.test_remote_sdp_hook(c->cfg.user, sdp, len);
  rc = cl_sdp_read(sdp, len, &rm, err, sizeof err);
  free(sdp);
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_ANSWER;
  ev.call_id = c->call.id;
  ev.peer = c->call.peer;
  cl_emit(c, &ev);
  if (c->call.state != CL_CALL_OUTGOING)
    return; /* the callback hung up */
  if (rc == RG_OK && rm.setup != RG_SDP_SETUP_ACTIVE && rm.setup != RG_SDP_SETUP_PASSIVE) {
    rc = RG_ERR_MALFORMED;
    snprintf(err, sizeof err, "the answer's a=setup is neither active nor passive");
  }
  /* The answer names one codec; the first format is the one to send. */
  if (rc == RG_OK)
    rc = cl_media_start(c, &rm, rm.codecs[0], rm.pts[0], dtls_role_for(rm.setup), now, err, sizeof err);
  if (rc != RG_OK) {
    cl_report_media_failed(c, err);
    cl_call_end(c, "media_failed", true, true);
    return;
  }
  cl_media_drain(c, now);
}

static void on_secured_msg(struct rg_client *c, json_t *j)
{
  struct rg_client_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_BROKER_SECURED;
  ev.call_id = c->call.id;
  ev.peer = c->call.peer;
  ev.dtls_version = jstr(j, "dtls_version");
  ev.dtls_cipher = jstr(j, "dtls_cipher");
  ev.srtp_profile = jstr(j, "srtp_profile");
  cl_emit(c, &ev);
}

static void on_error_msg(struct rg_client *c, json_t *j, const char *id)
{
  struct rg_client_event ev;
  bool about_call = id[0] && is_ours(c, id);
  memset(&ev, 0, sizeof ev);
  ev.type = RG_CLIENT_EV_ERROR;
  ev.call_id = id[0] ? id : NULL;
  ev.reason = jstr(j, "code");
  ev.message = jstr(j, "message");
  cl_emit(c, &ev);
  if (!about_call || !is_ours(c, id))
    return;
  /* An error about our own call means the server dropped it (bad_sdp,
   * limit, busy, ...); after ringing it still holds it, so say hangup. */
  cl_call_end(c, jstr(j, "code")[0] ? jstr(j, "code") : "normal", false, c->call.state != CL_CALL_OUTGOING);
}

void cl_signal_on_text(struct rg_client *c, const char *text, size_t len)
{
  json_error_t je;
  json_t *j = json_loadb(text, len, 0, &je);
  const char *type, *id;
  uint64_t now = rg_client_now_us();
  struct rg_client_event ev;
  if (!json_is_object(j)) {
    json_decref(j);
    return;
  }
  type = jstr(j, "type");
  id = jstr(j, "call_id");
  memset(&ev, 0, sizeof ev);
  if (strcmp(type, "ready") == 0) {
    c->ready = true;
    c->next_ping = now + CL_WS_PING_US;
    snprintf(c->user, sizeof c->user, "%s", jstr(j, "user"));
    ev.type = RG_CLIENT_EV_READY;
    ev.peer = c->user;
    ev.display_name = jstr(j, "display_name");
    cl_emit(c, &ev);
  } else if (strcmp(type, "incoming") == 0) {
    on_incoming(c, j, id, now);
  } else if (strcmp(type, "ringing") == 0 && is_ours(c, id)) {
    ev.type = RG_CLIENT_EV_RINGING;
    ev.call_id = c->call.id;
    ev.peer = c->call.peer;
    cl_emit(c, &ev);
  } else if (strcmp(type, "answer") == 0 && is_ours(c, id)) {
    on_answer(c, j, now);
  } else if (strcmp(type, "secured") == 0 && is_ours(c, id)) {
    on_secured_msg(c, j);
  } else if (strcmp(type, "hangup") == 0 && is_ours(c, id)) {
    cl_call_end(c, jstr(j, "reason")[0] ? jstr(j, "reason") : "normal", false, false);
  } else if (strcmp(type, "error") == 0) {
    on_error_msg(c, j, id);
  }
  /* Anything else (unknown types, other calls' ids) is ignored: the server
   * may add message types. */
  json_decref(j);
}
