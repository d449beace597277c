/* rtcgate integration — the WSS signalling socket of a real `rtcgate serve`:
 * authentication (good, bad, none in time), replacement (4409), revocation
 * (4401), malformed, binary, fragmented and oversized frames, repeated bad
 * frames (4400) and flooding (4429); before auth, the 4 KiB message cap and
 * the cap on unauthenticated sockets; a token's expiry closing its socket.
 * The auth timeout is cut to 500 ms with the hidden --auth-timeout-ms so the
 * test does not wait 10 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "gw_client.h"
#include "gw_server.h"

#define WAIT_MS 3000

static struct gw_server srv;

static int setup(void **state)
{
  (void)state;
  static const char *const extra[] = {"--auth-timeout-ms", "500", NULL};
  return gw_server_start(&srv, extra);
}

static int teardown(void **state)
{
  (void)state;
  return gw_server_stop(&srv) == 0 ? 0 : -1;
}

static const char *token_for(const char *user)
{
  char body[128];
  snprintf(body, sizeof(body), "{\"user\":\"%s\",\"allowed_destinations\":[\"*\"]}", user);
  const char *t = gwc_token(srv.port, GWS_APP_KEY, body);
  assert_non_null(t);
  return t;
}

static void send_auth(struct gwc_ws *w, const char *token)
{
  assert_int_equal(gwc_ws_send_json(w, json_pack("{s:s,s:s}", "type", "auth", "token", token)), 0);
}

/* Opens a socket and authenticates as user; asserts the ready frame. */
static void connect_as(struct gwc_ws *w, const char *user, char *token_out)
{
  const char *t = token_for(user);
  if (token_out) {
    /* Tokens are 43 base64url characters; callers pass 64-byte buffers. */
    assert_true(strlen(t) < 64);
    memcpy(token_out, t, strlen(t) + 1);
  }
  assert_int_equal(gwc_ws_open(w, srv.port), 0);
  send_auth(w, t);
  json_t *j = gwc_ws_recv_json(w, WAIT_MS);
  assert_non_null(j);
  assert_string_equal(gwc_type(j), "ready");
  assert_string_equal(gwc_str(j, "user"), user);
  json_decref(j);
}

static void expect_error(struct gwc_ws *w, const char *code)
{
  json_t *j = gwc_ws_recv_json(w, WAIT_MS);
  assert_non_null(j);
  if (strcmp(gwc_type(j), "error") != 0 || strcmp(gwc_str(j, "code"), code) != 0) {
    char *s = json_dumps(j, 0);
    fprintf(stderr, "expected error %s, got %s\n", code, s);
    free(s);
  }
  assert_string_equal(gwc_type(j), "error");
  assert_string_equal(gwc_str(j, "code"), code);
  assert_true(strlen(gwc_str(j, "message")) > 0);
  json_decref(j);
}

/* Proves the socket still works: a hangup for an unknown call is answered. */
static void expect_alive(struct gwc_ws *w)
{
  assert_int_equal(gwc_ws_send(w, "{\"type\":\"hangup\",\"call_id\":\"nosuchcall1\"}"), 0);
  expect_error(w, "not_found");
}

static void auth_with_valid_token_gets_ready(void **state)
{
  (void)state;
  struct gwc_ws w;
  connect_as(&w, "alice", NULL);
  expect_alive(&w);
  gwc_ws_free(&w);
}

static void auth_with_bad_token_is_refused_with_4401(void **state)
{
  (void)state;
  static const char *const bad[] = {"not-a-token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct gwc_ws w;
    assert_int_equal(gwc_ws_open(&w, srv.port), 0);
    send_auth(&w, bad[i]);
    expect_error(&w, "unauthorized");
    assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
    gwc_ws_free(&w);
  }
}

static void first_frame_other_than_auth_is_refused_with_4401(void **state)
{
  (void)state;
  static const char *const frames[] = {"{\"type\":\"call\",\"call_id\":\"abcdefgh\",\"to\":\"bob\",\"sdp\":\"v=0\"}",
                                       "garbage", "{\"type\":\"auth\"}", "{\"type\":\"auth\",\"token\":7}"};
  for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
    struct gwc_ws w;
    assert_int_equal(gwc_ws_open(&w, srv.port), 0);
    assert_int_equal(gwc_ws_send(&w, frames[i]), 0);
    expect_error(&w, "unauthorized");
    assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
    gwc_ws_free(&w);
  }
}

static void no_auth_within_the_timeout_closes_with_4401(void **state)
{
  (void)state;
  struct gwc_ws w;
  assert_int_equal(gwc_ws_open(&w, srv.port), 0);
  uint64_t t0 = gwc_now_ms();
  expect_error(&w, "unauthorized");
  assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
  uint64_t took = gwc_now_ms() - t0;
  assert_true(took >= 400 && took < 2500);
  gwc_ws_free(&w);
}

static void second_socket_of_a_user_replaces_the_first_with_4409(void **state)
{
  (void)state;
  struct gwc_ws a, b;
  connect_as(&a, "carol", NULL);
  connect_as(&b, "carol", NULL);
  assert_int_equal(gwc_ws_wait_close(&a, WAIT_MS), 4409);
  expect_alive(&b);
  gwc_ws_free(&a);
  gwc_ws_free(&b);
}

static void revoking_the_token_closes_the_socket_with_4401(void **state)
{
  (void)state;
  struct gwc_ws w;
  char token[64];
  connect_as(&w, "dave", token);
  char path[128];
  snprintf(path, sizeof(path), "/v1/sessions/%s", token);
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "DELETE", path, GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 204);
  gwc_resp_free(&r);
  assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
  gwc_ws_free(&w);
  /* The revoked token no longer authenticates. */
  assert_int_equal(gwc_ws_open(&w, srv.port), 0);
  send_auth(&w, token);
  expect_error(&w, "unauthorized");
  assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
  gwc_ws_free(&w);
}

static void invalid_json_and_unknown_types_get_bad_message_and_stay_open(void **state)
{
  (void)state;
  struct gwc_ws w;
  connect_as(&w, "erin", NULL);
  static const char *const frames[] = {
      "{not json", "[1,2,3]", "\"text\"", "{\"type\":\"dance\"}", "{\"type\":7}", "{\"no\":\"type\"}",
      "{\"type\":\"auth\",\"token\":\"x\"}", /* already authenticated */
      "{\"type\":\"call\",\"call_id\":\"short\",\"to\":\"bob\",\"sdp\":\"v=0\"}",
      "{\"type\":\"call\",\"call_id\":\"has space in it\",\"to\":\"bob\",\"sdp\":\"v=0\"}",
      "{\"type\":\"call\",\"call_id\":\"abcdefgh\",\"to\":\"bad name\",\"sdp\":\"v=0\"}",
      "{\"type\":\"call\",\"call_id\":\"abcdefgh\",\"to\":\"bob\"}",
      "{\"type\":\"hangup\",\"call_id\":\"abcdefgh\",\"reason\":\"because\"}", ""};
  for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
    assert_int_equal(gwc_ws_send(&w, frames[i]), 0);
    expect_error(&w, "bad_message");
  }
  expect_alive(&w);
  gwc_ws_free(&w);
}

static void oversized_and_binary_frames_get_bad_message_and_stay_open(void **state)
{
  (void)state;
  struct gwc_ws w;
  connect_as(&w, "frank", NULL);
  size_t big = 300 * 1024;
  char *text = malloc(big + 1);
  memset(text, 'x', big);
  text[big] = '\0';
  assert_int_equal(gwc_ws_send(&w, text), 0);
  expect_error(&w, "bad_message");
  /* The same size in fragments is refused the same way. */
  assert_int_equal(gwc_ws_send_frame(&w, 1, false, text, big / 2), 0);
  assert_int_equal(gwc_ws_send_frame(&w, 0, true, text, big / 2), 0);
  expect_error(&w, "bad_message");
  free(text);
  assert_int_equal(gwc_ws_send_frame(&w, 2, true, "{\"type\":\"hangup\"}", 17), 0);
  expect_error(&w, "bad_message");
  expect_alive(&w);
  gwc_ws_free(&w);
}

static void fragmented_message_is_reassembled(void **state)
{
  (void)state;
  struct gwc_ws w;
  connect_as(&w, "gina", NULL);
  static const char part1[] = "{\"type\":\"hangup\",", part2[] = "\"call_id\":\"nosuchcall2\"}";
  assert_int_equal(gwc_ws_send_frame(&w, 1, false, part1, sizeof(part1) - 1), 0);
  assert_int_equal(gwc_ws_send_frame(&w, 0, true, part2, sizeof(part2) - 1), 0);
  json_t *j = gwc_ws_recv_json(&w, WAIT_MS);
  assert_string_equal(gwc_type(j), "error");
  assert_string_equal(gwc_str(j, "code"), "not_found");
  assert_string_equal(gwc_str(j, "call_id"), "nosuchcall2");
  json_decref(j);
  gwc_ws_free(&w);
}

static void twenty_bad_frames_in_a_row_close_with_4400(void **state)
{
  (void)state;
  struct gwc_ws w;
  connect_as(&w, "hank", NULL);
  for (int i = 0; i < 20; i++) {
    assert_int_equal(gwc_ws_send(&w, "nonsense"), 0);
    usleep(25000); /* stay under the rate limit: this is about bad frames */
  }
  int bad = 0;
  for (;;) {
    char *t = NULL;
    int r = gwc_ws_recv(&w, WAIT_MS, &t, NULL);
    free(t);
    if (r != 0)
      break;
    bad++;
  }
  assert_int_equal(bad, 20);
  assert_true(w.closed);
  assert_int_equal(w.close_code, 4400);
  gwc_ws_free(&w);
}

static void a_good_frame_resets_the_bad_frame_count(void **state)
{
  (void)state;
  struct gwc_ws w;
  connect_as(&w, "ivan", NULL);
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 15; i++) {
      assert_int_equal(gwc_ws_send(&w, "nonsense"), 0);
      expect_error(&w, "bad_message");
      usleep(20000);
    }
    expect_alive(&w);
  }
  gwc_ws_free(&w);
}

static void flooding_closes_with_4429(void **state)
{
  (void)state;
  struct gwc_ws w;
  connect_as(&w, "judy", NULL);
  /* 150 frames in one write: over the burst of 100. One write, so the server
   * has read everything when it closes; a close with unread input would be
   * a TCP reset that can destroy the close frame in flight. */
  assert_int_equal(gwc_ws_send_burst(&w, "{\"type\":\"hangup\",\"call_id\":\"nosuchcall3\"}", 150), 0);
  assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4429);
  gwc_ws_free(&w);
  /* Others are not affected. */
  struct gwc_ws other;
  connect_as(&other, "judy2", NULL);
  expect_alive(&other);
  gwc_ws_free(&other);
}

static void websocket_on_another_path_is_refused(void **state)
{
  (void)state;
  struct gwc_ws w;
  assert_int_not_equal(gwc_ws_open_path(&w, srv.port, "/v1/other"), 0);
  gwc_ws_free(&w);
}

/* An auth frame padded (with a field auth ignores) to exactly len bytes. */
static char *padded_auth(const char *token, size_t len)
{
  static const char head[] = "{\"type\":\"auth\",\"token\":\"", mid[] = "\",\"pad\":\"", tail[] = "\"}";
  size_t fixed = strlen(head) + strlen(token) + strlen(mid) + strlen(tail);
  assert_true(len > fixed);
  char *f = malloc(len + 1);
  int n = snprintf(f, len + 1, "%s%s%s", head, token, mid);
  memset(f + n, 'p', len - fixed);
  memcpy(f + n + (len - fixed), tail, sizeof(tail));
  assert_int_equal(strlen(f), len);
  return f;
}

/* Before auth a message may be 4096 bytes (an auth frame is ~80): one byte
 * more closes the socket with 4401, even with a valid token in it. */
static void message_over_4096_bytes_before_auth_is_refused_with_4401(void **state)
{
  (void)state;
  struct gwc_ws w;
  char *f = padded_auth(token_for("kate"), 4096);
  assert_int_equal(gwc_ws_open(&w, srv.port), 0);
  assert_int_equal(gwc_ws_send(&w, f), 0);
  json_t *j = gwc_ws_recv_json(&w, WAIT_MS);
  assert_string_equal(gwc_type(j), "ready");
  json_decref(j);
  gwc_ws_free(&w);
  free(f);

  f = padded_auth(token_for("kate"), 4097);
  assert_int_equal(gwc_ws_open(&w, srv.port), 0);
  assert_int_equal(gwc_ws_send(&w, f), 0);
  j = gwc_ws_recv_json(&w, WAIT_MS);
  assert_string_equal(gwc_type(j), "error");
  assert_string_equal(gwc_str(j, "code"), "unauthorized");
  assert_non_null(strstr(gwc_str(j, "message"), "4096"));
  json_decref(j);
  assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
  gwc_ws_free(&w);
  free(f);
}

/* A stranger cannot make the server hold a big message: the first fragment
 * past 4096 bytes closes the socket, without waiting for the rest. (5000
 * bytes, one TLS record: the server reads all of it before it closes, so no
 * TCP reset can eat the close frame.) */
static void unfinished_big_message_before_auth_closes_at_once(void **state)
{
  (void)state;
  struct gwc_ws w;
  size_t big = 5000;
  char *text = malloc(big);
  memset(text, 'x', big);
  assert_int_equal(gwc_ws_open(&w, srv.port), 0);
  uint64_t t0 = gwc_now_ms();
  assert_int_equal(gwc_ws_send_frame(&w, 1, false, text, big), 0); /* never finished */
  free(text);
  json_t *j = gwc_ws_recv_json(&w, WAIT_MS);
  assert_string_equal(gwc_type(j), "error");
  assert_string_equal(gwc_str(j, "code"), "unauthorized");
  /* Not the auth timeout (500 ms here, "no auth frame in time"): the size. */
  assert_non_null(strstr(gwc_str(j, "message"), "4096"));
  json_decref(j);
  assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
  assert_true(gwc_now_ms() - t0 < 400);
  gwc_ws_free(&w);
}

static long metric_on(uint16_t port, const char *name)
{
  struct gwc_resp r;
  assert_int_equal(gwc_http(port, "GET", "/metrics", NULL, NULL, &r), 0);
  char key[128];
  snprintf(key, sizeof(key), "\n%s ", name);
  const char *p = strstr(r.body, key);
  long v = p ? atol(p + strlen(key)) : -1;
  gwc_resp_free(&r);
  return v;
}

/* Opens a WebSocket and waits briefly for a close: 0 open, 1 refused. */
static int try_open(struct gwc_ws *w, uint16_t port)
{
  return gwc_ws_open(w, port) == 0 ? 0 : 1;
}

/* At most max-unauthenticated-sockets (1000; 2 here) sockets may wait for
 * their auth frame; more upgrades are refused until one authenticates or
 * closes. Authenticated sockets do not count. */
static void unauthenticated_sockets_beyond_the_cap_are_refused(void **state)
{
  (void)state;
  static const char *const extra[] = {"--max-unauthenticated-sockets", "2", NULL};
  struct gw_server s2;
  struct gwc_ws a, b, c, d;
  assert_int_equal(gw_server_start(&s2, extra), 0);
  assert_int_equal(try_open(&a, s2.port), 0);
  assert_int_equal(try_open(&b, s2.port), 0);
  assert_int_equal(try_open(&c, s2.port), 1);
  gwc_ws_free(&c);
  assert_int_equal(metric_on(s2.port, "rtcgate_ws_unauthenticated"), 2);
  assert_true(metric_on(s2.port, "rtcgate_ws_refused_total") >= 1);
  /* a authenticates: a place frees up. */
  const char *t = gwc_token(s2.port, GWS_APP_KEY, "{\"user\":\"lena\"}");
  assert_non_null(t);
  send_auth(&a, t);
  json_t *j = gwc_ws_recv_json(&a, WAIT_MS);
  assert_string_equal(gwc_type(j), "ready");
  json_decref(j);
  assert_int_equal(try_open(&c, s2.port), 0);
  assert_int_equal(try_open(&d, s2.port), 1);
  gwc_ws_free(&d);
  /* b goes away: a place frees up once the server has seen it close. */
  gwc_ws_free(&b);
  int rc = 1;
  for (int i = 0; i < 50 && rc; i++) {
    usleep(20000);
    rc = try_open(&d, s2.port);
    if (rc)
      gwc_ws_free(&d);
  }
  assert_int_equal(rc, 0);
  expect_alive(&a);
  gwc_ws_free(&a);
  gwc_ws_free(&c);
  gwc_ws_free(&d);
  assert_int_equal(gw_server_stop(&s2), 0);
}

/* An expired token is no longer an authorisation: the socket that
 * authenticated with it is closed with 4401 when it expires, and the token is
 * gone (revoking it is 404). Tokens are cut to 2 s with max-token-ttl-s, a
 * real setting that caps every token's life whatever ttl_s asks. */
static void expired_token_closes_its_socket_with_4401(void **state)
{
  (void)state;
  static const char *const extra[] = {"--max-token-ttl-s", "2", NULL};
  struct gw_server s2;
  struct gwc_ws w;
  struct gwc_resp r;
  assert_int_equal(gw_server_start(&s2, extra), 0);
  assert_int_equal(gwc_http(s2.port, "POST", "/v1/sessions", GWS_APP_KEY, "{\"user\":\"mike\",\"ttl_s\":3600}", &r),
                   0);
  assert_int_equal(r.status, 201);
  json_t *j = json_loads(r.body, 0, NULL);
  char token[64];
  snprintf(token, sizeof(token), "%s", gwc_str(j, "token"));
  json_decref(j);
  gwc_resp_free(&r);
  uint64_t t0 = gwc_now_ms();
  assert_int_equal(gwc_ws_open(&w, s2.port), 0);
  send_auth(&w, token);
  j = gwc_ws_recv_json(&w, WAIT_MS);
  assert_string_equal(gwc_type(j), "ready");
  json_decref(j);
  /* Expiry is in whole seconds (1..2 s from issue), swept every second. */
  j = gwc_ws_recv_json(&w, 4000);
  assert_non_null(j);
  assert_string_equal(gwc_type(j), "error");
  assert_string_equal(gwc_str(j, "code"), "unauthorized");
  assert_string_equal(gwc_str(j, "message"), "session expired");
  json_decref(j);
  assert_int_equal(gwc_ws_wait_close(&w, WAIT_MS), 4401);
  uint64_t took = gwc_now_ms() - t0;
  assert_true(took >= 900 && took < 4000);
  gwc_ws_free(&w);
  char path[128];
  snprintf(path, sizeof(path), "/v1/sessions/%s", token);
  assert_int_equal(gwc_http(s2.port, "DELETE", path, GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 404);
  gwc_resp_free(&r);
  assert_int_equal(metric_on(s2.port, "rtcgate_sessions_expired_total"), 1);
  assert_int_equal(gw_server_stop(&s2), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(auth_with_valid_token_gets_ready),
      cmocka_unit_test(auth_with_bad_token_is_refused_with_4401),
      cmocka_unit_test(first_frame_other_than_auth_is_refused_with_4401),
      cmocka_unit_test(no_auth_within_the_timeout_closes_with_4401),
      cmocka_unit_test(second_socket_of_a_user_replaces_the_first_with_4409),
      cmocka_unit_test(revoking_the_token_closes_the_socket_with_4401),
      cmocka_unit_test(invalid_json_and_unknown_types_get_bad_message_and_stay_open),
      cmocka_unit_test(oversized_and_binary_frames_get_bad_message_and_stay_open),
      cmocka_unit_test(fragmented_message_is_reassembled),
      cmocka_unit_test(twenty_bad_frames_in_a_row_close_with_4400),
      cmocka_unit_test(a_good_frame_resets_the_bad_frame_count),
      cmocka_unit_test(flooding_closes_with_4429),
      cmocka_unit_test(websocket_on_another_path_is_refused),
      cmocka_unit_test(message_over_4096_bytes_before_auth_is_refused_with_4401),
      cmocka_unit_test(unfinished_big_message_before_auth_closes_at_once),
      cmocka_unit_test(unauthenticated_sockets_beyond_the_cap_are_refused),
      cmocka_unit_test(expired_token_closes_its_socket_with_4401),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
