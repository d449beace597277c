/* librtcgate-client trust decisions against a real `rtcgate serve`: the
 * server's self-signed certificate is refused by default and accepted when
 * pinned, given as CA file, or with insecure; a broker SDP whose fingerprint
 * does not match the broker's certificate makes the client refuse the call
 * with media_failed (the SDP is altered through the client's test hook). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_client_util.h"

struct fx {
  struct gw_server srv;
  char url[64], ca[300], pin[100];
  char tok_alice[RG_CLIENT_TOKEN_MAX], tok_bob[RG_CLIENT_TOKEN_MAX];
};

static int setup(void **state)
{
  static struct fx f;
  memset(&f, 0, sizeof f);
  if (gw_server_start(&f.srv, NULL) != 0)
    return -1;
  tcu_server_url(&f.srv, f.url, sizeof f.url);
  tcu_ca_file(&f.srv, f.ca, sizeof f.ca);
  tcu_server_pin(&f.srv, f.pin, sizeof f.pin);
  tcu_mint(&f.srv, "alice", f.tok_alice, sizeof f.tok_alice);
  tcu_mint(&f.srv, "bob", f.tok_bob, sizeof f.tok_bob);
  *state = &f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  assert_int_equal(gw_server_stop(&f->srv), 0);
  return 0;
}

static bool ready_or_closed(void *arg)
{
  return tcu_saw(arg, RG_CLIENT_EV_READY, NULL) || tcu_saw(arg, RG_CLIENT_EV_CLOSED, NULL);
}

/* Connects alice with these TLS settings; true when she got "ready". */
static bool connects(struct fx *f, const struct rg_client_tls *tls, struct tcu_ev *closed)
{
  struct tcu_client alice, *cs[1] = {&alice};
  struct rg_client_config cfg;
  bool ready;
  tcu_config(&cfg, &alice, f->url, f->tok_alice, NULL);
  cfg.tls = *tls;
  tcu_start(&alice, &cfg, false);
  (void)tcu_pump(cs, 1, TCU_WAIT_MS, ready_or_closed, &alice);
  ready = tcu_saw(&alice, RG_CLIENT_EV_READY, NULL);
  if (closed)
    assert_true(ready || tcu_saw(&alice, RG_CLIENT_EV_CLOSED, closed));
  tcu_stop(&alice);
  return ready;
}

static void self_signed_server_is_refused_by_default(void **state)
{
  struct rg_client_tls tls = {.verify = RG_CLIENT_VERIFY_SYSTEM};
  struct tcu_ev closed;
  assert_false(connects(*state, &tls, &closed));
  assert_non_null(strstr(closed.reason, "certificate"));
}

static void self_signed_server_is_accepted_when_pinned(void **state)
{
  struct fx *f = *state;
  struct rg_client_tls tls = {.verify = RG_CLIENT_VERIFY_PIN, .pin_sha256 = f->pin};
  assert_true(connects(f, &tls, NULL));
}

static void wrong_pin_is_refused(void **state)
{
  struct fx *f = *state;
  char pin[100];
  struct rg_client_tls tls = {.verify = RG_CLIENT_VERIFY_PIN, .pin_sha256 = pin};
  struct tcu_ev closed;
  snprintf(pin, sizeof pin, "%s", f->pin);
  pin[0] = pin[0] == 'A' ? 'B' : 'A';
  assert_false(connects(f, &tls, &closed));
  assert_non_null(strstr(closed.reason, "certificate"));
}

static void self_signed_server_is_accepted_as_ca_file(void **state)
{
  struct fx *f = *state;
  struct rg_client_tls tls = {.verify = RG_CLIENT_VERIFY_CA_FILE, .ca_file = f->ca};
  assert_true(connects(f, &tls, NULL));
}

static void self_signed_server_is_accepted_with_insecure(void **state)
{
  struct rg_client_tls tls = {.verify = RG_CLIENT_VERIFY_INSECURE};
  assert_true(connects(*state, &tls, NULL));
}

static void minting_a_token_refuses_self_signed_server_by_default(void **state)
{
  struct fx *f = *state;
  struct rg_client_tls tls = {.verify = RG_CLIENT_VERIFY_SYSTEM};
  char token[RG_CLIENT_TOKEN_MAX], err[256] = "";
  assert_int_not_equal(rg_client_mint_token(f->url, &tls, GWS_APP_KEY, "carol", 600, token, sizeof token, err,
                                            sizeof err),
                       RG_OK);
  assert_non_null(strstr(err, "certificate"));
}

static void bad_token_is_refused(void **state)
{
  struct fx *f = *state;
  struct tcu_client alice, *cs[1] = {&alice};
  struct rg_client_config cfg;
  struct tcu_ev ev;
  tcu_config(&cfg, &alice, f->url, "not-a-valid-token", f->ca);
  tcu_start(&alice, &cfg, false);
  assert_true(tcu_wait_for(cs, 1, &alice, RG_CLIENT_EV_CLOSED, TCU_WAIT_MS));
  assert_false(tcu_saw(&alice, RG_CLIENT_EV_READY, NULL));
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_ERROR, &ev));
  assert_string_equal(ev.reason, "unauthorized");
  assert_true(tcu_saw(&alice, RG_CLIENT_EV_CLOSED, &ev));
  assert_non_null(strstr(ev.reason, "4401"));
  tcu_stop(&alice);
}

/* Test hook: flips one hex digit of the broker's a=fingerprint, keeping the
 * length, so the SDP still parses but names another certificate. */
static void tamper_fingerprint(void *user, char *sdp, size_t len)
{
  char *p;
  (void)len;
  (void)user;
  p = strstr(sdp, "a=fingerprint:sha-256 ");
  if (!p)
    return;
  p += strlen("a=fingerprint:sha-256 ");
  *p = *p == 'A' ? 'B' : 'A';
}

/* alice calls bob; the tampered side must refuse the call (media_failed)
 * without ever being secured, and the other side hears media_failed. */
static void refused_call(struct fx *f, bool tamper_caller)
{
  struct tcu_client alice, bob, *cs[2] = {&alice, &bob};
  struct rg_client_config ca, cb;
  struct rg_client_stats sa, sb;
  struct tcu_ev ev;
  tcu_config(&ca, &alice, f->url, f->tok_alice, f->ca);
  ca.tone_hz = 440;
  tcu_config(&cb, &bob, f->url, f->tok_bob, f->ca);
  cb.auto_answer = true;
  cb.tone_hz = 660;
  if (tamper_caller)
    ca.test_remote_sdp_hook = tamper_fingerprint; /* the broker's answer */
  else
    cb.test_remote_sdp_hook = tamper_fingerprint; /* the broker's offer */
  tcu_start(&alice, &ca, false);
  tcu_start(&bob, &cb, false);
  assert_true(tcu_wait_for(cs, 2, &alice, RG_CLIENT_EV_READY, TCU_WAIT_MS));
  assert_true(tcu_wait_for(cs, 2, &bob, RG_CLIENT_EV_READY, TCU_WAIT_MS));
  assert_int_equal(rg_client_call(alice.c, "bob", NULL, 0), RG_OK);
  struct tcu_client *refuser = tamper_caller ? &alice : &bob, *other = tamper_caller ? &bob : &alice;
  assert_true(tcu_wait_for(cs, 2, refuser, RG_CLIENT_EV_HANGUP, TCU_WAIT_MS));
  assert_true(tcu_saw(refuser, RG_CLIENT_EV_HANGUP, &ev));
  assert_string_equal(ev.reason, "media_failed");
  assert_true(ev.local);
  assert_true(tcu_saw(refuser, RG_CLIENT_EV_ERROR, &ev));
  assert_string_equal(ev.reason, "media_failed");
  assert_false(tcu_saw(refuser, RG_CLIENT_EV_SECURED, NULL));
  /* The other side is told by the gateway, with the same reason. */
  assert_true(tcu_wait_for(cs, 2, other, RG_CLIENT_EV_HANGUP, TCU_WAIT_MS));
  assert_true(tcu_saw(other, RG_CLIENT_EV_HANGUP, &ev));
  assert_string_equal(ev.reason, "media_failed");
  assert_false(ev.local);
  rg_client_get_stats(alice.c, &sa);
  rg_client_get_stats(bob.c, &sb);
  assert_int_equal(tamper_caller ? sa.packets_received : sb.packets_received, 0);
  assert_false(tamper_caller ? sa.secured : sb.secured);
  tcu_stop(&alice);
  tcu_stop(&bob);
}

static void caller_refuses_broker_answer_with_wrong_fingerprint(void **state)
{
  refused_call(*state, true);
}

static void callee_refuses_broker_offer_with_wrong_fingerprint(void **state)
{
  refused_call(*state, false);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(self_signed_server_is_refused_by_default),
      cmocka_unit_test(self_signed_server_is_accepted_when_pinned),
      cmocka_unit_test(wrong_pin_is_refused),
      cmocka_unit_test(self_signed_server_is_accepted_as_ca_file),
      cmocka_unit_test(self_signed_server_is_accepted_with_insecure),
      cmocka_unit_test(minting_a_token_refuses_self_signed_server_by_default),
      cmocka_unit_test(bad_token_is_refused),
      cmocka_unit_test(caller_refuses_broker_answer_with_wrong_fingerprint),
      cmocka_unit_test(callee_refuses_broker_offer_with_wrong_fingerprint),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
