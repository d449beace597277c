/* rtcgate integration — the HTTP API of a real `rtcgate serve` on loopback:
 * session tokens and every error of issue 3, revocation, health, metrics,
 * static files, the demo token, the TLS certificate, the application key and
 * the config file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "gateway/gw_internal.h"
#include "gw_client.h"
#include "gw_server.h"

static struct gw_server srv;

static int setup(void **state)
{
  (void)state;
  static const char *const extra[] = {"--demo", NULL};
  return gw_server_start(&srv, extra);
}

static int teardown(void **state)
{
  (void)state;
  return gw_server_stop(&srv) == 0 ? 0 : -1;
}

static int post_session(const char *key, const char *body, struct gwc_resp *r)
{
  return gwc_http(srv.port, "POST", "/v1/sessions", key, body, r);
}

/* Status and error code of POST /v1/sessions with the right key. */
static void expect_bad_body(const char *body)
{
  struct gwc_resp r;
  assert_int_equal(post_session(GWS_APP_KEY, body, &r), 0);
  if (r.status != 400)
    fprintf(stderr, "body %s -> %d %s\n", body, r.status, r.body);
  assert_int_equal(r.status, 400);
  assert_string_equal(gwc_error_code(&r), "bad_request");
  json_t *j = json_loads(r.body, 0, NULL);
  assert_non_null(json_string_value(json_object_get(j, "detail")));
  json_decref(j);
  gwc_resp_free(&r);
}

static void health_reports_ok_and_version(void **state)
{
  (void)state;
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "GET", "/v1/health", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(gwc_header(&r, "content-type"), "application/json");
  json_t *j = json_loads(r.body, 0, NULL);
  assert_string_equal(gwc_str(j, "status"), "ok");
  assert_string_equal(gwc_str(j, "version"), "0.1.0");
  json_decref(j);
  gwc_resp_free(&r);
}

static void sessions_issues_opaque_token_with_expiry(void **state)
{
  (void)state;
  struct gwc_resp r;
  assert_int_equal(post_session(GWS_APP_KEY,
                                "{\"user\":\"alice\",\"display_name\":\"Alice\",\"allowed_destinations\":[\"bob\"],"
                                "\"media\":[\"audio\",\"video\"],\"ttl_s\":3600}",
                                &r),
                   0);
  assert_int_equal(r.status, 201);
  json_t *j = json_loads(r.body, 0, NULL);
  const char *tok = gwc_str(j, "token");
  assert_int_equal(strlen(tok), 43); /* 256 bits, base64url without padding */
  assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
  assert_string_equal(gwc_str(j, "user"), "alice");
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  const char *end = strptime(gwc_str(j, "expires_at"), "%Y-%m-%dT%H:%M:%SZ", &tm);
  assert_non_null(end);
  assert_int_equal(*end, '\0');
  time_t exp = timegm(&tm);
  assert_true(exp >= time(NULL) + 3590 && exp <= time(NULL) + 3610);
  /* Two tokens for the same claims differ. */
  char first[64];
  snprintf(first, sizeof(first), "%s", tok);
  json_decref(j);
  gwc_resp_free(&r);
  const char *second = gwc_token(srv.port, GWS_APP_KEY, "{\"user\":\"alice\"}");
  assert_non_null(second);
  assert_string_not_equal(first, second);
}

static void sessions_refuses_missing_or_wrong_app_key(void **state)
{
  (void)state;
  static const char body[] = "{\"user\":\"mallory\"}";
  const char *keys[] = {NULL, "wrong", GWS_APP_KEY "x", "itest-app-key", ""};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    struct gwc_resp r;
    assert_int_equal(post_session(keys[i], body, &r), 0);
    assert_int_equal(r.status, 401);
    assert_string_equal(gwc_error_code(&r), "unauthorized");
    gwc_resp_free(&r);
  }
  /* A right key under another scheme is still refused. */
  struct gwc_resp r;
  assert_int_equal(gwc_http_ex(srv.port, "POST", "/v1/sessions", NULL, body, (size_t)-1,
                               "Authorization: Basic " GWS_APP_KEY "\r\n", &r),
                   0);
  assert_int_equal(r.status, 401);
  gwc_resp_free(&r);
}

static void sessions_refuses_unknown_fields_and_wrong_types(void **state)
{
  (void)state;
  expect_bad_body("{\"user\":\"alice\",\"role\":\"admin\"}");
  expect_bad_body("{\"user\":\"alice\",\"allowed_destination\":[\"bob\"]}");
  expect_bad_body("{\"user\":42}");
  expect_bad_body("{\"user\":\"alice\",\"display_name\":7}");
  expect_bad_body("{\"user\":\"alice\",\"allowed_destinations\":\"bob\"}");
  expect_bad_body("{\"user\":\"alice\",\"allowed_destinations\":[1]}");
  expect_bad_body("{\"user\":\"alice\",\"allowed_destinations\":[\"bad name\"]}");
  expect_bad_body("{\"user\":\"alice\",\"media\":\"audio\"}");
  expect_bad_body("{\"user\":\"alice\",\"media\":[\"audio\",\"smell\"]}");
  expect_bad_body("{\"user\":\"alice\",\"media\":[]}");
  expect_bad_body("{\"user\":\"alice\",\"ttl_s\":\"3600\"}");
  expect_bad_body("{\"user\":\"alice\",\"ttl_s\":3600.5}");
  expect_bad_body("{\"display_name\":\"No User\"}");
  expect_bad_body("[\"user\",\"alice\"]");
  expect_bad_body("{\"user\":\"alice\",\"user\":\"bob\"}");
  expect_bad_body("{\"user\":\"alice\"");
  expect_bad_body("not json");
}

static void sessions_refuses_user_outside_the_pattern(void **state)
{
  (void)state;
  char body[256];
  expect_bad_body("{\"user\":\"\"}");
  expect_bad_body("{\"user\":\"al ice\"}");
  expect_bad_body("{\"user\":\"alice/../root\"}");
  expect_bad_body("{\"user\":\"\\u00e9lise\"}");
  char name[70];
  memset(name, 'a', 65);
  name[65] = '\0';
  snprintf(body, sizeof(body), "{\"user\":\"%s\"}", name);
  expect_bad_body(body);
  name[64] = '\0'; /* 64 is the longest allowed */
  snprintf(body, sizeof(body), "{\"user\":\"%s\"}", name);
  assert_non_null(gwc_token(srv.port, GWS_APP_KEY, body));
  assert_non_null(gwc_token(srv.port, GWS_APP_KEY, "{\"user\":\"A.b_c-9\"}"));
}

static void sessions_refuses_ttl_outside_60_to_86400(void **state)
{
  (void)state;
  expect_bad_body("{\"user\":\"alice\",\"ttl_s\":59}");
  expect_bad_body("{\"user\":\"alice\",\"ttl_s\":86401}");
  expect_bad_body("{\"user\":\"alice\",\"ttl_s\":-1}");
  assert_non_null(gwc_token(srv.port, GWS_APP_KEY, "{\"user\":\"alice\",\"ttl_s\":60}"));
  assert_non_null(gwc_token(srv.port, GWS_APP_KEY, "{\"user\":\"alice\",\"ttl_s\":86400}"));
}

static void sessions_refuses_empty_and_oversized_bodies(void **state)
{
  (void)state;
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "POST", "/v1/sessions", GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 400);
  gwc_resp_free(&r);
  size_t big = 70 * 1024;
  char *body = malloc(big + 1);
  memset(body, ' ', big);
  body[0] = '{';
  body[big - 1] = '}';
  body[big] = '\0';
  assert_int_equal(gwc_http(srv.port, "POST", "/v1/sessions", GWS_APP_KEY, body, &r), 0);
  assert_int_equal(r.status, 413);
  assert_string_equal(gwc_error_code(&r), "too_large");
  gwc_resp_free(&r);
  free(body);
  /* The server is still there. */
  assert_int_equal(gwc_http(srv.port, "GET", "/v1/health", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  gwc_resp_free(&r);
}

static void delete_session_needs_key_and_a_live_token(void **state)
{
  (void)state;
  const char *t = gwc_token(srv.port, GWS_APP_KEY, "{\"user\":\"dave\"}");
  assert_non_null(t);
  char path[200];
  snprintf(path, sizeof(path), "/v1/sessions/%s", t);
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "DELETE", path, "wrong-key", NULL, &r), 0);
  assert_int_equal(r.status, 401);
  gwc_resp_free(&r);
  assert_int_equal(gwc_http(srv.port, "DELETE", path, GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 204);
  gwc_resp_free(&r);
  assert_int_equal(gwc_http(srv.port, "DELETE", path, GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 404);
  gwc_resp_free(&r);
  assert_int_equal(gwc_http(srv.port, "DELETE", "/v1/sessions/short", GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 404);
  gwc_resp_free(&r);
}

static void calls_get_needs_key_and_known_call(void **state)
{
  (void)state;
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "GET", "/v1/calls/abcdefgh1234", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 401);
  gwc_resp_free(&r);
  assert_int_equal(gwc_http(srv.port, "GET", "/v1/calls/abcdefgh1234", GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 404);
  assert_string_equal(gwc_error_code(&r), "not_found");
  gwc_resp_free(&r);
  assert_int_equal(gwc_http(srv.port, "GET", "/v1/calls/bad!id", GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 400);
  gwc_resp_free(&r);
}

static unsigned long long metric(const char *text, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, name, n) == 0 && p[n] == ' ')
      return strtoull(p + n + 1, NULL, 10);
  return ~0ull;
}

static unsigned long long min_u64(unsigned long long a, unsigned long long b)
{
  return a < b ? a : b;
}

static unsigned long long rmem_max(void)
{
  unsigned long long v = 0;
  FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
  assert_non_null(f);
  assert_int_equal(fscanf(f, "%llu", &v), 1);
  fclose(f);
  return v;
}

static void metrics_count_tokens_issued_and_rejected(void **state)
{
  (void)state;
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "GET", "/metrics", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(gwc_header(&r, "content-type"), "text/plain"));
  unsigned long long issued = metric(r.body, "rtcgate_tokens_issued_total");
  assert_true(issued != ~0ull);
  assert_true(metric(r.body, "rtcgate_calls_active") != ~0ull);
  assert_true(metric(r.body, "rtcgate_legs_active") != ~0ull);
  assert_true(metric(r.body, "rtcgate_media_drops_total{reason=\"unknown_ssrc\"}") != ~0ull);
  assert_true(metric(r.body, "rtcgate_dtls_failures_total{reason=\"fingerprint\"}") != ~0ull);
  assert_true(metric(r.body, "rtcgate_tokens_rejected_total") != ~0ull);
  assert_int_equal(metric(r.body, "rtcgate_media_receive_overflows_total"), 0); /* an idle socket drops nothing */
  /* No media-receive-buffer set: 4 MB asked, within net.core.rmem_max, never forced past it. */
  assert_int_equal(metric(r.body, "rtcgate_media_receive_buffer_bytes"), 2 * min_u64(4u << 20, rmem_max()));
  gwc_resp_free(&r);
  assert_non_null(gwc_token(srv.port, GWS_APP_KEY, "{\"user\":\"erin\"}"));
  assert_int_equal(gwc_http(srv.port, "GET", "/metrics", NULL, NULL, &r), 0);
  assert_int_equal(metric(r.body, "rtcgate_tokens_issued_total"), issued + 1);
  gwc_resp_free(&r);
}

static unsigned long long fetches(void)
{
  struct gwc_resp r;
  unsigned long long n;
  assert_int_equal(gwc_http(srv.port, "GET", "/metrics", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  n = metric(r.body, "rtcgate_broker_metrics_fetches_total");
  gwc_resp_free(&r);
  assert_true(n != ~0ull);
  return n;
}

/* /metrics needs no key: a stream of requests must not turn into a stream of
 * round trips through the media worker. Within 250 ms the broker's figures
 * come from the gateway's copy; after that the next request fetches again. */
static void metrics_fetch_the_broker_counters_at_most_four_times_a_second(void **state)
{
  uint64_t t0;
  unsigned long long first, last, allowed;
  (void)state;
  t0 = gw_now_us();
  first = fetches();
  assert_true(first >= 1);
  for (int i = 0; i < 40; i++)
    last = fetches();
  allowed = 1 + (gw_now_us() - t0) / 250000u; /* one per started 250 ms window */
  assert_true(last - first <= allowed);
  assert_true(last - first < 40); /* the 40 requests were not each a round trip */
  usleep(300000);
  assert_int_equal(fetches(), last + 1); /* stale by then: fetched again */
}

/* A demo token (or NULL) for user. */
static const char *demo_token(const char *user, char out[64])
{
  char body[96];
  struct gwc_resp r;
  snprintf(body, sizeof(body), "{\"user\":\"%s\"}", user);
  assert_int_equal(gwc_http(srv.port, "POST", "/demo/token", NULL, body, &r), 0);
  assert_int_equal(r.status, 201);
  json_t *j = json_loads(r.body, 0, NULL);
  assert_int_equal(strlen(gwc_str(j, "token")), 43);
  assert_string_equal(gwc_str(j, "user"), user);
  snprintf(out, 64, "%s", gwc_str(j, "token"));
  json_decref(j);
  gwc_resp_free(&r);
  return out;
}

static void ws_auth(struct gwc_ws *w, const char *token, const char *user)
{
  assert_int_equal(gwc_ws_open(w, srv.port), 0);
  assert_int_equal(gwc_ws_send_json(w, json_pack("{s:s,s:s}", "type", "auth", "token", token)), 0);
  json_t *j = gwc_ws_recv_json(w, 3000);
  assert_string_equal(gwc_type(j), "ready");
  assert_string_equal(gwc_str(j, "user"), user);
  json_decref(j);
}

static void demo_token_is_issued_to_loopback_with_any_destination(void **state)
{
  (void)state;
  char tf[64], tg[64];
  struct gwc_resp r;
  demo_token("frank", tf);
  demo_token("grace", tg);
  /* "Any destination": frank's token names nobody, yet his call to grace rings her. */
  struct gwc_ws f, g;
  ws_auth(&f, tf, "frank");
  ws_auth(&g, tg, "grace");
  char *offer = gws_read_file(RG_TEST_DATA_DIR "/sdp/chromium-156.0.8078.108-offer.sdp");
  assert_non_null(offer);
  assert_int_equal(gwc_ws_send_json(&f, json_pack("{s:s,s:s,s:s,s:s}", "type", "call", "call_id", "demo-call-1", "to",
                                                  "grace", "sdp", offer)),
                   0);
  free(offer);
  json_t *j = gwc_ws_recv_json(&g, 3000);
  assert_string_equal(gwc_type(j), "incoming");
  assert_string_equal(gwc_str(j, "from"), "frank");
  json_decref(j);
  j = gwc_ws_recv_json(&f, 3000);
  assert_string_equal(gwc_type(j), "ringing");
  json_decref(j);
  assert_int_equal(gwc_ws_send(&f, "{\"type\":\"hangup\",\"call_id\":\"demo-call-1\"}"), 0);
  j = gwc_ws_recv_json(&g, 3000);
  assert_string_equal(gwc_type(j), "hangup");
  json_decref(j);
  gwc_ws_free(&f);
  gwc_ws_free(&g);
  /* Exactly one field, user. */
  assert_int_equal(gwc_http(srv.port, "POST", "/demo/token", NULL, "{\"user\":\"frank\",\"ttl_s\":99}", &r), 0);
  assert_int_equal(r.status, 400);
  gwc_resp_free(&r);
}

/* POST /demo/token on a server started without --demo (or with demo = false). */
static void expect_no_demo_token(uint16_t port)
{
  struct gwc_resp r;
  assert_int_equal(gwc_http(port, "POST", "/demo/token", NULL, "{\"user\":\"mallory\"}", &r), 0);
  assert_true(r.status == 404 || r.status == 403);
  assert_null(strstr(r.body, "token\""));
  gwc_resp_free(&r);
}

static struct sockaddr_storage v4(const char *ip, socklen_t *len)
{
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  struct sockaddr_in *a = (struct sockaddr_in *)&ss;
  a->sin_family = AF_INET;
  a->sin_port = htons(443);
  assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
  *len = sizeof(*a);
  return ss;
}

static struct sockaddr_storage v6(const char *ip, socklen_t *len)
{
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(443);
  assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
  *len = sizeof(*a);
  return ss;
}

/* gw_addr_is_loopback decides who may take a demo token. */
static void loopback_check_takes_127_8_and_ipv6_loopback_only(void **state)
{
  (void)state;
  static const char *const yes4[] = {"127.0.0.1", "127.0.0.2", "127.255.255.254"};
  static const char *const no4[] = {"128.0.0.1", "126.255.255.255", "10.0.0.1", "0.0.0.0", "192.168.1.127"};
  static const char *const yes6[] = {"::1", "::ffff:127.0.0.1", "::ffff:127.9.8.7"};
  static const char *const no6[] = {"::", "::2", "::ffff:10.0.0.1", "::ffff:128.0.0.1", "2001:db8::1", "fe80::1",
                                    "::127.0.0.1" /* IPv4-compatible, not mapped */, "::1:0:0:1"};
  socklen_t len;
  struct sockaddr_storage ss;
  for (size_t i = 0; i < sizeof(yes4) / sizeof(yes4[0]); i++) {
    ss = v4(yes4[i], &len);
    assert_true(gw_addr_is_loopback((struct sockaddr *)&ss, len));
    assert_false(gw_addr_is_loopback((struct sockaddr *)&ss, len - 1)); /* truncated address */
  }
  for (size_t i = 0; i < sizeof(no4) / sizeof(no4[0]); i++) {
    ss = v4(no4[i], &len);
    assert_false(gw_addr_is_loopback((struct sockaddr *)&ss, len));
  }
  for (size_t i = 0; i < sizeof(yes6) / sizeof(yes6[0]); i++) {
    ss = v6(yes6[i], &len);
    assert_true(gw_addr_is_loopback((struct sockaddr *)&ss, len));
    assert_false(gw_addr_is_loopback((struct sockaddr *)&ss, len - 1));
  }
  for (size_t i = 0; i < sizeof(no6) / sizeof(no6[0]); i++) {
    ss = v6(no6[i], &len);
    if (gw_addr_is_loopback((struct sockaddr *)&ss, len))
      fprintf(stderr, "%s taken as loopback\n", no6[i]);
    assert_false(gw_addr_is_loopback((struct sockaddr *)&ss, len));
  }
  /* Another family, or nothing at all. */
  memset(&ss, 0, sizeof(ss));
  ss.ss_family = AF_UNIX;
  assert_false(gw_addr_is_loopback((struct sockaddr *)&ss, sizeof(ss)));
  assert_false(gw_addr_is_loopback(NULL, 0));
}

static void static_files_sdk_and_demo_page_are_served(void **state)
{
  (void)state;
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "GET", "/sdk/rtcgate.js", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(gwc_header(&r, "content-type"), "javascript"));
  assert_true(r.body_len > 100);
  gwc_resp_free(&r);
  assert_int_equal(gwc_http(srv.port, "GET", "/", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(gwc_header(&r, "content-type"), "text/html"));
  gwc_resp_free(&r);
  static const char *const bad[] = {"/../CMakeLists.txt", "/sdk/../../CMakeLists.txt", "/sdk/.hidden",
                                    "/%2e%2e/CMakeLists.txt", "/nonexistent.js", "/sdk/demo/index.html"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(gwc_http(srv.port, "GET", bad[i], NULL, NULL, &r), 0);
    if (r.status != 404)
      fprintf(stderr, "%s -> %d\n", bad[i], r.status);
    assert_true(r.status == 404 || r.status == 403 || r.status == 400);
    assert_null(strstr(r.body, "cmake_minimum_required"));
    gwc_resp_free(&r);
  }
}

static void unknown_routes_and_methods_are_refused(void **state)
{
  (void)state;
  struct gwc_resp r;
  assert_int_equal(gwc_http(srv.port, "GET", "/v1/sessions", GWS_APP_KEY, NULL, &r), 0);
  assert_int_equal(r.status, 405);
  gwc_resp_free(&r);
  assert_int_equal(gwc_http(srv.port, "POST", "/v1/nothing", GWS_APP_KEY, "{}", &r), 0);
  assert_int_equal(r.status, 404);
  gwc_resp_free(&r);
}

static void tls_certificate_covers_localhost_and_old_tls_is_refused(void **state)
{
  (void)state;
  char path[300];
  snprintf(path, sizeof(path), "%s/cert.pem", srv.dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  snprintf(path, sizeof(path), "%s/key.pem", srv.dir);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  snprintf(path, sizeof(path), "%s/cert.pem", srv.dir);
  FILE *f = fopen(path, "r");
  X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  assert_non_null(x);
  assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
  assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  X509_free(x);
  /* A client that trusts only this certificate verifies the server as 127.0.0.1. */
  struct gwc_tls t;
  assert_int_equal(gwc_tls_connect_ex(&t, srv.port, path, 0), 0);
  assert_true(SSL_version(t.ssl) >= TLS1_2_VERSION);
  gwc_tls_close(&t);
  assert_int_not_equal(gwc_tls_connect_ex(&t, srv.port, NULL, TLS1_1_VERSION), 0);
}

/* TLS 1.2 is taken only with ECDHE and an AEAD suite: a client offering
 * nothing but CBC suites, or nothing but RSA key exchange, gets no session. */
static void tls12_with_only_cbc_or_rsa_key_exchange_suites_is_refused(void **state)
{
  (void)state;
  static const char *const refused[] = {
      "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA", /* CBC */
      "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA",                                                    /* CBC */
      "AES128-GCM-SHA256:AES256-GCM-SHA384", /* RSA key exchange, AEAD */
      "AES128-SHA256:AES128-SHA:AES256-SHA", /* RSA key exchange, CBC */
  };
  struct gwc_tls t;
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    int rc = gwc_tls_connect_suites(&t, srv.port, NULL, TLS1_2_VERSION, refused[i]);
    if (rc == 0) {
      fprintf(stderr, "TLS 1.2 with only %s was accepted: %s\n", refused[i], SSL_get_cipher_name(t.ssl));
      gwc_tls_close(&t);
    }
    assert_int_not_equal(rc, 0);
  }
  /* The same client with an ECDHE + AEAD suite is served (so the refusals are about the suites). */
  assert_int_equal(gwc_tls_connect_suites(&t, srv.port, NULL, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"), 0);
  assert_int_equal(SSL_version(t.ssl), TLS1_2_VERSION);
  assert_string_equal(SSL_get_cipher_name(t.ssl), "ECDHE-ECDSA-AES128-GCM-SHA256");
  gwc_tls_close(&t);
}

static void app_key_is_made_once_printed_once_and_used(void **state)
{
  (void)state;
  struct gw_server s2;
  static const char *const none[] = {NULL};
  assert_int_equal(gw_server_start_ex(&s2, none, NULL, NULL), 0);
  const char *line = strstr(s2.out, "application key");
  assert_non_null(line);
  char key[128];
  char path[300];
  snprintf(path, sizeof(path), "%s/app.key", s2.dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  FILE *f = fopen(path, "r");
  assert_non_null(fgets(key, sizeof(key), f));
  fclose(f);
  key[strcspn(key, "\n")] = '\0';
  assert_true(strlen(key) >= 22); /* >= 128 bits in base64url */
  assert_non_null(strstr(line, key));
  assert_non_null(gwc_token(s2.port, key, "{\"user\":\"gina\"}"));
  expect_no_demo_token(s2.port); /* started without --demo */
  char dir[256];
  snprintf(dir, sizeof(dir), "%s", s2.dir);
  assert_int_equal(gw_server_stop_keep(&s2), 0);
  /* A restart keeps the key and does not print it again. */
  assert_int_equal(gw_server_start_ex(&s2, none, NULL, dir), 0);
  assert_null(strstr(s2.out, "application key"));
  assert_non_null(gwc_token(s2.port, key, "{\"user\":\"gina\"}"));
  assert_int_equal(gw_server_stop(&s2), 0);
}

static void config_file_settings_apply_and_flags_override(void **state)
{
  (void)state;
  char conf[] = "/tmp/rtcgate-itest-conf-XXXXXX";
  int fd = mkstemp(conf);
  assert_true(fd >= 0);
  static const char text[] =
      "# test config\ndemo = true\nlisten = 127.0.0.1:1\nring_timeout_ms = 5000\nmedia_receive_buffer = 1048576\n"
      "media_workers = 3\n";
  assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
  close(fd);
  struct gw_server s2;
  /* --listen on the command line (from gw_server_start) comes after --config and wins over port 1. */
  const char *const extra[] = {"--config", conf, NULL};
  assert_int_equal(gw_server_start_ex(&s2, extra, GWS_APP_KEY, NULL), 0);
  struct gwc_resp r;
  assert_int_equal(gwc_http(s2.port, "GET", "/", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 200); /* demo = true from the file */
  gwc_resp_free(&r);
  /* media_receive_buffer from the file: 1 MB asked, forced past net.core.rmem_max where the server may
   * (test_io checks the forcing itself), else capped by it. */
  assert_int_equal(gwc_http(s2.port, "GET", "/metrics", NULL, NULL, &r), 0);
  unsigned long long rb = metric(r.body, "rtcgate_media_receive_buffer_bytes");
  assert_true(rb >= 2 * min_u64(1u << 20, rmem_max()) && rb <= 2u << 20);
  /* media_workers = 3 from the file: three workers, three ports in the banner. */
  assert_int_equal(metric(r.body, "rtcgate_media_workers"), 3);
  assert_int_equal(s2.n_media_ports, 3);
  gwc_resp_free(&r);
  assert_int_equal(gw_server_stop(&s2), 0);
  unlink(conf);
  /* The shipped example parses (its ports and state dir are overridden by the flags). */
  const char *const example[] = {"--config", RG_SOURCE_DIR "/docs/rtcgate.conf.example", NULL};
  assert_int_equal(gw_server_start_ex(&s2, example, GWS_APP_KEY, NULL), 0);
  assert_int_equal(gwc_http(s2.port, "GET", "/", NULL, NULL, &r), 0);
  assert_int_equal(r.status, 404); /* demo = false */
  gwc_resp_free(&r);
  expect_no_demo_token(s2.port);
  assert_int_equal(gw_server_stop(&s2), 0);
  /* A bad value stops the server with status 2 before it listens. */
  FILE *p = popen(RG_BIN_DIR "/rtcgate serve --listen 127.0.0.1:0 --ring-timeout-ms soon 2>&1", "r");
  char line[256] = "";
  assert_non_null(fgets(line, sizeof(line), p));
  assert_int_equal(WEXITSTATUS(pclose(p)), 2);
  assert_non_null(strstr(line, "ring-timeout-ms"));
  /* media-workers: 1..16, and worker i's port media-port + i must exist. */
  p = popen(RG_BIN_DIR "/rtcgate serve --listen 127.0.0.1:0 --media-workers 17 2>&1", "r");
  assert_non_null(fgets(line, sizeof(line), p));
  assert_int_equal(WEXITSTATUS(pclose(p)), 2);
  assert_non_null(strstr(line, "media-workers"));
  char dir[] = "/tmp/rtcgate-itest-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char cmd[256];
  snprintf(cmd, sizeof(cmd),
           RG_BIN_DIR "/rtcgate serve --state-dir %s --listen 127.0.0.1:0 --media-port 65535 --media-workers 2 2>&1 "
                      "| grep 'media workers need'",
           dir);
  p = popen(cmd, "r");
  assert_non_null(fgets(line, sizeof(line), p));
  assert_int_equal(WEXITSTATUS(pclose(p)), 0); /* grep found the message; the server exited by itself */
  assert_non_null(strstr(line, "65535..65536"));
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void version_and_help_commands_work(void **state)
{
  (void)state;
  FILE *p = popen(RG_BIN_DIR "/rtcgate version", "r");
  char line[128] = "";
  assert_non_null(fgets(line, sizeof(line), p));
  assert_int_equal(pclose(p), 0);
  assert_string_equal(line, "rtcgate 0.1.0\n");
  p = popen(RG_BIN_DIR "/rtcgate help", "r");
  assert_non_null(fgets(line, sizeof(line), p));
  assert_int_equal(pclose(p), 0);
  assert_non_null(strstr(line, "rtcgate serve"));
  p = popen(RG_BIN_DIR "/rtcgate serve --no-such-flag 1 2>/dev/null", "r");
  assert_int_equal(WEXITSTATUS(pclose(p)), 2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(health_reports_ok_and_version),
      cmocka_unit_test(sessions_issues_opaque_token_with_expiry),
      cmocka_unit_test(sessions_refuses_missing_or_wrong_app_key),
      cmocka_unit_test(sessions_refuses_unknown_fields_and_wrong_types),
      cmocka_unit_test(sessions_refuses_user_outside_the_pattern),
      cmocka_unit_test(sessions_refuses_ttl_outside_60_to_86400),
      cmocka_unit_test(sessions_refuses_empty_and_oversized_bodies),
      cmocka_unit_test(delete_session_needs_key_and_a_live_token),
      cmocka_unit_test(calls_get_needs_key_and_known_call),
      cmocka_unit_test(metrics_count_tokens_issued_and_rejected),
      cmocka_unit_test(metrics_fetch_the_broker_counters_at_most_four_times_a_second),
      cmocka_unit_test(demo_token_is_issued_to_loopback_with_any_destination),
      cmocka_unit_test(loopback_check_takes_127_8_and_ipv6_loopback_only),
      cmocka_unit_test(static_files_sdk_and_demo_page_are_served),
      cmocka_unit_test(unknown_routes_and_methods_are_refused),
      cmocka_unit_test(tls_certificate_covers_localhost_and_old_tls_is_refused),
      cmocka_unit_test(tls12_with_only_cbc_or_rsa_key_exchange_suites_is_refused),
      cmocka_unit_test(app_key_is_made_once_printed_once_and_used),
      cmocka_unit_test(config_file_settings_apply_and_flags_override),
      cmocka_unit_test(version_and_help_commands_work),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
