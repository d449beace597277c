/* The media broker end to end on loopback: a broker worker on an ephemeral
 * UDP port and two simulated native clients (rg_transport, ICE controlling,
 * real sockets) that signal through rg_broker_offer / rg_broker_answer.
 * Checks the relay both ways (RTP and RTCP), the SSRC allow-list, the
 * fingerprint contract, the setup timer, SDP refusals and hangup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>

#include "broker/broker_internal.h"
#include "test_broker_client.h"

#define CALL_ID "call-0001"
#define CALLER_AUDIO 0x1A1A1A1Au
#define CALLER_VIDEO 0x1B1B1B1Bu
#define CALLEE_AUDIO 0x2A2A2A2Au
#define CALLEE_VIDEO 0x2B2B2B2Bu
#define PUMP_MAX_MS 10000u

struct fx {
  struct rg_broker *b;
  struct tc_events ev;
  struct tc_client caller, callee;
  char *callee_offer, *caller_answer;
  char err[RG_BROKER_ERR_MAX];
};

static void fx_start_consent(struct fx *f, uint32_t setup_ms, uint32_t max_calls, uint32_t consent_ms)
{
  struct rg_broker_config cfg = {
      .media_ip = "127.0.0.1", .media_port = 0, .setup_timeout_ms = setup_ms, .max_calls = max_calls,
      .now_unix = TC_NOW_UNIX, .consent_timeout_ms = consent_ms};
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->ev.mu, NULL);
  assert_int_equal(rg_broker_new(&f->b, &cfg, tc_on_broker_event, &f->ev), RG_OK);
  assert_int_equal(rg_broker_media_port(f->b), 0);
  assert_int_equal(rg_broker_start(f->b), RG_OK);
  assert_int_not_equal(rg_broker_media_port(f->b), 0);
  assert_int_equal(strncmp(rg_broker_fingerprint(f->b), "sha-256 ", 8), 0);
  tc_client_init(&f->caller, "alice", "alic", CALLER_AUDIO, CALLER_VIDEO);
  tc_client_init(&f->callee, "bob", "bobb", CALLEE_AUDIO, CALLEE_VIDEO);
}

static void fx_start(struct fx *f, uint32_t setup_ms, uint32_t max_calls)
{
  fx_start_consent(f, setup_ms, max_calls, 0);
}

static void fx_stop(struct fx *f)
{
  rg_broker_free(f->b);
  tc_client_free(&f->caller);
  tc_client_free(&f->callee);
  free(f->callee_offer);
  free(f->caller_answer);
  pthread_mutex_destroy(&f->ev.mu);
}

/* Offer, answer, and both clients' transports, as a gateway would carry them. */
static void fx_call(struct fx *f, bool caller_lies, bool callee_lies)
{
  struct rg_fingerprint cfp = f->caller.fp, efp = f->callee.fp;
  char fp_line[RG_FINGERPRINT_STRLEN + 16];
  unsigned kinds = 0;
  char *offer, *answer;
  if (caller_lies)
    cfp.value[5] ^= 0x40;
  if (callee_lies)
    efp.value[9] ^= 0x01;
  offer = tc_client_sdp(&f->caller, &cfp, RG_SDP_SETUP_ACTPASS);
  if (rg_broker_offer(f->b, CALL_ID, offer, strlen(offer), &f->callee_offer, &kinds, f->err, sizeof f->err) != RG_OK)
    fail_msg("offer refused: %s\n%s", f->err, offer);
  assert_int_equal(kinds, 3);
  /* The broker's offer: its transport, the caller's media. */
  snprintf(fp_line, sizeof fp_line, "a=fingerprint:%s\r\n", rg_broker_fingerprint(f->b));
  assert_non_null(strstr(f->callee_offer, fp_line));
  assert_non_null(strstr(f->callee_offer, "a=setup:actpass\r\n"));
  assert_non_null(strstr(f->callee_offer, "a=ice-lite\r\n"));
  assert_non_null(strstr(f->callee_offer, "a=group:BUNDLE 0 1\r\n"));
  assert_non_null(strstr(f->callee_offer, "a=end-of-candidates\r\n"));
  assert_non_null(strstr(f->callee_offer, "a=rtpmap:111 opus/48000/2\r\n"));
  assert_non_null(strstr(f->callee_offer, "a=rtcp-fb:96 nack pli\r\n"));
  assert_non_null(strstr(f->callee_offer, "a=ssrc:437918234 cname:alice\r\n")); /* 0x1A1A1A1A */
  assert_null(strstr(f->callee_offer, "a=ice-ufrag:alic"));
  assert_null(strstr(f->callee_offer, "cname:alice\r\na=candidate")); /* the caller's candidate is gone */
  free(offer);

  answer = tc_client_sdp(&f->callee, &efp, RG_SDP_SETUP_ACTIVE);
  kinds = 0;
  assert_int_equal(rg_broker_answer(f->b, CALL_ID, answer, strlen(answer), &f->caller_answer, &kinds, f->err,
                                    sizeof f->err),
                   RG_OK);
  assert_int_equal(kinds, 3); /* the answer carries audio and video */
  free(answer);
  assert_non_null(strstr(f->caller_answer, "a=setup:active\r\n"));
  assert_non_null(strstr(f->caller_answer, "a=ice-lite\r\n"));
  assert_non_null(strstr(f->caller_answer, fp_line));
  assert_non_null(strstr(f->caller_answer, "a=ssrc:707406378 cname:bob\r\n")); /* 0x2A2A2A2A */
  assert_null(strstr(f->caller_answer, "a=ice-ufrag:bobb"));

  /* The broker answered the caller active: the caller serves DTLS. The callee answered active: it is the client. */
  tc_client_connect(&f->callee, f->callee_offer, RG_DTLS_CLIENT);
  tc_client_connect(&f->caller, f->caller_answer, RG_DTLS_SERVER);
}

static bool both_secured(void *arg)
{
  struct fx *f = arg;
  return tc_find_event(&f->ev, RG_BROKER_EV_LEG_SECURED, RG_LEG_CALLER, NULL) &&
         tc_find_event(&f->ev, RG_BROKER_EV_LEG_SECURED, RG_LEG_CALLEE, NULL) &&
         rg_transport_state(f->caller.t) == RG_TRANSPORT_READY && rg_transport_state(f->callee.t) == RG_TRANSPORT_READY;
}

static bool pump_fx(struct fx *f, unsigned ms, bool (*done)(void *))
{
  struct tc_client *cs[2] = {&f->caller, &f->callee};
  return tc_pump(cs, 2, ms, done, f);
}

static bool media_both_ways(void *arg)
{
  struct fx *f = arg;
  return tc_got(&f->callee, CALLER_AUDIO, false) && tc_got(&f->callee, CALLER_AUDIO, true) &&
         tc_got(&f->caller, CALLEE_VIDEO, false) && tc_got(&f->caller, CALLEE_VIDEO, true);
}

static bool both_closed(void *arg)
{
  struct fx *f = arg;
  return tc_saw(&f->caller, RG_TRANSPORT_EV_DTLS_CLOSED) && tc_saw(&f->callee, RG_TRANSPORT_EV_DTLS_CLOSED);
}

static void relay_carries_rtp_and_rtcp_both_ways_then_hangup_frees_call(void **state)
{
  struct fx f;
  struct rg_broker_event ev;
  struct rg_broker_leg_stats st[2];
  struct rg_broker_metrics m;
  uint8_t a[256], v[1100], ra[64], rv[64];
  size_t alen, vlen, ralen, rvlen;
  const struct tc_media *got;
  fx_start(&f, 10000, 8);
  fx_call(&f, false, false);
  assert_true(pump_fx(&f, PUMP_MAX_MS, both_secured));
  for (int side = 0; side < 2; side++) {
    assert_true(tc_find_event(&f.ev, RG_BROKER_EV_LEG_SECURED, side, &ev));
    assert_string_equal(ev.call_id, CALL_ID);
    assert_string_equal(ev.dtls_version, "DTLS 1.2");
    assert_true(strlen(ev.dtls_cipher) > 0);
    assert_string_equal(ev.srtp_profile, "AEAD_AES_256_GCM"); /* both ends prefer it by default */
  }

  alen = tc_rtp(a, 111, CALLER_AUDIO, 1, 160);
  vlen = tc_rtp(v, 96, CALLEE_VIDEO, 7, 1000);
  ralen = tc_rtcp_rr_pli(ra, CALLER_AUDIO, CALLEE_VIDEO);
  rvlen = tc_rtcp_rr_pli(rv, CALLEE_VIDEO, CALLER_AUDIO);
  assert_true(tc_send(&f.caller, a, alen, false) > 0);
  assert_true(tc_send(&f.callee, v, vlen, false) > 0);
  assert_true(tc_send(&f.caller, ra, ralen, true) > 0);
  assert_true(tc_send(&f.callee, rv, rvlen, true) > 0);
  assert_true(pump_fx(&f, PUMP_MAX_MS, media_both_ways));
  /* Decrypted at the far end, byte for byte what was sent. */
  got = tc_got(&f.callee, CALLER_AUDIO, false);
  assert_int_equal(got->len, alen);
  assert_memory_equal(got->data, a, alen);
  got = tc_got(&f.caller, CALLEE_VIDEO, false);
  assert_int_equal(got->len, vlen);
  assert_memory_equal(got->data, v, vlen);
  got = tc_got(&f.callee, CALLER_AUDIO, true);
  assert_int_equal(got->len, ralen);
  assert_memory_equal(got->data, ra, ralen);
  got = tc_got(&f.caller, CALLEE_VIDEO, true);
  assert_int_equal(got->len, rvlen);
  assert_memory_equal(got->data, rv, rvlen);

  assert_int_equal(rg_broker_call_stats(f.b, CALL_ID, st), RG_OK);
  for (int side = 0; side < 2; side++) {
    assert_true(st[side].present);
    assert_string_equal(st[side].ice_state, "connected");
    assert_string_equal(st[side].dtls_state, "connected");
    assert_string_equal(st[side].dtls_version, "DTLS 1.2");
    assert_string_equal(st[side].srtp_profile, "AEAD_AES_256_GCM");
    assert_true(st[side].fingerprint_verified);
    assert_true(st[side].packets_in >= 2 && st[side].bytes_in > 0);
    assert_true(st[side].packets_out >= 2 && st[side].bytes_out > 0);
    assert_int_equal(st[side].drops_unknown_ssrc, 0);
    assert_int_equal(st[side].drops_auth, 0);
  }
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.calls_active, 1);
  assert_int_equal(m.legs_active, 2);
  assert_true(m.packets_relayed >= 4);
  assert_int_equal(m.dtls_handshakes_ok, 2);
  assert_int_equal(m.dtls_failures_fingerprint + m.dtls_failures_timeout + m.dtls_failures_other, 0);
  /* Every DTLS datagram waited behind media (two flights in from each leg at
   * least), none was refused. */
  assert_true(m.dtls_deferred >= 4);
  assert_int_equal(m.dtls_defer_dropped, 0);

  assert_int_equal(rg_broker_hangup(f.b, CALL_ID), RG_OK);
  assert_int_equal(rg_broker_call_stats(f.b, CALL_ID, st), RG_ERR_NOT_FOUND);
  assert_int_equal(rg_broker_hangup(f.b, CALL_ID), RG_ERR_NOT_FOUND);
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.calls_active, 0);
  assert_int_equal(m.legs_active, 0);
  /* Both clients got the broker's close_notify. */
  assert_true(pump_fx(&f, 3000, both_closed));
  /* A hangup raises no event. */
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLER, NULL));
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLEE, NULL));
  fx_stop(&f);
}

/* DTLS from an address no leg owns is counted unrouted and never queued, so
 * strangers cannot crowd out the handshakes of calls being set up. */
static void dtls_from_a_stranger_is_not_queued(void **state)
{
  struct fx f;
  struct rg_broker_metrics m0, m;
  struct rg_addr to = {.family = RG_AF_INET4, .ip = {127, 0, 0, 1}}, lo = {.family = RG_AF_INET4, .ip = {127, 0, 0, 1}};
  uint8_t hello[64] = {22, 0xfe, 0xfd}; /* a DTLS record header: content type 22, version 1.2 */
  int fd;
  uint64_t t0;
  (void)state;
  fx_start(&f, 10000, 4);
  to.port = rg_broker_media_port(f.b);
  assert_int_equal(rg_udp_bind(&lo, &fd, &lo), RG_OK);
  rg_broker_get_metrics(f.b, &m0);
  for (int i = 0; i < 50; i++)
    assert_int_equal(rg_udp_sendto(fd, hello, sizeof hello, &to), RG_OK);
  t0 = rg_io_now_us();
  do {
    rg_broker_get_metrics(f.b, &m);
  } while (m.datagrams_unrouted < m0.datagrams_unrouted + 50 && rg_io_now_us() - t0 < 3000000u);
  assert_int_equal(m.datagrams_unrouted, m0.datagrams_unrouted + 50);
  assert_int_equal(m.dtls_deferred, m0.dtls_deferred);
  assert_int_equal(m.dtls_defer_dropped, 0);
  close(fd);
  fx_stop(&f);
}

/* White box for the queue behind media (broker_defer.c): the worker is not
 * started, so nothing but the test runs the queue. Legs are stand-ins (zeroed,
 * an id, an address in the broker's index, no transport): a datagram handed
 * back to its leg takes that leg's count down; one whose leg is gone is
 * counted unrouted instead. */
#define WB_LEGS (RG_BROKER_DEFER_SLOTS / RG_BROKER_DEFER_PER_LEG + 1)

struct wb {
  struct rg_broker *b;
  struct rg_broker_leg *legs; /* WB_LEGS stand-ins, leg i at 127.0.0.1:(1000 + i) */
  uint8_t rec[100];
};

static void wb_start(struct wb *w)
{
  struct rg_broker_config cfg = {.media_ip = "127.0.0.1", .setup_timeout_ms = 10000, .max_calls = 4,
                                 .now_unix = TC_NOW_UNIX};
  memset(w, 0, sizeof *w);
  w->rec[0] = 22; /* a DTLS record header: content type 22, version 1.2 */
  w->rec[1] = 0xfe;
  w->rec[2] = 0xfd;
  assert_int_equal(rg_broker_new(&w->b, &cfg, NULL, NULL), RG_OK);
  w->legs = calloc(WB_LEGS, sizeof *w->legs);
  assert_non_null(w->legs);
  for (int i = 0; i < WB_LEGS; i++) {
    struct rg_addr a = {.family = RG_AF_INET4, .ip = {127, 0, 0, 1}, .port = (uint16_t)(1000 + i)};
    w->legs[i].id = 1000u + (uint64_t)i;
    rg_broker_leg_add_addr_(w->b, &w->legs[i], &a);
  }
}

static bool wb_defer(struct wb *w, int leg, uint64_t now_us)
{
  struct rg_udp_rx p = {.data = w->rec, .len = sizeof w->rec,
                        .from = {.family = RG_AF_INET4, .ip = {127, 0, 0, 1}, .port = (uint16_t)(1000 + leg)}};
  return rg_broker_defer_(w->b, &w->legs[leg], &p, now_us);
}

static void wb_stop(struct wb *w)
{
  rg_broker_free(w->b); /* the index lives in the broker; the stand-ins after it */
  free(w->legs);
}

/* RG_BROKER_DEFER_PER_LEG per leg, RG_BROKER_DEFER_SLOTS in all, refusals
 * counted; once the socket is drained every queued datagram goes back to the
 * leg it came for. */
static void dtls_queue_is_bounded_per_leg_and_in_all(void **state)
{
  struct wb w;
  struct rg_broker_metrics m;
  int turns = 0, queued = 0;
  (void)state;
  wb_start(&w);
  for (int i = 0; i < RG_BROKER_DEFER_PER_LEG; i++)
    assert_true(wb_defer(&w, 0, 0));
  assert_false(wb_defer(&w, 0, 0)); /* one peer cannot crowd out the others */
  queued = RG_BROKER_DEFER_PER_LEG;
  for (int leg = 1; queued < RG_BROKER_DEFER_SLOTS; leg++)
    for (int i = 0; i < RG_BROKER_DEFER_PER_LEG && queued < RG_BROKER_DEFER_SLOTS; i++, queued++)
      assert_true(wb_defer(&w, leg, 0));
  assert_false(wb_defer(&w, WB_LEGS - 1, 0)); /* full */
  rg_broker_get_metrics(w.b, &m);
  assert_int_equal(m.dtls_deferred, RG_BROKER_DEFER_SLOTS);
  assert_int_equal(m.dtls_defer_dropped, 2);
  w.b->sock_drained = true;
  while (rg_broker_defer_pending_(w.b) && turns++ < RG_BROKER_DEFER_SLOTS)
    rg_broker_run_deferred_(w.b);
  assert_false(rg_broker_defer_pending_(w.b));
  for (int i = 0; i < WB_LEGS; i++)
    assert_int_equal(w.legs[i].deferred, 0); /* each went back to its own leg */
  wb_stop(&w);
}

/* A datagram queued for a leg that is gone, its address now another leg's,
 * is dropped and counted, not fed to the newcomer. */
static void queued_dtls_never_reaches_a_successor_leg(void **state)
{
  struct wb w;
  struct rg_broker_metrics m0, m;
  (void)state;
  wb_start(&w);
  assert_true(wb_defer(&w, 3, 0));
  assert_true(wb_defer(&w, 3, 0));
  w.legs[3].id = 77; /* the leg ended; a new one took 127.0.0.1:1003 */
  rg_broker_get_metrics(w.b, &m0);
  w.b->sock_drained = true;
  rg_broker_run_deferred_(w.b);
  assert_false(rg_broker_defer_pending_(w.b));
  rg_broker_get_metrics(w.b, &m);
  assert_int_equal(m.datagrams_unrouted, m0.datagrams_unrouted + 2);
  assert_int_equal(w.legs[3].deferred, 2); /* never handed to the newcomer */
  wb_stop(&w);
}

/* While media keeps the socket busy, a queued datagram waits; once it has
 * waited RG_BROKER_DEFER_MAX_WAIT_US one goes ahead per
 * RG_BROKER_DEFER_FORCED_GAP_US, no more; a drained socket lets the rest run. */
static void under_overload_dtls_goes_ahead_of_media_once_per_gap(void **state)
{
  struct wb w;
  uint64_t now;
  (void)state;
  wb_start(&w);
  now = rg_io_now_us();
  assert_true(wb_defer(&w, 0, now)); /* fresh: must wait */
  w.b->sock_drained = false;
  rg_broker_run_deferred_(w.b);
  assert_int_equal(w.legs[0].deferred, 1);
  wb_stop(&w);

  wb_start(&w);
  for (int i = 0; i < 3; i++)
    assert_true(wb_defer(&w, 0, 0)); /* queued at t=0: waited long */
  w.b->sock_drained = false;
  w.b->defer_forced_us = rg_io_now_us() - RG_BROKER_DEFER_FORCED_GAP_US;
  rg_broker_run_deferred_(w.b);
  assert_int_equal(w.legs[0].deferred, 2); /* one went ahead */
  rg_broker_run_deferred_(w.b);
  /* not a second within the gap (checked only if this thread was not held up
   * past the gap between the two calls, which would make a second one right) */
  if (rg_io_now_us() - w.b->defer_forced_us < RG_BROKER_DEFER_FORCED_GAP_US)
    assert_int_equal(w.legs[0].deferred, 2);
  usleep(RG_BROKER_DEFER_FORCED_GAP_US + 2000);
  rg_broker_run_deferred_(w.b);
  assert_true(w.legs[0].deferred <= 1);
  w.b->sock_drained = true;
  rg_broker_run_deferred_(w.b);
  assert_int_equal(w.legs[0].deferred, 0);
  wb_stop(&w);
}

static bool callee_got_good_audio(void *arg)
{
  struct fx *f = arg;
  return tc_got(&f->callee, CALLER_AUDIO, false) != NULL;
}

static void packet_with_unnegotiated_ssrc_is_dropped_and_counted(void **state)
{
  struct fx f;
  struct rg_broker_leg_stats st[2];
  struct rg_broker_metrics m;
  uint8_t p[256];
  fx_start(&f, 10000, 8);
  fx_call(&f, false, false);
  assert_true(pump_fx(&f, PUMP_MAX_MS, both_secured));
  /* The caller's own transport protects any SSRC; the broker must not relay it. */
  assert_true(tc_send(&f.caller, p, tc_rtp(p, 111, 0x0BADC0DEu, 1, 100), false) > 0);
  assert_true(tc_send(&f.caller, p, tc_rtp(p, 111, 0x0BADC0DEu, 2, 100), false) > 0);
  assert_true(tc_send(&f.caller, p, tc_rtp(p, 111, CALLER_AUDIO, 1, 100), false) > 0);
  /* Loopback keeps order: once the good packet is in, the bad ones were handled. */
  assert_true(pump_fx(&f, PUMP_MAX_MS, callee_got_good_audio));
  assert_null(tc_got(&f.callee, 0x0BADC0DEu, false));
  assert_int_equal(f.callee.n_media, 1);
  assert_int_equal(rg_broker_call_stats(f.b, CALL_ID, st), RG_OK);
  assert_int_equal(st[RG_LEG_CALLER].drops_unknown_ssrc, 2);
  assert_int_equal(st[RG_LEG_CALLEE].drops_unknown_ssrc, 0);
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.drops_unknown_ssrc, 2);
  assert_int_equal(m.packets_relayed, 1);
  /* Counters of a freed call stay in the metrics. */
  assert_int_equal(rg_broker_hangup(f.b, CALL_ID), RG_OK);
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.drops_unknown_ssrc, 2);
  fx_stop(&f);
}

struct mismatch_wait {
  struct fx *f;
  int side;
};

static bool leg_failed(void *arg)
{
  struct mismatch_wait *w = arg;
  return tc_find_event(&w->f->ev, RG_BROKER_EV_LEG_FAILED, w->side, NULL);
}

/* The honest leg is secured on both ends (broker event and client READY). */
static bool good_leg_secured(void *arg)
{
  struct mismatch_wait *w = arg;
  struct tc_client *good = w->side == RG_LEG_CALLER ? &w->f->callee : &w->f->caller;
  return tc_find_event(&w->f->ev, RG_BROKER_EV_LEG_SECURED, 1 - w->side, NULL) &&
         rg_transport_state(good->t) == RG_TRANSPORT_READY;
}

/* The broker took the honest leg's packet in and refused to relay it. */
static bool relay_refused(void *arg)
{
  struct mismatch_wait *w = arg;
  struct rg_broker_metrics m;
  rg_broker_get_metrics(w->f->b, &m);
  return m.relay_not_ready >= 1;
}

static void fingerprint_mismatch_fails_leg_silently(int liar)
{
  struct fx f;
  struct rg_broker_event ev;
  struct rg_broker_leg_stats st[2];
  struct rg_broker_metrics m;
  struct rg_transport_stats ts;
  struct mismatch_wait w = {&f, liar};
  struct tc_client *cs[2] = {&f.caller, &f.callee};
  struct tc_client *bad = liar == RG_LEG_CALLER ? &f.caller : &f.callee;
  struct tc_client *good = liar == RG_LEG_CALLER ? &f.callee : &f.caller;
  uint8_t p[256];
  uint64_t out_at_mismatch;
  fx_start(&f, 10000, 8);
  fx_call(&f, liar == RG_LEG_CALLER, liar == RG_LEG_CALLEE);
  assert_true(tc_pump(cs, 2, PUMP_MAX_MS, leg_failed, &w));
  assert_true(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, liar, &ev));
  assert_string_equal(ev.reason, "media_failed");
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_SECURED, liar, NULL));
  /* Everything the broker sent to the lying leg was counted before the
   * event was emitted (the transport goes inert at the mismatch). */
  assert_int_equal(rg_broker_call_stats(f.b, CALL_ID, st), RG_OK);
  out_at_mismatch = st[liar].packets_out;
  assert_true(out_at_mismatch > 0); /* at least the STUN answers and DTLS flight before it */
  /* No keys on the lying leg: its client never gets READY and can send nothing. */
  (void)pump_fx(&f, 300, NULL);
  assert_int_not_equal(rg_transport_state(bad->t), RG_TRANSPORT_READY);
  assert_true(tc_send(bad, p, tc_rtp(p, 111, bad->audio_ssrc, 1, 50), false) < 0);
  /* The honest leg must be up, so that zero relayed packets below means the
   * broker refused to relay toward the failed leg, not that nothing was sent. */
  assert_true(tc_pump(cs, 2, PUMP_MAX_MS, good_leg_secured, &w));
  assert_true(tc_send(good, p, tc_rtp(p, 111, good->audio_ssrc, 1, 50), false) > 0);
  assert_true(tc_pump(cs, 2, PUMP_MAX_MS, relay_refused, &w));
  (void)pump_fx(&f, 200, NULL);
  assert_int_equal(bad->n_media, 0);
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.dtls_failures_fingerprint, 1);
  assert_int_equal(m.packets_relayed, 0);
  assert_int_equal(m.relay_not_ready, 1);
  assert_int_equal(m.drops_unknown_ssrc, 0); /* it was refused for the leg, not the SSRC */

  /* "Stopped silently" (DESIGN.md item 3), in its strongest form the broker
   * implements: once the mismatch is seen the leg's transport is inert, so
   * the broker sends the lying client nothing at all after it: no DTLS
   * record (no alert, no retransmitted flight), no SRTP, and no STUN answer
   * either (consent is not granted to a failed leg). To provoke answers,
   * the lying client restarts ICE with a fresh transport (same socket, same
   * ufrag/pwd) whose connectivity checks a live leg would answer at once;
   * every datagram its socket receives is fed to (and counted by) it. */
  tc_receive(bad); /* datagrams of before, if any, go to the old transport */
  rg_transport_free(bad->t);
  bad->t = NULL;
  tc_client_connect(bad, liar == RG_LEG_CALLER ? f.caller_answer : f.callee_offer,
                    liar == RG_LEG_CALLER ? RG_DTLS_SERVER : RG_DTLS_CLIENT);
  cs[0] = bad;
  (void)tc_pump(cs, 1, 500, NULL, NULL);
  rg_transport_get_stats(bad->t, &ts);
  assert_int_equal(ts.rx_datagrams, 0);
  assert_true(ts.tx_datagrams >= 1); /* it did ask: its checks reached the broker */
  assert_int_equal(rg_broker_call_stats(f.b, CALL_ID, st), RG_OK);
  assert_int_equal(st[liar].packets_out, out_at_mismatch);
  assert_false(st[liar].fingerprint_verified);
  assert_string_equal(st[liar].dtls_state, "failed");
  assert_string_equal(st[liar].dtls_version, "");
  assert_int_equal(rg_broker_hangup(f.b, CALL_ID), RG_OK);
  fx_stop(&f);
}

static void caller_fingerprint_mismatch_fails_leg_and_is_counted(void **state)
{
  fingerprint_mismatch_fails_leg_silently(RG_LEG_CALLER); /* broker is DTLS client here */
}

static void callee_fingerprint_mismatch_fails_leg_and_is_counted(void **state)
{
  fingerprint_mismatch_fails_leg_silently(RG_LEG_CALLEE); /* broker is DTLS server here */
}

static bool both_legs_failed(void *arg)
{
  struct fx *f = arg;
  return tc_find_event(&f->ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLER, NULL) &&
         tc_find_event(&f->ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLEE, NULL);
}

/* A call may ring far longer than the setup timeout (the gateway's ring
 * timeout is 60 s, the setup timeout 10 s): no leg fails while it rings.
 * Once answered, both legs must be secured within the setup timeout. */
static void setup_timer_starts_at_the_answer_not_while_ringing(void **state)
{
  struct fx f;
  struct rg_broker_event ev;
  struct rg_broker_metrics m;
  struct tc_client *cs[1];
  unsigned kinds;
  char *offer, *answer;
  uint64_t t0, took_ms;
  fx_start(&f, 300, 8);
  cs[0] = &f.caller;
  offer = tc_client_sdp(&f.caller, &f.caller.fp, RG_SDP_SETUP_ACTPASS);
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, offer, strlen(offer), &f.callee_offer, &kinds, f.err,
                                   sizeof f.err), RG_OK);
  free(offer);
  /* Ringing for over three setup timeouts: nothing fails. */
  (void)tc_pump(cs, 1, 1000, NULL, NULL);
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLEE, NULL));
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLER, NULL));
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.dtls_failures_timeout, 0);

  /* The answer comes; nobody runs ICE or DTLS toward the broker: both legs
   * fail media_failed one setup timeout later, not before. */
  answer = tc_client_sdp(&f.callee, &f.callee.fp, RG_SDP_SETUP_ACTIVE);
  t0 = rg_io_now_us();
  assert_int_equal(rg_broker_answer(f.b, CALL_ID, answer, strlen(answer), &f.caller_answer, NULL, f.err,
                                    sizeof f.err), RG_OK);
  free(answer);
  assert_true(tc_pump(cs, 1, 3000, both_legs_failed, &f));
  took_ms = (rg_io_now_us() - t0) / 1000u;
  assert_true(took_ms >= 300 - 20 && took_ms < 1500);
  for (int side = 0; side < 2; side++) {
    assert_true(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, side, &ev));
    assert_string_equal(ev.reason, "media_failed");
    assert_true(strlen(ev.detail) > 0);
  }
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.dtls_failures_timeout, 2);
  assert_int_equal(rg_broker_hangup(f.b, CALL_ID), RG_OK);
  fx_stop(&f);
}

#define CONSENT_MS 1500u

/* RFC 7675 consent, shortened to CONSENT_MS: the callee's client stops
 * running ICE (no more consent checks) while the caller's keeps on; only the
 * callee's leg fails, with "timeout", about CONSENT_MS after its last check. */
static void leg_whose_client_stops_consent_checks_fails_with_timeout(void **state)
{
  struct fx f;
  struct rg_broker_event ev;
  struct rg_broker_leg_stats st[2];
  struct mismatch_wait w = {&f, RG_LEG_CALLEE};
  struct tc_client *alive[1] = {&f.caller};
  uint64_t t0, took_ms;
  fx_start_consent(&f, 10000, 8, CONSENT_MS);
  /* The clients check consent at RFC 7675's ratio of the same timeout. */
  f.caller.consent_timeout_us = f.callee.consent_timeout_us = (uint64_t)CONSENT_MS * 1000u;
  fx_call(&f, false, false);
  assert_true(pump_fx(&f, PUMP_MAX_MS, both_secured));
  /* Both legs keep consent past the timeout while both clients run. */
  (void)pump_fx(&f, CONSENT_MS + 500, NULL);
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLER, NULL));
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLEE, NULL));

  /* The callee goes silent: its transport is no longer driven. */
  t0 = rg_io_now_us();
  assert_true(tc_pump(alive, 1, 3 * CONSENT_MS, leg_failed, &w));
  took_ms = (rg_io_now_us() - t0) / 1000u;
  assert_true(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLEE, &ev));
  assert_string_equal(ev.call_id, CALL_ID);
  assert_string_equal(ev.reason, "timeout");
  assert_non_null(strstr(ev.detail, "consent"));
  /* Its last check came at most 300 ms (CONSENT_MS / 6 * 1.2) before the silence. */
  assert_true(took_ms >= CONSENT_MS - 300 - 50);
  assert_true(took_ms <= CONSENT_MS + 1000);
  assert_int_equal(rg_broker_call_stats(f.b, CALL_ID, st), RG_OK);
  assert_string_equal(st[RG_LEG_CALLEE].ice_state, "lost");
  assert_string_equal(st[RG_LEG_CALLER].ice_state, "connected");

  /* The caller, still checking, keeps its consent. */
  (void)tc_pump(alive, 1, 1000, NULL, NULL);
  assert_false(tc_find_event(&f.ev, RG_BROKER_EV_LEG_FAILED, RG_LEG_CALLER, NULL));
  assert_int_equal(rg_transport_state(f.caller.t), RG_TRANSPORT_READY);
  assert_int_equal(rg_broker_hangup(f.b, CALL_ID), RG_OK);
  fx_stop(&f);
}

static void consent_timeout_outside_its_range_is_refused(void **state)
{
  struct rg_broker *b = NULL;
  struct tc_events ev;
  struct rg_broker_config cfg = {.media_ip = "127.0.0.1", .now_unix = TC_NOW_UNIX, .consent_timeout_ms = 99};
  pthread_mutex_init(&ev.mu, NULL);
  assert_int_equal(rg_broker_new(&b, &cfg, tc_on_broker_event, &ev), RG_ERR_INVAL);
  cfg.consent_timeout_ms = 600001;
  assert_int_equal(rg_broker_new(&b, &cfg, tc_on_broker_event, &ev), RG_ERR_INVAL);
  assert_null(b);
  pthread_mutex_destroy(&ev.mu);
}

/* Removes the first occurrence of needle from s (in place). */
static void cut(char *s, const char *needle)
{
  char *p = strstr(s, needle);
  assert_non_null(p);
  memmove(p, p + strlen(needle), strlen(p + strlen(needle)) + 1);
}

static void bad_sdp_and_bad_requests_are_refused_with_a_reason(void **state)
{
  static const char plain_rtp[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "m=audio 5004 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:0 PCMU/8000\r\n";
  struct fx f;
  struct rg_broker_leg_stats st[2];
  struct rg_broker_metrics m;
  char *out = NULL, *offer;
  fx_start(&f, 10000, 2);
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, plain_rtp, strlen(plain_rtp), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_MALFORMED);
  assert_null(out);
  assert_true(strlen(f.err) > 0);
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, "garbage", 7, &out, NULL, f.err, sizeof f.err), RG_ERR_MALFORMED);

  offer = tc_client_sdp(&f.caller, &f.caller.fp, RG_SDP_SETUP_ACTPASS);
  cut(offer, "a=group:BUNDLE 0 1\r\n");
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_MALFORMED);
  assert_non_null(strstr(f.err, "BUNDLE"));
  free(offer);

  offer = tc_client_sdp(&f.caller, &f.caller.fp, RG_SDP_SETUP_ACTPASS);
  cut(offer, "a=rtcp-mux\r\n");
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_MALFORMED);
  assert_non_null(strstr(f.err, "rtcp-mux"));
  free(offer);

  offer = tc_client_sdp(&f.caller, &f.caller.fp, RG_SDP_SETUP_ACTPASS);
  assert_int_equal(rg_broker_offer(f.b, "bad id!", offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_INVAL);
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err), RG_OK);
  free(out);
  out = NULL;
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_STATE);
  assert_int_equal(rg_broker_offer(f.b, "call-0002", offer, strlen(offer), &out, NULL, f.err, sizeof f.err), RG_OK);
  free(out);
  out = NULL;
  assert_int_equal(rg_broker_offer(f.b, "call-0003", offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_TOO_LARGE); /* max_calls 2 */

  /* An answer must pick a role, match the offer's sections, and name a live call. */
  assert_int_equal(rg_broker_answer(f.b, "call-9999", offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_NOT_FOUND);
  assert_int_equal(rg_broker_answer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_MALFORMED); /* actpass */
  assert_null(out);
  free(offer);
  offer = tc_client_sdp(&f.callee, &f.callee.fp, RG_SDP_SETUP_ACTIVE);
  assert_int_equal(rg_broker_answer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err), RG_OK);
  free(out);
  out = NULL;
  assert_int_equal(rg_broker_answer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err), RG_ERR_STATE);
  free(offer);

  assert_int_equal(rg_broker_call_stats(f.b, "call-0002", st), RG_OK);
  assert_string_equal(st[RG_LEG_CALLEE].dtls_state, "new");
  assert_int_equal(rg_broker_hangup(f.b, "call-9999"), RG_ERR_NOT_FOUND);
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.calls_active, 2);
  assert_int_equal(m.legs_active, 3);
  fx_stop(&f); /* stop ends the remaining calls */
}

/* The descriptors of this process that are epoll instances, as a bit set
 * over the first 1024 descriptors. */
static void epoll_fds(unsigned char set[128])
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  memset(set, 0, 128);
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    char path[300], link[64];
    int fd = atoi(e->d_name);
    ssize_t n;
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < 0 || fd >= 1024)
      continue;
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    n = readlink(path, link, sizeof link - 1);
    if (n > 0) {
      link[n] = '\0';
      if (strcmp(link, "anon_inode:[eventpoll]") == 0)
        set[fd / 8] |= (unsigned char)(1u << (fd % 8));
    }
  }
  closedir(d);
}

/* If the worker's epoll fails, the worker exits: every control call must
 * then fail at once with RG_ERR_CLOSED (before the fix the first call after
 * the death waited forever on the reply), and stop/free must still clean up.
 * The failure is made real from outside, with no hook in the broker: the
 * broker's epoll descriptor (the one epoll instance rg_broker_new adds) is
 * replaced by /dev/null, so the worker's next epoll_wait gets EINVAL. */
static void calls_fail_fast_once_the_worker_has_died(void **state)
{
  struct fx f;
  unsigned char before[128], after[128];
  struct rg_broker_config cfg = {.media_ip = "127.0.0.1", .setup_timeout_ms = 10000, .max_calls = 4,
                                 .now_unix = TC_NOW_UNIX};
  struct rg_broker_leg_stats st[2];
  struct rg_broker_metrics m;
  char *offer, *out = NULL;
  int epfd = -1, n_new = 0, devnull, rc = RG_OK;
  uint64_t t0, took_ms;
  memset(&f, 0, sizeof f);
  pthread_mutex_init(&f.ev.mu, NULL);
  tc_client_init(&f.caller, "alice", "alic", CALLER_AUDIO, CALLER_VIDEO);
  tc_client_init(&f.callee, "bob", "bobb", CALLEE_AUDIO, CALLEE_VIDEO);
  epoll_fds(before);
  assert_int_equal(rg_broker_new(&f.b, &cfg, tc_on_broker_event, &f.ev), RG_OK);
  epoll_fds(after);
  for (int fd = 0; fd < 1024; fd++)
    if ((after[fd / 8] & ~before[fd / 8]) & (1u << (fd % 8))) {
      epfd = fd;
      n_new++;
    }
  assert_int_equal(n_new, 1);
  assert_int_equal(rg_broker_start(f.b), RG_OK);
  /* A live call, so stop/free has something to clean up after the death. */
  offer = tc_client_sdp(&f.caller, &f.caller.fp, RG_SDP_SETUP_ACTPASS);
  assert_int_equal(rg_broker_offer(f.b, CALL_ID, offer, strlen(offer), &f.callee_offer, NULL, f.err, sizeof f.err),
                   RG_OK);

  devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(devnull >= 0);
  assert_int_equal(dup2(devnull, epfd), epfd);
  close(devnull);
  /* The worker may still be inside its last epoll_wait (which holds the old
   * instance): a message wakes it, and its next wait fails. Within the loop's
   * longest sleep the broker must report itself closed. */
  t0 = rg_io_now_us();
  while ((rg_io_now_us() - t0) / 1000u < 3000u) {
    rc = rg_broker_call_stats(f.b, CALL_ID, st);
    if (rc == RG_ERR_CLOSED)
      break;
    assert_int_equal(rc, RG_OK);
    usleep(10000);
  }
  assert_int_equal(rc, RG_ERR_CLOSED);

  /* Every later call fails at once, with a reason. */
  t0 = rg_io_now_us();
  f.err[0] = '\0';
  assert_int_equal(rg_broker_offer(f.b, "call-0002", offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_CLOSED);
  assert_null(out);
  assert_non_null(strstr(f.err, "stopped"));
  assert_int_equal(rg_broker_answer(f.b, CALL_ID, offer, strlen(offer), &out, NULL, f.err, sizeof f.err),
                   RG_ERR_CLOSED);
  assert_int_equal(rg_broker_hangup(f.b, CALL_ID), RG_ERR_CLOSED);
  memset(&m, 0xff, sizeof m);
  rg_broker_get_metrics(f.b, &m);
  assert_int_equal(m.calls_active, 0);
  took_ms = (rg_io_now_us() - t0) / 1000u;
  assert_true(took_ms < 100);
  free(offer);
  fx_stop(&f); /* joins the dead worker and frees the call it left (ASan checks the leak) */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(relay_carries_rtp_and_rtcp_both_ways_then_hangup_frees_call),
      cmocka_unit_test(packet_with_unnegotiated_ssrc_is_dropped_and_counted),
      cmocka_unit_test(caller_fingerprint_mismatch_fails_leg_and_is_counted),
      cmocka_unit_test(callee_fingerprint_mismatch_fails_leg_and_is_counted),
      cmocka_unit_test(setup_timer_starts_at_the_answer_not_while_ringing),
      cmocka_unit_test(leg_whose_client_stops_consent_checks_fails_with_timeout),
      cmocka_unit_test(consent_timeout_outside_its_range_is_refused),
      cmocka_unit_test(bad_sdp_and_bad_requests_are_refused_with_a_reason),
      cmocka_unit_test(calls_fail_fast_once_the_worker_has_died),
      cmocka_unit_test(dtls_from_a_stranger_is_not_queued),
      cmocka_unit_test(dtls_queue_is_bounded_per_leg_and_in_all),
      cmocka_unit_test(queued_dtls_never_reaches_a_successor_leg),
      cmocka_unit_test(under_overload_dtls_goes_ahead_of_media_once_per_gap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
