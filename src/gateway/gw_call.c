/* rtcgate gateway — the per-call state machine.
 *
 *   (none) --call--> RINGING --answer--> ACTIVE
 *   RINGING/ACTIVE --reject/hangup/socket gone/broker LEG_FAILED/ring timeout--> (ended)
 *
 * A user is in at most one call at a time: a second `call` from a user in a
 * call gets error busy; a call to a user in a call ends with hangup busy.
 * Call outcomes (forbidden, not_found, busy, timeout, ...) reach the caller
 * as hangup frames; protocol mistakes as error frames (docs/protocol.md).
 * Both users are held to their tokens' media kinds: the caller's offer at
 * `call`, the callee's answer at `answer` (hangup forbidden for both).
 * Ending a call first detaches it from both sockets, so sending the hangups
 * (which may drop a socket whose queue is full) cannot re-enter it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

const char *gw_call_state_name(int state)
{
  return state == GW_CALL_ACTIVE ? "active" : "ringing";
}

struct gw_call *gw_call_find(struct gw *gw, const char *id)
{
  for (struct gw_call *c = gw->calls; c; c = c->next)
    if (strcmp(c->id, id) == 0)
      return c;
  return NULL;
}

static void send_hangup(struct gw_conn *c, const char *id, const char *reason)
{
  gw_conn_send(c, json_pack("{s:s,s:s,s:s}", "type", "hangup", "call_id", id, "reason", reason));
}

void gw_call_end(struct gw_call *call, const char *reason, const struct gw_conn *except)
{
  struct gw *gw = call->gw;
  struct gw_conn *legs[2] = {call->leg[0], call->leg[1]};
  for (int i = 0; i < 2; i++)
    if (legs[i] && legs[i]->call == call)
      legs[i]->call = NULL;
  if (call->prev)
    call->prev->next = call->next;
  else
    gw->calls = call->next;
  if (call->next)
    call->next->prev = call->prev;
  gw->n_calls--;
  gw->worker_calls[call->worker]--;
  for (int i = 0; i < 2; i++)
    if (legs[i] && legs[i] != except)
      send_hangup(legs[i], call->id, reason);
  rg_broker_hangup(gw->broker[call->worker], call->id);
  fprintf(stderr, "rtcgate: gateway: call %s (%s -> %s) ended: %s\n", call->id, call->user[0], call->user[1], reason);
  free(call);
}

static bool dest_allowed(const struct gw_claims *c, const char *to)
{
  if (c->dest_any)
    return true;
  for (unsigned i = 0; i < c->n_dest; i++)
    if (strcmp(c->dest[i], to) == 0)
      return true;
  return false;
}

/* The offer goes to the running media worker holding the fewest calls
 * (gw_media.c); *worker says which, for everything the call does later. */
static int offer_to_broker(struct gw_conn *caller, const char *id, const char *sdp, size_t len, char **offer,
                           unsigned *kinds, unsigned *worker)
{
  struct gw *gw = caller->gw;
  char err[RG_BROKER_ERR_MAX];
  err[0] = '\0';
  if (!gw->n_brokers) {
    gw_conn_send_error(caller, id, "limit", "no media broker");
    return -1;
  }
  int rc = gw_media_offer(gw, id, sdp, len, offer, kinds, err, sizeof(err), worker);
  if (rc == 0)
    return 0;
  if (rc == RG_ERR_CLOSED)
    gw_conn_send_error(caller, id, "limit", "the media broker is not running");
  else if (rc == RG_ERR_TOO_LARGE)
    gw_conn_send_error(caller, id, "limit", "too many calls");
  else if (rc == RG_ERR_STATE)
    gw_conn_send_error(caller, id, "bad_message", "call_id in use");
  else
    gw_conn_send_error(caller, id, "bad_sdp", err[0] ? err : rg_strerror(rc));
  return -1;
}

void gw_call_start(struct gw_conn *caller, const char *id, const char *to, const char *sdp, size_t sdp_len)
{
  struct gw *gw = caller->gw;
  if (gw->stopping) {
    gw_conn_send_error(caller, id, "limit", "the server is shutting down");
    return;
  }
  if (gw_call_find(gw, id)) {
    gw_conn_send_error(caller, id, "bad_message", "call_id in use");
    return;
  }
  if (caller->call) {
    gw_conn_send_error(caller, id, "busy", "you are already in a call");
    return;
  }
  if (gw->n_calls >= gw->cfg.max_calls) {
    gw_conn_send_error(caller, id, "limit", "too many calls");
    return;
  }
  /* Permission before presence: a caller who may not call `to` learns nothing about whether `to` is online. */
  if (strcmp(to, caller->claims.user) == 0 || !dest_allowed(&caller->claims, to)) {
    send_hangup(caller, id, "forbidden");
    return;
  }
  struct gw_conn *callee = gw_conn_find_user(gw, to);
  if (!callee) {
    send_hangup(caller, id, "not_found");
    return;
  }
  if (callee->call) {
    send_hangup(caller, id, "busy");
    return;
  }
  char *offer = NULL;
  unsigned kinds = 0, worker = 0;
  if (offer_to_broker(caller, id, sdp, sdp_len, &offer, &kinds, &worker) != 0)
    return;
  if (kinds & ~caller->claims.media) {
    rg_broker_hangup(gw->broker[worker], id);
    free(offer);
    send_hangup(caller, id, "forbidden");
    return;
  }
  struct gw_call *call = calloc(1, sizeof(*call));
  if (!call) {
    rg_broker_hangup(gw->broker[worker], id);
    free(offer);
    gw_conn_send_error(caller, id, "limit", "out of memory");
    return;
  }
  call->gw = gw;
  call->worker = worker;
  snprintf(call->id, sizeof(call->id), "%s", id);
  call->leg[RG_LEG_CALLER] = caller;
  call->leg[RG_LEG_CALLEE] = callee;
  memcpy(call->user[RG_LEG_CALLER], caller->claims.user, sizeof(call->user[0]));
  memcpy(call->user[RG_LEG_CALLEE], callee->claims.user, sizeof(call->user[1]));
  call->state = GW_CALL_RINGING;
  call->ring_deadline_us = gw_now_us() + (uint64_t)gw->cfg.ring_timeout_ms * 1000u;
  call->created_at = gw_unix_now();
  call->next = gw->calls;
  if (gw->calls)
    gw->calls->prev = call;
  gw->calls = call;
  gw->n_calls++;
  gw->worker_calls[worker]++;
  gw->m.calls_started++;
  caller->call = callee->call = call;
  fprintf(stderr, "rtcgate: gateway: call %s: %s -> %s ringing\n", id, caller->claims.user, to);
  gw_conn_send(callee, json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "incoming", "call_id", id, "from",
                                 caller->claims.user, "display_name", caller->claims.display_name, "sdp", offer));
  free(offer);
  gw_conn_send(caller, json_pack("{s:s,s:s}", "type", "ringing", "call_id", id));
}

/* The call `id` if `c` is one of its legs. */
static struct gw_call *own_call(struct gw_conn *c, const char *id)
{
  struct gw_call *call = c->call;
  if (!call || strcmp(call->id, id) != 0) {
    gw_conn_send_error(c, id, "not_found", "no such call");
    return NULL;
  }
  return call;
}

void gw_call_answer(struct gw_conn *callee, const char *id, const char *sdp, size_t sdp_len)
{
  struct gw_call *call = own_call(callee, id);
  if (!call)
    return;
  if (call->leg[RG_LEG_CALLEE] != callee) {
    gw_conn_send_error(callee, id, "bad_message", "only the callee answers");
    return;
  }
  if (call->state != GW_CALL_RINGING) {
    gw_conn_send_error(callee, id, "bad_message", "the call is already answered");
    return;
  }
  char err[RG_BROKER_ERR_MAX];
  err[0] = '\0';
  char *answer = NULL;
  unsigned kinds = 0;
  int rc = rg_broker_answer(call->gw->broker[call->worker], id, sdp, sdp_len, &answer, &kinds, err, sizeof(err));
  if (rc == RG_ERR_CLOSED)
    gw_media_stopped(call->gw, call->worker);
  if (rc == RG_ERR_NOT_FOUND || rc == RG_ERR_CLOSED) { /* the broker lost the call, or is gone */
    gw_call_end(call, "media_failed", NULL);
    return;
  }
  if (rc) { /* the callee may send a corrected answer before the ring timeout */
    gw_conn_send_error(callee, id, "bad_sdp", err[0] ? err : rg_strerror(rc));
    return;
  }
  /* The callee is held to its token as the caller is: an answer carrying a
   * kind its token lacks ends the call (the broker has committed to the
   * answer, so there is no taking it back). The answer never reaches the
   * caller. */
  if (kinds & ~callee->claims.media) {
    free(answer);
    fprintf(stderr, "rtcgate: gateway: call %s: the answer of %s carries media its token does not allow\n", id,
            callee->claims.user);
    gw_conn_send_error(callee, id, "forbidden", (kinds & ~callee->claims.media & GW_MEDIA_VIDEO)
                                                    ? "your token does not allow video"
                                                    : "your token does not allow audio");
    gw_call_end(call, "forbidden", NULL);
    return;
  }
  call->state = GW_CALL_ACTIVE;
  call->gw->m.calls_answered++;
  fprintf(stderr, "rtcgate: gateway: call %s answered\n", id);
  gw_conn_send(call->leg[RG_LEG_CALLER], json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer));
  free(answer);
}

void gw_call_reject(struct gw_conn *c, const char *id, const char *reason)
{
  struct gw_call *call = own_call(c, id);
  if (call)
    gw_call_end(call, reason, c);
}

void gw_call_hangup(struct gw_conn *c, const char *id, const char *reason)
{
  struct gw_call *call = own_call(c, id);
  if (call)
    gw_call_end(call, reason, c);
}

void gw_call_on_event(struct gw *gw, const struct rg_broker_event *ev)
{
  struct gw_call *call = gw_call_find(gw, ev->call_id);
  if (!call || ev->side < 0 || ev->side > 1)
    return; /* the call ended while the event was queued */
  if (ev->type == RG_BROKER_EV_LEG_SECURED) {
    struct gw_conn *c = call->leg[ev->side];
    fprintf(stderr, "rtcgate: gateway: call %s: %s leg secured (%s, %s, %s)\n", call->id,
            ev->side == RG_LEG_CALLER ? "caller" : "callee", ev->dtls_version, ev->dtls_cipher, ev->srtp_profile);
    if (c)
      gw_conn_send(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "type", "secured", "call_id", call->id, "dtls_version",
                                ev->dtls_version, "dtls_cipher", ev->dtls_cipher, "srtp_profile", ev->srtp_profile,
                                "fingerprint_verified", 1));
  } else if (ev->type == RG_BROKER_EV_LEG_FAILED) {
    const char *reason = gw_reason_valid(ev->reason) ? ev->reason : "media_failed";
    fprintf(stderr, "rtcgate: gateway: call %s: %s leg failed: %s\n", call->id,
            ev->side == RG_LEG_CALLER ? "caller" : "callee", ev->detail);
    gw->m.calls_failed++;
    gw_call_end(call, reason, NULL);
  }
}

void gw_call_tick(struct gw *gw, uint64_t now_us)
{
  struct gw_call *call = gw->calls;
  while (call) {
    struct gw_call *next = call->next;
    if (call->state == GW_CALL_RINGING && now_us >= call->ring_deadline_us)
      gw_call_end(call, "timeout", NULL);
    call = next;
  }
}
