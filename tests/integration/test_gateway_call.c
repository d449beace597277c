/* rtcgate integration — calls through a real `rtcgate serve` (gateway and
 * media broker) on loopback: call -> incoming + ringing -> answer -> answer,
 * reject, hangup, not_found, forbidden (destination and media kind), busy,
 * ring timeout, media setup timeout (it starts at the answer: a call may
 * ring longer), an answer with a media kind the callee's token lacks
 * (forbidden), bad SDP, a socket that goes away,
 * shutdown; and a full call whose two legs are simulated native clients
 * (tests/integration/test_broker_client.h: ICE + DTLS + SRTP on UDP), which
 * must get "secured" frames and relay media, and whose ICE consent can be
 * lost (hangup "timeout").
 * Timeouts are shortened with the hidden --ring-timeout-ms,
 * --media-timeout-ms and --consent-timeout-ms flags. SDPs: captured Chromium offer/answer
 * (tests/data/sdp) and SDPs built with the rg_sdp builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "gw_client.h"
#include "gw_server.h"
#include "test_broker_client.h"

#define WAIT_MS 3000
#define RING_MS 1000
#define MEDIA_MS 2500

static struct gw_server srv;
static char *offer_sdp, *answer_sdp;
static unsigned call_seq;

static int setup(void **state)
{
  (void)state;
  offer_sdp = gws_read_file(RG_TEST_DATA_DIR "/sdp/chromium-156.0.8078.108-offer.sdp");
  answer_sdp = gws_read_file(RG_TEST_DATA_DIR "/sdp/chromium-156.0.8078.108-answer.sdp");
  if (!offer_sdp || !answer_sdp)
    return -1;
  static const char *const extra[] = {"--ring-timeout-ms", "1000", "--media-timeout-ms", "2500", NULL};
  return gw_server_start(&srv, extra);
}

static int teardown(void **state)
{
  (void)state;
  free(offer_sdp);
  free(answer_sdp);
  return gw_server_stop(&srv) == 0 ? 0 : -1;
}

static void new_call_id(char id[32])
{
  snprintf(id, 32, "call-%u-%d", ++call_seq, (int)getpid());
}

static void connect_user(struct gwc_ws *w, uint16_t port, const char *body, const char *user)
{
  const char *t = gwc_token(port, GWS_APP_KEY, body);
  assert_non_null(t);
  assert_int_equal(gwc_ws_open(w, port), 0);
  assert_int_equal(gwc_ws_send_json(w, json_pack("{s:s,s:s}", "type", "auth", "token", t)), 0);
  json_t *j = gwc_ws_recv_json(w, WAIT_MS);
  assert_string_equal(gwc_type(j), "ready");
  assert_string_equal(gwc_str(j, "user"), user);
  json_decref(j);
}

/* A user allowed to call anyone with audio and video. */
static void connect_as(struct gwc_ws *w, const char *user)
{
  char body[160];
  snprintf(body, sizeof(body), "{\"user\":\"%s\",\"display_name\":\"User %s\",\"allowed_destinations\":[\"*\"]}", user,
           user);
  connect_user(w, srv.port, body, user);
}

/* The next frame must have this type (and call_id, if given); returned for more checks. */
static json_t *expect(struct gwc_ws *w, const char *type, const char *call_id, int timeout_ms)
{
  json_t *j = gwc_ws_recv_json(w, timeout_ms);
  if (!j || strcmp(gwc_type(j), type) != 0) {
    char *s = j ? json_dumps(j, 0) : NULL;
    fprintf(stderr, "expected %s, got %s (closed=%d code=%d)\n", type, s ? s : "nothing", w->closed, w->close_code);
    free(s);
  }
  assert_non_null(j);
  assert_string_equal(gwc_type(j), type);
  if (call_id)
    assert_string_equal(gwc_str(j, "call_id"), call_id);
  return j;
}

static void expect_hangup(struct gwc_ws *w, const char *call_id, const char *reason, int timeout_ms)
{
  json_t *j = expect(w, "hangup", call_id, timeout_ms);
  assert_string_equal(gwc_str(j, "reason"), reason);
  json_decref(j);
}

static void expect_error(struct gwc_ws *w, const char *call_id, const char *code)
{
  json_t *j = expect(w, "error", call_id, WAIT_MS);
  assert_string_equal(gwc_str(j, "code"), code);
  json_decref(j);
}

static void send_call(struct gwc_ws *w, const char *id, const char *to, const char *sdp)
{
  assert_int_equal(
      gwc_ws_send_json(w, json_pack("{s:s,s:s,s:s,s:s}", "type", "call", "call_id", id, "to", to, "sdp", sdp)), 0);
}

static void send_simple(struct gwc_ws *w, const char *type, const char *id)
{
  assert_int_equal(gwc_ws_send_json(w, json_pack("{s:s,s:s}", "type", type, "call_id", id)), 0);
}

/* caller calls callee with the Chromium offer; both sides see it ring. */
static void ring(struct gwc_ws *caller, struct gwc_ws *callee, const char *id, const char *from, const char *to)
{
  send_call(caller, id, to, offer_sdp);
  json_t *in = expect(callee, "incoming", id, WAIT_MS);
  assert_string_equal(gwc_str(in, "from"), from);
  json_decref(in);
  json_decref(expect(caller, "ringing", id, WAIT_MS));
}

/* Alice and Bob connect, Alice calls Bob with a fresh call id, and the call
 * rings on both sides. */
static void alice_rings_bob(struct gwc_ws *a, struct gwc_ws *b, char *id)
{
  connect_as(a, "alice");
  connect_as(b, "bob");
  new_call_id(id);
  ring(a, b, id, "alice", "bob");
}

static json_t *get_call_on(uint16_t port, const char *id, int *status)
{
  char path[128];
  snprintf(path, sizeof(path), "/v1/calls/%s", id);
  struct gwc_resp r;
  assert_int_equal(gwc_http(port, "GET", path, GWS_APP_KEY, NULL, &r), 0);
  *status = r.status;
  json_t *j = json_loads(r.body, 0, NULL);
  gwc_resp_free(&r);
  return j;
}

static json_t *get_call(const char *id, int *status) { return get_call_on(srv.port, id, status); }

static void call_rings_the_callee_and_the_answer_reaches_the_caller(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  new_call_id(id);
  connect_as(&a, "alice");
  connect_as(&b, "bob");
  send_call(&a, id, "bob", offer_sdp);
  json_t *in = expect(&b, "incoming", id, WAIT_MS);
  assert_string_equal(gwc_str(in, "from"), "alice");
  assert_string_equal(gwc_str(in, "display_name"), "User alice");
  const char *boffer = gwc_str(in, "sdp");
  /* The broker's own offer: its fingerprint, actpass, not Alice's transport. */
  assert_non_null(strstr(boffer, "a=fingerprint:sha-256 "));
  assert_non_null(strstr(boffer, "a=setup:actpass"));
  assert_null(strstr(boffer, "a=ice-ufrag:J07l"));
  assert_null(strstr(boffer, "8D:F6:CC:61:64:D4"));
  json_decref(in);
  json_decref(expect(&a, "ringing", id, WAIT_MS));

  int status;
  json_t *c = get_call(id, &status);
  assert_int_equal(status, 200);
  assert_string_equal(gwc_str(c, "state"), "ringing");
  json_decref(c);

  assert_int_equal(
      gwc_ws_send_json(&b, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer_sdp)), 0);
  json_t *ans = expect(&a, "answer", id, WAIT_MS);
  assert_non_null(strstr(gwc_str(ans, "sdp"), "a=setup:active"));
  assert_non_null(strstr(gwc_str(ans, "sdp"), "a=fingerprint:sha-256 "));
  json_decref(ans);

  c = get_call(id, &status);
  assert_int_equal(status, 200);
  assert_string_equal(gwc_str(c, "call_id"), id);
  assert_string_equal(gwc_str(c, "state"), "active");
  json_t *legs = json_object_get(c, "legs");
  assert_int_equal(json_array_size(legs), 2);
  assert_string_equal(gwc_str(json_array_get(legs, 0), "user"), "alice");
  assert_string_equal(gwc_str(json_array_get(legs, 0), "side"), "caller");
  assert_string_equal(gwc_str(json_array_get(legs, 1), "user"), "bob");
  assert_true(json_is_boolean(json_object_get(json_array_get(legs, 1), "fingerprint_verified")));
  assert_true(json_is_object(json_object_get(json_array_get(legs, 1), "drops")));
  json_decref(c);

  send_simple(&a, "hangup", id);
  expect_hangup(&b, id, "normal", WAIT_MS);
  c = get_call(id, &status);
  assert_int_equal(status, 404);
  json_decref(c);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

static void reject_reaches_the_caller_as_hangup_with_its_reason(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  alice_rings_bob(&a, &b, id);
  send_simple(&b, "reject", id);
  expect_hangup(&a, id, "rejected", WAIT_MS);
  new_call_id(id);
  ring(&a, &b, id, "alice", "bob");
  assert_int_equal(gwc_ws_send(&b, "{\"type\":\"reject\",\"call_id\":\"x\",\"reason\":\"busy\"}"), 0);
  expect_error(&b, NULL, "bad_message"); /* call_id too short */
  char msg[128];
  snprintf(msg, sizeof(msg), "{\"type\":\"reject\",\"call_id\":\"%s\",\"reason\":\"busy\"}", id);
  assert_int_equal(gwc_ws_send(&b, msg), 0);
  expect_hangup(&a, id, "busy", WAIT_MS);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

static void caller_hangup_while_ringing_reaches_the_callee(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  alice_rings_bob(&a, &b, id);
  send_simple(&a, "hangup", id);
  expect_hangup(&b, id, "normal", WAIT_MS);
  /* Answering the ended call: not_found. */
  assert_int_equal(
      gwc_ws_send_json(&b, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer_sdp)), 0);
  expect_error(&b, id, "not_found");
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

static void call_to_a_user_not_connected_ends_not_found(void **state)
{
  (void)state;
  struct gwc_ws a;
  char id[32];
  connect_as(&a, "alice");
  new_call_id(id);
  send_call(&a, id, "nobody", offer_sdp);
  expect_hangup(&a, id, "not_found", WAIT_MS);
  gwc_ws_free(&a);
}

static void call_outside_allowed_destinations_ends_forbidden(void **state)
{
  (void)state;
  struct gwc_ws a, b, c;
  char id[32];
  connect_user(&a, srv.port, "{\"user\":\"amy\",\"allowed_destinations\":[\"bob\"]}", "amy");
  connect_as(&b, "bob");
  connect_as(&c, "carol");
  new_call_id(id);
  send_call(&a, id, "carol", offer_sdp);
  expect_hangup(&a, id, "forbidden", WAIT_MS);
  /* Carol heard nothing: her next frame is the answer to her own probe. */
  send_simple(&c, "hangup", "probe-call-1");
  expect_error(&c, "probe-call-1", "not_found");
  new_call_id(id);
  send_call(&a, id, "amy", offer_sdp); /* oneself */
  expect_hangup(&a, id, "forbidden", WAIT_MS);
  new_call_id(id);
  ring(&a, &b, id, "amy", "bob"); /* the allowed one works */
  send_simple(&a, "hangup", id);
  expect_hangup(&b, id, "normal", WAIT_MS);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
  gwc_ws_free(&c);
}

static void offer_with_a_media_kind_the_token_lacks_ends_forbidden(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  connect_user(&a, srv.port, "{\"user\":\"audrey\",\"allowed_destinations\":[\"*\"],\"media\":[\"audio\"]}", "audrey");
  connect_as(&b, "bob");
  new_call_id(id);
  send_call(&a, id, "bob", offer_sdp); /* audio + video */
  expect_hangup(&a, id, "forbidden", WAIT_MS);
  send_simple(&b, "hangup", "probe-call-2");
  expect_error(&b, "probe-call-2", "not_found");
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

static void call_to_a_user_in_a_call_ends_busy(void **state)
{
  (void)state;
  struct gwc_ws a, b, c;
  char id[32], id2[32];
  connect_as(&a, "alice");
  connect_as(&b, "bob");
  connect_as(&c, "carol");
  new_call_id(id);
  ring(&a, &b, id, "alice", "bob");
  new_call_id(id2);
  send_call(&c, id2, "bob", offer_sdp);
  expect_hangup(&c, id2, "busy", WAIT_MS);
  new_call_id(id2);
  send_call(&a, id2, "carol", offer_sdp); /* alice is in a call already */
  expect_error(&a, id2, "busy");
  new_call_id(id2);
  send_call(&c, id2, "bob", offer_sdp);
  expect_hangup(&c, id2, "busy", WAIT_MS);
  send_call(&c, id, "alice", offer_sdp); /* a call_id in use */
  expect_error(&c, id, "bad_message");
  send_simple(&a, "hangup", id);
  expect_hangup(&b, id, "normal", WAIT_MS);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
  gwc_ws_free(&c);
}

static void unanswered_call_ends_with_timeout_for_both(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  connect_as(&a, "alice");
  connect_as(&b, "bob");
  new_call_id(id);
  uint64_t t0 = gwc_now_ms();
  ring(&a, &b, id, "alice", "bob");
  expect_hangup(&a, id, "timeout", RING_MS + WAIT_MS);
  expect_hangup(&b, id, "timeout", WAIT_MS);
  uint64_t took = gwc_now_ms() - t0;
  assert_true(took >= RING_MS - 50 && took < RING_MS + 1500);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

static void answered_call_whose_media_never_comes_up_ends_media_failed(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  alice_rings_bob(&a, &b, id);
  assert_int_equal(
      gwc_ws_send_json(&b, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer_sdp)), 0);
  json_decref(expect(&a, "answer", id, WAIT_MS));
  /* Nobody runs ICE or DTLS toward the broker. */
  expect_hangup(&a, id, "media_failed", MEDIA_MS + WAIT_MS);
  expect_hangup(&b, id, "media_failed", WAIT_MS);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

/* The media timeout starts when the call is answered (both legs' transports
 * exist then), so a call may ring longer than it: before the fix the callee
 * leg's timer ran from the offer and a call ringing past media-timeout-ms
 * ended media_failed, so the ring timeout was never reached. Two calls on a
 * server with media 500 ms < ring 2000 ms: one answered at ~1.2 s (it is
 * set up, then fails media_failed 500 ms after the answer since nobody runs
 * ICE), one never answered (it ends "timeout" at 2 s). */
static void call_may_ring_longer_than_the_media_timeout(void **state)
{
  (void)state;
  static const char *const extra[] = {"--media-timeout-ms", "500", "--ring-timeout-ms", "2000", NULL};
  struct gw_server s2;
  struct gwc_ws a, b, c, d;
  char id1[32], id2[32];
  assert_int_equal(gw_server_start(&s2, extra), 0);
  connect_user(&a, s2.port, "{\"user\":\"alice\",\"allowed_destinations\":[\"*\"]}", "alice");
  connect_user(&b, s2.port, "{\"user\":\"bob\"}", "bob");
  connect_user(&c, s2.port, "{\"user\":\"carol\",\"allowed_destinations\":[\"*\"]}", "carol");
  connect_user(&d, s2.port, "{\"user\":\"dave\"}", "dave");
  new_call_id(id1);
  new_call_id(id2);
  uint64_t t0 = gwc_now_ms();
  ring(&a, &b, id1, "alice", "bob");
  ring(&c, &d, id2, "carol", "dave");
  /* Ringing for well past the media timeout: nothing happens to either call. */
  json_t *j = gwc_ws_recv_json(&a, 1200);
  if (j) {
    char *txt = json_dumps(j, 0);
    fprintf(stderr, "while ringing alice got %s\n", txt);
    free(txt);
  }
  assert_null(j);
  assert_false(a.closed);
  assert_int_equal(
      gwc_ws_send_json(&b, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id1, "sdp", answer_sdp)), 0);
  uint64_t t_answer = gwc_now_ms();
  json_decref(expect(&a, "answer", id1, WAIT_MS));
  /* The answered call now has media-timeout-ms to come up; nobody runs ICE. */
  expect_hangup(&a, id1, "media_failed", WAIT_MS);
  uint64_t took = gwc_now_ms() - t_answer;
  assert_true(took >= 450 && took < 1500);
  expect_hangup(&b, id1, "media_failed", WAIT_MS);
  /* The unanswered one ends by the ring timeout, not media_failed. */
  expect_hangup(&c, id2, "timeout", WAIT_MS);
  expect_hangup(&d, id2, "timeout", WAIT_MS);
  took = gwc_now_ms() - t0;
  assert_true(took >= 2000 - 50 && took < 3500);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
  gwc_ws_free(&c);
  gwc_ws_free(&d);
  assert_int_equal(gw_server_stop(&s2), 0);
}

/* The Chromium answer with its video section rejected (port 0): audio only. */
static char *audio_only_answer(void)
{
  char *sdp = strdup(answer_sdp);
  char *p = strstr(sdp, "m=video 9 ");
  assert_non_null(p);
  memcpy(p, "m=video 0 ", 10);
  return sdp;
}

/* The callee is held to its token's media as the caller is: an audio-only
 * callee whose answer carries video gets error forbidden, both get hangup
 * forbidden and the caller never sees that answer. The same callee answering
 * with video rejected is connected. */
static void answer_with_a_media_kind_the_callee_token_lacks_ends_forbidden(void **state)
{
  (void)state;
  struct gwc_ws a, v;
  char id[32];
  connect_as(&a, "alice");
  connect_user(&v, srv.port, "{\"user\":\"vera\",\"media\":[\"audio\"]}", "vera");
  new_call_id(id);
  ring(&a, &v, id, "alice", "vera");
  assert_int_equal(
      gwc_ws_send_json(&v, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer_sdp)), 0);
  json_t *e = expect(&v, "error", id, WAIT_MS);
  assert_string_equal(gwc_str(e, "code"), "forbidden");
  assert_non_null(strstr(gwc_str(e, "message"), "video"));
  json_decref(e);
  expect_hangup(&v, id, "forbidden", WAIT_MS);
  expect_hangup(&a, id, "forbidden", WAIT_MS); /* the next frame: no answer came before it */
  int status;
  json_t *c = get_call(id, &status);
  assert_int_equal(status, 404);
  json_decref(c);

  new_call_id(id);
  ring(&a, &v, id, "alice", "vera");
  char *audio = audio_only_answer();
  assert_int_equal(gwc_ws_send_json(&v, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", audio)),
                   0);
  free(audio);
  json_t *ans = expect(&a, "answer", id, WAIT_MS);
  assert_non_null(strstr(gwc_str(ans, "sdp"), "m=video 0 "));
  json_decref(ans);
  send_simple(&a, "hangup", id);
  expect_hangup(&v, id, "normal", WAIT_MS);
  gwc_ws_free(&a);
  gwc_ws_free(&v);
}

static void bad_sdp_gets_error_bad_sdp(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  connect_as(&a, "alice");
  connect_as(&b, "bob");
  new_call_id(id);
  send_call(&a, id, "bob", "v=0\r\nthis is not sdp\r\n");
  expect_error(&a, id, "bad_sdp");
  /* Plain RTP (no fingerprint, RTP/AVP) is refused too. */
  char *plain = strdup(offer_sdp);
  for (char *p = plain; (p = strstr(p, "a=fingerprint:")) != NULL;)
    memcpy(p, "a=xingerprint:", 14);
  send_call(&a, id, "bob", plain);
  free(plain);
  expect_error(&a, id, "bad_sdp");
  send_simple(&b, "hangup", "probe-call-3");
  expect_error(&b, "probe-call-3", "not_found");
  /* A bad answer leaves the call ringing; a good one then works. */
  ring(&a, &b, id, "alice", "bob");
  assert_int_equal(
      gwc_ws_send_json(&b, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", "v=0\r\n")), 0);
  expect_error(&b, id, "bad_sdp");
  assert_int_equal(
      gwc_ws_send_json(&b, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer_sdp)), 0);
  json_decref(expect(&a, "answer", id, WAIT_MS));
  send_simple(&b, "hangup", id);
  expect_hangup(&a, id, "normal", WAIT_MS);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

static void a_socket_that_closes_ends_its_call_with_gone(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  char id[32];
  alice_rings_bob(&a, &b, id);
  gwc_ws_free(&b);
  expect_hangup(&a, id, "gone", WAIT_MS);
  /* A replaced socket ends its call the same way. */
  struct gwc_ws b2, b3;
  connect_as(&b2, "bob");
  new_call_id(id);
  ring(&a, &b2, id, "alice", "bob");
  connect_as(&b3, "bob");
  expect_hangup(&a, id, "gone", WAIT_MS);
  assert_int_equal(gwc_ws_wait_close(&b2, WAIT_MS), 4409);
  gwc_ws_free(&a);
  gwc_ws_free(&b2);
  gwc_ws_free(&b3);
}

/* ---- a full call with simulated native clients ---- */

struct media_fx {
  struct tc_client caller, callee;
};

static bool both_transports_secured(void *arg)
{
  struct media_fx *f = arg;
  return rg_transport_state(f->caller.t) == RG_TRANSPORT_READY && rg_transport_state(f->callee.t) == RG_TRANSPORT_READY;
}

static bool callee_got_audio(void *arg)
{
  struct media_fx *f = arg;
  return tc_got(&f->callee, f->caller.audio_ssrc, false) != NULL;
}

/* Alice calls Bob with two simulated native clients (real ICE + DTLS +
 * SRTP through the broker) and waits until both transports are secured; the
 * "secured" frames are left on the sockets for the test to read. */
static void native_call_to(struct gwc_ws *a, struct gwc_ws *b, const char *to, struct media_fx *f, char *id,
                           uint64_t consent_timeout_us, uint32_t ssrc_base)
{
  tc_client_init(&f->caller, "caller", "aaaa", ssrc_base, ssrc_base + 1);
  tc_client_init(&f->callee, to, "bbbb", ssrc_base + 2, ssrc_base + 3);
  /* Live clients check consent at RFC 7675's ratio of the same timeout. */
  f->caller.consent_timeout_us = f->callee.consent_timeout_us = consent_timeout_us;
  new_call_id(id);
  char *offer = tc_client_sdp(&f->caller, &f->caller.fp, RG_SDP_SETUP_ACTPASS);
  send_call(a, id, to, offer);
  free(offer);
  json_t *in = expect(b, "incoming", id, WAIT_MS);
  char *callee_offer = strdup(gwc_str(in, "sdp"));
  json_decref(in);
  json_decref(expect(a, "ringing", id, WAIT_MS));
  char *answer = tc_client_sdp(&f->callee, &f->callee.fp, RG_SDP_SETUP_ACTIVE);
  assert_int_equal(gwc_ws_send_json(b, json_pack("{s:s,s:s,s:s}", "type", "answer", "call_id", id, "sdp", answer)),
                   0);
  free(answer);
  json_t *ans = expect(a, "answer", id, WAIT_MS);
  /* The broker answered the caller with setup:active, so the caller is DTLS server. */
  tc_client_connect(&f->caller, gwc_str(ans, "sdp"), RG_DTLS_SERVER);
  tc_client_connect(&f->callee, callee_offer, RG_DTLS_CLIENT);
  json_decref(ans);
  free(callee_offer);
  struct tc_client *cs[2] = {&f->caller, &f->callee};
  assert_true(tc_pump(cs, 2, MEDIA_MS, both_transports_secured, f));
}

static void native_call_up(struct gwc_ws *a, struct gwc_ws *b, struct media_fx *f, char *id,
                           uint64_t consent_timeout_us)
{
  native_call_to(a, b, "bob", f, id, consent_timeout_us, 0x1111u);
}

static void secured_frames_reach_both_users_and_media_flows(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  struct media_fx f;
  char id[32];
  connect_as(&a, "alice");
  connect_as(&b, "bob");
  native_call_up(&a, &b, &f, id, 0);
  struct tc_client *cs[2] = {&f.caller, &f.callee};
  for (int i = 0; i < 2; i++) {
    json_t *s = expect(i == 0 ? &a : &b, "secured", id, WAIT_MS);
    assert_string_equal(gwc_str(s, "dtls_version"), "DTLS 1.2");
    assert_true(strlen(gwc_str(s, "dtls_cipher")) > 0);
    assert_true(strlen(gwc_str(s, "srtp_profile")) > 0);
    json_decref(s);
  }
  uint8_t pkt[256];
  for (uint16_t seq = 1; seq <= 5; seq++)
    assert_true(tc_send(&f.caller, pkt, tc_rtp(pkt, 111, f.caller.audio_ssrc, seq, 100), false) > 0);
  assert_true(tc_pump(cs, 2, 2000, callee_got_audio, &f));
  int status;
  json_t *c = get_call(id, &status);
  assert_int_equal(status, 200);
  json_t *legs = json_object_get(c, "legs");
  for (int i = 0; i < 2; i++) {
    json_t *leg = json_array_get(legs, (size_t)i);
    assert_true(json_is_true(json_object_get(leg, "fingerprint_verified")));
    assert_string_equal(gwc_str(leg, "dtls_version"), "DTLS 1.2");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(leg, "drops"), "unknown_ssrc")), 0);
  }
  assert_true(json_integer_value(json_object_get(json_array_get(legs, 0), "packets_in")) >= 1);
  json_decref(c);
  send_simple(&b, "hangup", id);
  expect_hangup(&a, id, "normal", WAIT_MS);
  tc_client_free(&f.caller);
  tc_client_free(&f.callee);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

#define CONSENT_MS 1500

/* Polls ws for a frame for up to ms while driving the clients' transports
 * (so the live one keeps sending consent checks); NULL when none came. */
static json_t *recv_while_pumping(struct gwc_ws *ws, struct tc_client **cs, size_t n, unsigned ms)
{
  uint64_t end = gwc_now_ms() + ms;
  while (gwc_now_ms() < end) {
    (void)tc_pump(cs, n, 50, NULL, NULL);
    json_t *j = gwc_ws_recv_json(ws, 1);
    if (j)
      return j;
  }
  return NULL;
}

/* RFC 7675 consent lost (shortened with the hidden --consent-timeout-ms):
 * a secured call whose callee stops sending ICE checks ends with hangup
 * "timeout" for both users, and the call is gone from /v1/calls. */
static void call_whose_client_goes_silent_ends_with_timeout_for_both(void **state)
{
  (void)state;
  static const char *const extra[] = {"--consent-timeout-ms", "1500", NULL};
  struct gw_server s2;
  struct gwc_ws a, b;
  struct media_fx f;
  char id[32];
  int status;
  assert_int_equal(gw_server_start(&s2, extra), 0);
  connect_user(&a, s2.port, "{\"user\":\"alice\",\"allowed_destinations\":[\"*\"]}", "alice");
  connect_user(&b, s2.port, "{\"user\":\"bob\"}", "bob");
  native_call_up(&a, &b, &f, id, (uint64_t)CONSENT_MS * 1000u);
  struct tc_client *both[2] = {&f.caller, &f.callee}, *alive[1] = {&f.caller};
  json_t *j = recv_while_pumping(&a, both, 2, WAIT_MS);
  assert_non_null(j);
  assert_string_equal(gwc_type(j), "secured");
  json_decref(j);
  j = recv_while_pumping(&b, both, 2, WAIT_MS);
  assert_non_null(j);
  assert_string_equal(gwc_type(j), "secured");
  json_decref(j);
  json_t *c = get_call_on(s2.port, id, &status);
  assert_int_equal(status, 200);
  assert_string_equal(gwc_str(c, "state"), "active");
  json_decref(c);

  /* Bob's client goes silent; Alice's keeps running. */
  uint64_t t0 = gwc_now_ms();
  j = recv_while_pumping(&a, alive, 1, CONSENT_MS + WAIT_MS);
  uint64_t took = gwc_now_ms() - t0;
  if (!j || strcmp(gwc_type(j), "hangup") != 0)
    gws_print_log(&s2);
  assert_non_null(j);
  assert_string_equal(gwc_type(j), "hangup");
  assert_string_equal(gwc_str(j, "call_id"), id);
  assert_string_equal(gwc_str(j, "reason"), "timeout");
  json_decref(j);
  /* Bob's last check went out at most CONSENT_MS / 6 * 1.2 = 300 ms before. */
  assert_true(took >= CONSENT_MS - 300 - 50 && took < CONSENT_MS + 2000);
  expect_hangup(&b, id, "timeout", WAIT_MS);
  c = get_call_on(s2.port, id, &status);
  assert_int_equal(status, 404);
  json_decref(c);

  tc_client_free(&f.caller);
  tc_client_free(&f.callee);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
  assert_int_equal(gw_server_stop(&s2), 0);
}

struct two_calls {
  struct media_fx *f[2];
};

static bool both_callees_got_audio(void *arg)
{
  struct two_calls *w = arg;
  return callee_got_audio(w->f[0]) && callee_got_audio(w->f[1]);
}

/* The value of an unlabelled metric in a /metrics body; -1 when absent. */
static long long metric(const char *body, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, name, n) == 0 && p[n] == ' ')
      return strtoll(p + n + 1, NULL, 10);
  return -1;
}

/* --media-workers 2: the banner lists two ports; a call goes to the worker
 * holding the fewest calls, both its legs on that worker's port; two calls on
 * two workers relay media at once; GET /v1/calls says where each call is;
 * /metrics sums the workers; a worker's count falls when its call ends, so
 * the next call goes back to it. */
static void calls_spread_over_media_workers_and_each_relays(void **state)
{
  (void)state;
  static const char *const extra[] = {"--media-workers", "2", NULL};
  static const char *const users[4] = {"alice", "bob", "carol", "dave"};
  struct gw_server s2;
  struct gwc_ws ws[4];
  struct media_fx f[2], f3;
  char id[2][32], id3[32];
  int status;
  assert_int_equal(gw_server_start(&s2, extra), 0);
  assert_int_equal(s2.n_media_ports, 2);
  assert_int_not_equal(s2.media_ports[0], s2.media_ports[1]);
  for (int i = 0; i < 4; i++) {
    char body[96];
    snprintf(body, sizeof(body), "{\"user\":\"%s\",\"allowed_destinations\":[\"*\"]}", users[i]);
    connect_user(&ws[i], s2.port, body, users[i]);
  }
  native_call_to(&ws[0], &ws[1], "bob", &f[0], id[0], 0, 0x1111u);
  native_call_to(&ws[2], &ws[3], "dave", &f[1], id[1], 0, 0x5555u);
  for (int k = 0; k < 2; k++) {
    /* Worker 0 takes the first call (a tie goes to the lowest), worker 1 the second. */
    assert_int_equal(f[k].caller.broker_port, s2.media_ports[k]);
    assert_int_equal(f[k].callee.broker_port, s2.media_ports[k]);
    for (int i = 0; i < 2; i++)
      json_decref(expect(&ws[2 * k + i], "secured", id[k], WAIT_MS));
  }
  struct tc_client *cs[4] = {&f[0].caller, &f[0].callee, &f[1].caller, &f[1].callee};
  struct two_calls w = {{&f[0], &f[1]}};
  uint8_t pkt[256];
  for (uint16_t seq = 1; seq <= 5; seq++)
    for (int k = 0; k < 2; k++)
      assert_true(tc_send(&f[k].caller, pkt, tc_rtp(pkt, 111, f[k].caller.audio_ssrc, seq, 100), false) > 0);
  assert_true(tc_pump(cs, 4, 2000, both_callees_got_audio, &w));
  for (int k = 0; k < 2; k++) {
    json_t *c = get_call_on(s2.port, id[k], &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_integer_value(json_object_get(c, "media_worker")), k);
    assert_int_equal(json_integer_value(json_object_get(c, "media_port")), s2.media_ports[k]);
    json_t *leg = json_array_get(json_object_get(c, "legs"), 0);
    assert_true(json_is_true(json_object_get(leg, "fingerprint_verified")));
    assert_true(json_integer_value(json_object_get(leg, "packets_in")) >= 5);
    json_decref(c);
  }
  struct gwc_resp r;
  assert_int_equal(gwc_http(s2.port, "GET", "/metrics", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(metric(r.body, "rtcgate_media_workers"), 2);
  assert_int_equal(metric(r.body, "rtcgate_broker_calls_active"), 2);
  assert_int_equal(metric(r.body, "rtcgate_legs_active"), 4);
  assert_true(metric(r.body, "rtcgate_packets_relayed_total") >= 10);
  assert_int_equal(metric(r.body, "rtcgate_dtls_handshakes_total"), 4);
  gwc_resp_free(&r);

  /* Dave hangs up: worker 1 holds no call now, worker 0 one; the next call goes to worker 1. */
  send_simple(&ws[3], "hangup", id[1]);
  expect_hangup(&ws[2], id[1], "normal", WAIT_MS);
  tc_client_free(&f[1].caller);
  tc_client_free(&f[1].callee);
  /* The hangup reached worker 1's broker: one call left in the brokers (the
   * gateway serves broker figures up to 250 ms old). */
  usleep(300 * 1000);
  assert_int_equal(gwc_http(s2.port, "GET", "/metrics", NULL, NULL, &r), 0);
  assert_int_equal(metric(r.body, "rtcgate_broker_calls_active"), 1);
  assert_int_equal(metric(r.body, "rtcgate_legs_active"), 2);
  assert_int_equal(metric(r.body, "rtcgate_media_workers_stopped"), 0);
  gwc_resp_free(&r);
  native_call_to(&ws[2], &ws[3], "dave", &f3, id3, 0, 0x9999u);
  assert_int_equal(f3.caller.broker_port, s2.media_ports[1]);
  assert_int_equal(f3.callee.broker_port, s2.media_ports[1]);

  tc_client_free(&f3.caller);
  tc_client_free(&f3.callee);
  tc_client_free(&f[0].caller);
  tc_client_free(&f[0].callee);
  for (int i = 0; i < 4; i++)
    gwc_ws_free(&ws[i]);
  assert_int_equal(gw_server_stop(&s2), 0);
}

static void shutdown_hangs_up_every_call_and_exits_zero(void **state)
{
  (void)state;
  struct gw_server s2;
  assert_int_equal(gw_server_start(&s2, NULL), 0);
  struct gwc_ws a, b;
  connect_user(&a, s2.port, "{\"user\":\"alice\",\"allowed_destinations\":[\"*\"]}", "alice");
  connect_user(&b, s2.port, "{\"user\":\"bob\"}", "bob");
  send_call(&a, "shutdown-call", "bob", offer_sdp);
  json_decref(expect(&b, "incoming", "shutdown-call", WAIT_MS));
  json_decref(expect(&a, "ringing", "shutdown-call", WAIT_MS));
  kill(s2.pid, SIGTERM);
  expect_hangup(&a, "shutdown-call", "gone", WAIT_MS);
  expect_hangup(&b, "shutdown-call", "gone", WAIT_MS);
  assert_int_equal(gwc_ws_wait_close(&a, WAIT_MS), 1001);
  assert_int_equal(gw_server_stop(&s2), 0);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(call_rings_the_callee_and_the_answer_reaches_the_caller),
      cmocka_unit_test(reject_reaches_the_caller_as_hangup_with_its_reason),
      cmocka_unit_test(caller_hangup_while_ringing_reaches_the_callee),
      cmocka_unit_test(call_to_a_user_not_connected_ends_not_found),
      cmocka_unit_test(call_outside_allowed_destinations_ends_forbidden),
      cmocka_unit_test(offer_with_a_media_kind_the_token_lacks_ends_forbidden),
      cmocka_unit_test(call_to_a_user_in_a_call_ends_busy),
      cmocka_unit_test(unanswered_call_ends_with_timeout_for_both),
      cmocka_unit_test(answered_call_whose_media_never_comes_up_ends_media_failed),
      cmocka_unit_test(call_may_ring_longer_than_the_media_timeout),
      cmocka_unit_test(answer_with_a_media_kind_the_callee_token_lacks_ends_forbidden),
      cmocka_unit_test(bad_sdp_gets_error_bad_sdp),
      cmocka_unit_test(a_socket_that_closes_ends_its_call_with_gone),
      cmocka_unit_test(secured_frames_reach_both_users_and_media_flows),
      cmocka_unit_test(call_whose_client_goes_silent_ends_with_timeout_for_both),
      cmocka_unit_test(calls_spread_over_media_workers_and_each_relays),
      cmocka_unit_test(shutdown_hangs_up_every_call_and_exits_zero),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
