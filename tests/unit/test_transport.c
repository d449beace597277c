/* Two transports (ICE + DTLS + SRTP + SSRC policy) connect in-process on a
 * virtual clock, in both DTLS role pairings, and exchange SRTP both ways;
 * loss, fingerprint mismatch, unknown SSRCs, replays and consent loss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/transport_internal.h"
#include "transport_harness.h"

#define SECONDS(s) ((uint64_t)(s) * 1000000ull)

/* Sends one RTP packet from side `from` and delivers it to the other side;
 * returns the receiver's handle_datagram result. */
static int send_rtp(struct harness *h, int from, uint32_t ssrc, uint16_t seq, uint8_t *keep, size_t *keep_len)
{
  uint8_t buf[1500];
  struct rg_addr dest;
  struct rg_transport_media m;
  size_t len = h_rtp(buf, ssrc, seq, 160);
  int n = rg_transport_protect_rtp(h->side[from].t, buf, len, sizeof buf, &dest);
  if (n < 0)
    return n;
  assert_true(rg_addr_equal(&dest, &h->side[1 - from].addr));
  if (keep) {
    memcpy(keep, buf, (size_t)n);
    *keep_len = (size_t)n;
  }
  int r = rg_transport_handle_datagram(h->side[1 - from].t, h->now, &h->side[from].addr, buf, (size_t)n, &m);
  if (r == 1) {
    /* The plaintext that comes out is exactly what went in. */
    uint8_t want[1500];
    assert_int_equal(m.len, h_rtp(want, ssrc, seq, 160));
    assert_memory_equal(m.data, want, m.len);
    assert_false(m.rtcp);
    assert_int_equal(m.ssrc, ssrc);
  }
  return r;
}

static int send_rtcp(struct harness *h, int from, uint32_t ssrc)
{
  uint8_t buf[1500];
  struct rg_addr dest;
  struct rg_transport_media m;
  int n = rg_transport_protect_rtcp(h->side[from].t, buf, h_rtcp_rr(buf, ssrc), sizeof buf, &dest);
  if (n < 0)
    return n;
  int r = rg_transport_handle_datagram(h->side[1 - from].t, h->now, &h->side[from].addr, buf, (size_t)n, &m);
  if (r == 1) {
    assert_true(m.rtcp);
    assert_int_equal(m.len, 8);
    assert_int_equal(m.ssrc, ssrc);
  }
  return r;
}

static void connect_and_exchange(int broker_role, int profile, unsigned loss)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = broker_role, .profile = profile};
  h_init(&h, &o);
  h.loss_pct = loss;
  h_run(&h, SECONDS(60), true);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(rg_transport_state(h.side[i].t), RG_TRANSPORT_READY);
    assert_true(h_saw(&h.side[i], RG_TRANSPORT_EV_ICE_CONNECTED));
    assert_true(h_saw(&h.side[i], RG_TRANSPORT_EV_FINGERPRINT_VERIFIED));
    assert_true(h_saw(&h.side[i], RG_TRANSPORT_EV_DTLS_CONNECTED));
    assert_false(h_saw(&h.side[i], RG_TRANSPORT_EV_FINGERPRINT_MISMATCH));
    const struct rg_transport_event *ev = &h.side[i].last[RG_TRANSPORT_EV_DTLS_CONNECTED];
    assert_string_equal(ev->version, "DTLS 1.2");
    assert_true(strlen(ev->cipher) > 0);
    if (profile)
      assert_int_equal(ev->srtp_profile, profile);
    else /* both sides prefer GCM-256 by default */
      assert_int_equal(ev->srtp_profile, RG_SRTP_AEAD_AES_256_GCM);
  }
  /* SRTP both ways, RTP and RTCP, across several packets. */
  for (uint16_t seq = 1; seq <= 50; seq++) {
    assert_int_equal(send_rtp(&h, 1, seq % 2 ? H_CLIENT_AUDIO : H_CLIENT_VIDEO, seq, NULL, NULL), 1);
    assert_int_equal(send_rtp(&h, 0, H_BROKER_AUDIO, seq, NULL, NULL), 1);
  }
  assert_int_equal(send_rtcp(&h, 1, H_CLIENT_AUDIO), 1);
  assert_int_equal(send_rtcp(&h, 0, H_BROKER_AUDIO), 1);
  struct rg_transport_stats st;
  rg_transport_get_stats(h.side[0].t, &st);
  assert_int_equal(st.media->accepted_packets, 51);
  assert_int_equal(st.media->dropped[RG_SSRC_DROP_UNKNOWN_SSRC], 0);
  h_free(&h);
}

static void controlling_dtls_client_and_lite_dtls_server_exchange_srtp(void **state)
{
  connect_and_exchange(RG_DTLS_SERVER, 0, 0);
}

static void controlling_dtls_server_and_lite_dtls_client_exchange_srtp(void **state)
{
  connect_and_exchange(RG_DTLS_CLIENT, 0, 0);
}

static void every_srtp_profile_carries_media_through_transports(void **state)
{
  static const int profiles[] = {RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AES128_CM_SHA1_32, RG_SRTP_AEAD_AES_128_GCM,
                                 RG_SRTP_AEAD_AES_256_GCM};
  for (size_t i = 0; i < 4; i++)
    connect_and_exchange(i % 2 ? RG_DTLS_CLIENT : RG_DTLS_SERVER, profiles[i], 0);
}

static void transports_connect_with_ten_percent_loss_in_both_pairings(void **state)
{
  connect_and_exchange(RG_DTLS_SERVER, 0, 10);
  connect_and_exchange(RG_DTLS_CLIENT, 0, 10);
}

static void mismatch(bool client_detects, int broker_role)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = broker_role,
                        .client_expects_wrong_fp = client_detects,
                        .broker_expects_wrong_fp = !client_detects};
  int detector = client_detects ? 1 : 0;
  h_init(&h, &o);
  h_run(&h, SECONDS(20), true);
  /* The detecting side reports the mismatch, is inert, never READY. */
  assert_true(h_saw(&h.side[detector], RG_TRANSPORT_EV_FINGERPRINT_MISMATCH));
  assert_false(h_saw(&h.side[detector], RG_TRANSPORT_EV_FINGERPRINT_VERIFIED));
  assert_int_equal(rg_transport_state(h.side[detector].t), RG_TRANSPORT_FAILED);
  struct rg_transport_stats st;
  rg_transport_get_stats(h.side[detector].t, &st);
  assert_int_equal(st.fingerprint_mismatches, 1);
  /* Inert: it sends nothing more, whatever arrives or whenever it is polled. */
  uint64_t sent = h.side[detector].tx_datagrams;
  h_run(&h, SECONDS(5), false);
  assert_int_equal(h.side[detector].tx_datagrams, sent);
  assert_int_equal(rg_transport_next_timeout(h.side[detector].t), UINT64_MAX);
  /* No keys, no media, in either direction. */
  assert_int_equal(send_rtp(&h, detector, detector ? H_CLIENT_AUDIO : H_BROKER_AUDIO, 1, NULL, NULL), RG_ERR_STATE);
  int r = send_rtp(&h, 1 - detector, detector ? H_BROKER_AUDIO : H_CLIENT_AUDIO, 1, NULL, NULL);
  assert_true(r < 0);
  h_free(&h);
}

static void fingerprint_mismatch_detected_by_client_passes_no_media(void **state)
{
  mismatch(true, RG_DTLS_SERVER);
  mismatch(true, RG_DTLS_CLIENT);
}

static void fingerprint_mismatch_detected_by_broker_passes_no_media(void **state)
{
  mismatch(false, RG_DTLS_SERVER);
  mismatch(false, RG_DTLS_CLIENT);
}

static void media_is_refused_both_ways_before_dtls_is_verified(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_SERVER};
  h_init(&h, &o);
  /* Let ICE connect but hold DTLS back: run only a little. */
  h_run(&h, 1500, false);
  assert_int_not_equal(rg_transport_state(h.side[0].t), RG_TRANSPORT_READY);
  uint8_t buf[1500];
  struct rg_addr dest;
  size_t len = h_rtp(buf, H_CLIENT_AUDIO, 1, 100);
  assert_int_equal(rg_transport_protect_rtp(h.side[1].t, buf, len, sizeof buf, &dest), RG_ERR_STATE);
  assert_int_equal(rg_transport_protect_rtcp(h.side[0].t, buf, h_rtcp_rr(buf, 1), sizeof buf, &dest),
                   RG_ERR_STATE);
  struct rg_transport_stats st;
  rg_transport_get_stats(h.side[1].t, &st);
  assert_int_equal(st.tx_refused, 1);
  h_free(&h);
}

static void srtp_before_ready_from_validated_peer_is_dropped_not_ready(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_SERVER};
  h_init(&h, &o);
  h_run(&h, 1500, false); /* one check answered: the client's address is validated */
  assert_int_not_equal(rg_transport_state(h.side[0].t), RG_TRANSPORT_READY);
  uint8_t buf[1500];
  struct rg_transport_media m;
  size_t len = h_rtp(buf, H_CLIENT_AUDIO, 1, 100);
  assert_int_equal(rg_transport_handle_datagram(h.side[0].t, h.now, &h.side[1].addr, buf, len, &m), RG_ERR_STATE);
  struct rg_transport_stats st;
  rg_transport_get_stats(h.side[0].t, &st);
  assert_int_equal(st.media->dropped[RG_SSRC_DROP_NOT_READY], 1);
  assert_int_equal(st.media->accepted_packets, 0);
  h_free(&h);
}

static void unknown_ssrc_is_dropped_and_counted_without_creating_srtp_state(void **state)
{
  struct harness h;
  /* The client may protect many SSRCs; the broker keeps its default cap. */
  struct h_options o = {.broker_dtls_role = RG_DTLS_SERVER, .client_srtp_streams = 4 * RG_TRANSPORT_MAX_SSRCS};
  h_init(&h, &o);
  h_run(&h, SECONDS(10), true);
  assert_int_equal(send_rtp(&h, 1, 0xDEADBEEF, 1, NULL, NULL), RG_ERR_UNKNOWN_SSRC);
  assert_int_equal(send_rtcp(&h, 1, 0xDEADBEEF), RG_ERR_UNKNOWN_SSRC);
  assert_int_equal(send_rtp(&h, 1, H_CLIENT_AUDIO, 2, NULL, NULL), 1);
  /* More junk SSRCs than the receive side has SRTP stream slots
   * (RG_TRANSPORT_MAX_SSRCS): none may take a slot, so an allowed SSRC seen
   * for the first time afterwards still gets one. */
  for (uint32_t i = 0; i < 2 * RG_TRANSPORT_MAX_SSRCS; i++)
    assert_int_equal(send_rtp(&h, 1, 0xBAD00000u + i, 1, NULL, NULL), RG_ERR_UNKNOWN_SSRC);
  assert_int_equal(send_rtp(&h, 1, H_CLIENT_VIDEO, 3, NULL, NULL), 1);
  struct rg_transport_stats st;
  rg_transport_get_stats(h.side[0].t, &st);
  assert_int_equal(st.media->dropped[RG_SSRC_DROP_UNKNOWN_SSRC], 2 + 2 * RG_TRANSPORT_MAX_SSRCS);
  assert_int_equal(st.media->accepted_packets, 2);
  h_free(&h);
}

static void replayed_and_tampered_srtp_are_dropped_and_next_packet_passes(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_CLIENT};
  uint8_t keep[1500], copy[1500];
  size_t keep_len;
  struct rg_transport_media m;
  h_init(&h, &o);
  h_run(&h, SECONDS(10), true);
  assert_int_equal(send_rtp(&h, 1, H_CLIENT_AUDIO, 10, keep, &keep_len), 1);
  memcpy(copy, keep, keep_len);
  assert_int_equal(rg_transport_handle_datagram(h.side[0].t, h.now, &h.side[1].addr, copy, keep_len, &m),
                   RG_ERR_REPLAY);
  /* A fresh packet (seq 11) with one bit of its tag flipped: auth failure,
   * and it must not consume seq 11 — the genuine packet right after passes. */
  uint8_t fresh[1500];
  struct rg_addr dest;
  size_t flen = h_rtp(fresh, H_CLIENT_AUDIO, 11, 160);
  int n = rg_transport_protect_rtp(h.side[1].t, fresh, flen, sizeof fresh, &dest);
  assert_true(n > 0);
  memcpy(copy, fresh, (size_t)n);
  copy[n - 1] ^= 1;
  assert_int_equal(rg_transport_handle_datagram(h.side[0].t, h.now, &h.side[1].addr, copy, (size_t)n, &m),
                   RG_ERR_AUTH);
  assert_int_equal(rg_transport_handle_datagram(h.side[0].t, h.now, &h.side[1].addr, fresh, (size_t)n, &m), 1);
  assert_int_equal(send_rtp(&h, 1, H_CLIENT_AUDIO, 12, NULL, NULL), 1);
  struct rg_transport_stats st;
  rg_transport_get_stats(h.side[0].t, &st);
  assert_int_equal(st.media->dropped[RG_SSRC_DROP_REPLAY], 1);
  assert_int_equal(st.media->dropped[RG_SSRC_DROP_AUTH], 1);
  h_free(&h);
}

/* rg_transport_prefetch is advisory: at every stage, for either direction,
 * for a known or an unknown SSRC, before and after keys exist, it changes no
 * counter and no SRTP state (the next packet's index and replay check are as
 * without it). */
static void prefetch_at_every_stage_changes_nothing(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_CLIENT};
  struct rg_transport_stats before, after;
  struct rg_ssrc_policy_counters c0;
  const uint32_t ssrcs[] = {H_CLIENT_AUDIO, H_BROKER_AUDIO, 0xdeadbeefu};
  h_init(&h, &o);
  for (int stage = 0; stage < RG_TRANSPORT_PREFETCH_STAGES; stage++) /* not keyed yet */
    for (int i = 0; i < 2; i++)
      rg_transport_prefetch(h.side[i].t, stage, i == 0, H_CLIENT_AUDIO, false);
  h_run(&h, SECONDS(10), true);
  assert_int_equal(send_rtp(&h, 1, H_CLIENT_AUDIO, 20, NULL, NULL), 1);
  rg_transport_get_stats(h.side[0].t, &before);
  c0 = *before.media;
  for (int stage = 0; stage < RG_TRANSPORT_PREFETCH_STAGES; stage++)
    for (size_t k = 0; k < sizeof ssrcs / sizeof ssrcs[0]; k++)
      for (int i = 0; i < 2; i++)
        for (int rtcp = 0; rtcp < 2; rtcp++) {
          rg_transport_prefetch(h.side[i].t, stage, true, ssrcs[k], rtcp);
          rg_transport_prefetch(h.side[i].t, stage, false, ssrcs[k], rtcp);
        }
  rg_transport_get_stats(h.side[0].t, &after);
  assert_memory_equal(&c0, after.media, sizeof c0);
  assert_int_equal(after.rx_datagrams, before.rx_datagrams);
  /* The replay window works as before: 21 passes, its copy is a replay. */
  uint8_t keep[1500];
  size_t keep_len;
  struct rg_transport_media m;
  assert_int_equal(send_rtp(&h, 1, H_CLIENT_AUDIO, 21, keep, &keep_len), 1);
  assert_int_equal(rg_transport_handle_datagram(h.side[0].t, h.now, &h.side[1].addr, keep, keep_len, &m),
                   RG_ERR_REPLAY);
  h_free(&h);
}

/* The transport keeps its next deadline instead of asking ICE and DTLS on
 * every call: after every step (handshake with loss and retransmissions,
 * keepalives, a cut path, consent loss) it must be what they say now. */
static uint64_t due_checks;
static void kept_deadline_is_current(struct harness *h)
{
  for (int i = 0; i < 2; i++) {
    const struct rg_transport *t = h->side[i].t;
    uint64_t ice = t->mode == RG_TRANSPORT_ICE_LITE ? rg_ice_lite_next_timeout(&t->ice.lite)
                                                    : rg_ice_agent_next_timeout(&t->ice.agent);
    uint64_t dtls = t->dtls_started ? rg_dtls_next_timeout(t->dtls) : UINT64_MAX;
    uint64_t want = t->state == RG_TRANSPORT_FAILED ? UINT64_MAX : ice < dtls ? ice : dtls;
    assert_int_equal(rg_transport_next_timeout(t), want);
    due_checks++;
  }
}

static void kept_deadline_is_what_ice_and_dtls_say_after_every_step(void **state)
{
  for (int role = 0; role < 2; role++) {
    struct harness h;
    struct h_options o = {.broker_dtls_role = role ? RG_DTLS_CLIENT : RG_DTLS_SERVER};
    h_init(&h, &o);
    h.each_step = kept_deadline_is_current;
    h.loss_pct = 20; /* DTLS and ICE retransmit */
    due_checks = 0;
    h_run(&h, SECONDS(60), true);
    for (int i = 0; i < 2; i++)
      assert_int_equal(rg_transport_state(h.side[i].t), RG_TRANSPORT_READY);
    h.loss_pct = 0;
    for (uint16_t seq = 1; seq <= 20; seq++) /* media moves no deadline */
      assert_int_equal(send_rtp(&h, 1, H_CLIENT_AUDIO, seq, NULL, NULL), 1);
    kept_deadline_is_current(&h);
    h_run(&h, SECONDS(20), false); /* consent checks */
    h.cut = true;
    h_run(&h, SECONDS(40), false); /* consent lost */
    for (int i = 0; i < 2; i++)
      assert_true(h_saw(&h.side[i], RG_TRANSPORT_EV_CONSENT_LOST));
    assert_true(due_checks > 40); /* it saw the steps: ~50 of them */
    h_free(&h);
  }
}

static void srtp_from_an_unvalidated_address_is_dropped(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_SERVER};
  struct rg_addr stranger;
  struct rg_transport_media m;
  uint8_t buf[1500];
  struct rg_addr dest;
  h_init(&h, &o);
  h_run(&h, SECONDS(10), true);
  h_addr(&stranger, "127.0.0.9", 40000);
  size_t len = h_rtp(buf, H_CLIENT_AUDIO, 5, 100);
  int n = rg_transport_protect_rtp(h.side[1].t, buf, len, sizeof buf, &dest);
  assert_true(n > 0);
  assert_int_equal(rg_transport_handle_datagram(h.side[0].t, h.now, &stranger, buf, (size_t)n, &m),
                   RG_ERR_NOT_FOUND);
  struct rg_transport_stats st;
  rg_transport_get_stats(h.side[0].t, &st);
  assert_int_equal(st.rx_unknown_source, 1);
  assert_int_equal(st.media->accepted_packets, 0);
  h_free(&h);
}

static void consent_is_kept_alive_then_lost_30s_after_the_path_is_cut(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_SERVER};
  h_init(&h, &o);
  h_run(&h, SECONDS(10), true);
  h_run(&h, SECONDS(90), false);
  for (int i = 0; i < 2; i++) {
    assert_false(h_saw(&h.side[i], RG_TRANSPORT_EV_CONSENT_LOST));
    assert_int_equal(rg_transport_state(h.side[i].t), RG_TRANSPORT_READY);
  }
  uint64_t cut_at = h.now;
  h.cut = true;
  /* Consent runs 30 s from the last answered check, and checks go every
   * 4-6 s (RFC 7675 §5.1): so neither side may give up before 24 s after the
   * cut, and both must have by 30 s (+1 s for the harness's step). */
  h_run(&h, SECONDS(23), false);
  for (int i = 0; i < 2; i++)
    assert_false(h_saw(&h.side[i], RG_TRANSPORT_EV_CONSENT_LOST));
  h_run(&h, SECONDS(8), false);
  for (int i = 0; i < 2; i++) {
    assert_true(h_saw(&h.side[i], RG_TRANSPORT_EV_CONSENT_LOST));
    assert_int_equal(rg_transport_state(h.side[i].t), RG_TRANSPORT_CLOSED);
  }
  assert_true(h.now - cut_at <= SECONDS(31) + H_LATENCY_US);
  /* After consent loss no media goes out. */
  assert_int_equal(send_rtp(&h, 1, H_CLIENT_AUDIO, 99, NULL, NULL), RG_ERR_STATE);
  h_free(&h);
}

static void configured_consent_timeout_closes_both_transports_after_it(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_CLIENT, .consent_timeout_us = SECONDS(2)};
  h_init(&h, &o);
  h_run(&h, SECONDS(10), true);
  for (int i = 0; i < 2; i++) {
    assert_false(h_saw(&h.side[i], RG_TRANSPORT_EV_CONSENT_LOST));
    assert_int_equal(rg_transport_state(h.side[i].t), RG_TRANSPORT_READY);
  }
  h.cut = true;
  /* Checks go every 2 s / 6 * [0.8, 1.2] <= 0.4 s: nobody gives up in the
   * first 1.5 s after the cut, both have by 2 s (+ the harness's step). */
  h_run(&h, SECONDS(1) + SECONDS(1) / 2, false);
  for (int i = 0; i < 2; i++)
    assert_false(h_saw(&h.side[i], RG_TRANSPORT_EV_CONSENT_LOST));
  h_run(&h, SECONDS(1), false);
  for (int i = 0; i < 2; i++) {
    assert_true(h_saw(&h.side[i], RG_TRANSPORT_EV_CONSENT_LOST));
    assert_int_equal(rg_transport_state(h.side[i].t), RG_TRANSPORT_CLOSED);
  }
  h_free(&h);
}

static void close_notify_reaches_the_peer(void **state)
{
  struct harness h;
  struct h_options o = {.broker_dtls_role = RG_DTLS_SERVER};
  h_init(&h, &o);
  h_run(&h, SECONDS(10), true);
  assert_int_equal(rg_transport_close(h.side[1].t, h.now), RG_OK);
  h_run(&h, SECONDS(1), false);
  assert_true(h_saw(&h.side[0], RG_TRANSPORT_EV_DTLS_CLOSED));
  assert_int_equal(rg_transport_state(h.side[0].t), RG_TRANSPORT_CLOSED);
  h_free(&h);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(controlling_dtls_client_and_lite_dtls_server_exchange_srtp),
    cmocka_unit_test(controlling_dtls_server_and_lite_dtls_client_exchange_srtp),
    cmocka_unit_test(every_srtp_profile_carries_media_through_transports),
    cmocka_unit_test(transports_connect_with_ten_percent_loss_in_both_pairings),
    cmocka_unit_test(fingerprint_mismatch_detected_by_client_passes_no_media),
    cmocka_unit_test(fingerprint_mismatch_detected_by_broker_passes_no_media),
    cmocka_unit_test(media_is_refused_both_ways_before_dtls_is_verified),
    cmocka_unit_test(srtp_before_ready_from_validated_peer_is_dropped_not_ready),
    cmocka_unit_test(unknown_ssrc_is_dropped_and_counted_without_creating_srtp_state),
    cmocka_unit_test(replayed_and_tampered_srtp_are_dropped_and_next_packet_passes),
    cmocka_unit_test(prefetch_at_every_stage_changes_nothing),
    cmocka_unit_test(kept_deadline_is_what_ice_and_dtls_say_after_every_step),
    cmocka_unit_test(srtp_from_an_unvalidated_address_is_dropped),
    cmocka_unit_test(consent_is_kept_alive_then_lost_30s_after_the_path_is_cut),
    cmocka_unit_test(configured_consent_timeout_closes_both_transports_after_it),
    cmocka_unit_test(close_notify_reaches_the_peer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
