/* SSRC allow-list verdicts and the one set of drop counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/ssrc_policy.h"

#define SSRC_AUDIO 0x11223344u
#define SSRC_VIDEO 0x55667788u

static void rtp_from(uint8_t *p, uint32_t ssrc)
{
  static const uint8_t hdr[12] = {0x80, 0x6F, 0x00, 0x01, 0, 0, 0, 1};
  memcpy(p, hdr, sizeof hdr);
  p[8] = (uint8_t)(ssrc >> 24);
  p[9] = (uint8_t)(ssrc >> 16);
  p[10] = (uint8_t)(ssrc >> 8);
  p[11] = (uint8_t)ssrc;
  memset(p + 12, 0xAB, 20); /* 20-byte payload: 32 bytes in all */
}

static void put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* RR (RC=0) from rr_sender + PLI from pli_sender: 20 bytes. */
static void rr_pli_from(uint8_t *b, uint32_t rr_sender, uint32_t pli_sender)
{
  static const uint8_t t[20] = {0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 0,
                                0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 0, 0x99, 0x99, 0x99, 0x99};
  memcpy(b, t, sizeof t);
  put32(b + 4, rr_sender);
  put32(b + 12, pli_sender);
}

static void ready_policy(struct rg_ssrc_policy *p)
{
  rg_ssrc_policy_init(p);
  assert_int_equal(rg_ssrc_policy_add(p, SSRC_AUDIO, RG_MEDIA_AUDIO, "0", 1), RG_OK);
  assert_int_equal(rg_ssrc_policy_add(p, SSRC_VIDEO, RG_MEDIA_VIDEO, "1", 1), RG_OK);
  rg_ssrc_policy_set_ready(p, true);
}

static void nothing_passes_before_ready(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t pkt[32], rtcp[20];
  rg_ssrc_policy_init(&p);
  assert_int_equal(rg_ssrc_policy_add(&p, SSRC_AUDIO, RG_MEDIA_AUDIO, NULL, 0), RG_OK);
  rtp_from(pkt, SSRC_AUDIO);
  rr_pli_from(rtcp, SSRC_AUDIO, SSRC_AUDIO);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_DROP_NOT_READY);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, rtcp, sizeof rtcp), RG_SSRC_DROP_NOT_READY);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_NOT_READY], 2);
  assert_int_equal(p.c.accepted_packets, 0);
  rg_ssrc_policy_set_ready(&p, true);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_ACCEPT);
}

static void negotiated_rtp_ssrc_is_accepted_and_counted(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t pkt[32];
  ready_policy(&p);
  rtp_from(pkt, SSRC_AUDIO);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_ACCEPT);
  rtp_from(pkt, SSRC_VIDEO);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_ACCEPT);
  const struct rg_ssrc_policy_counters *c = rg_ssrc_policy_get_counters(&p);
  assert_int_equal(c->accepted_packets, 2);
  assert_int_equal(c->accepted_bytes, 64);
  assert_int_equal(c->accepted_rtcp_packets, 0);
  assert_int_equal(c->dropped_bytes, 0);
}

static void unknown_rtp_ssrc_is_dropped_and_counted(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t pkt[32];
  ready_policy(&p);
  rtp_from(pkt, 0xDEADBEEFu);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_DROP_UNKNOWN_SSRC);
  rtp_from(pkt, 0); /* libwebrtc's SSRC-0 probes are not media: dropped unless added */
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_DROP_UNKNOWN_SSRC);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_UNKNOWN_SSRC], 2);
  assert_int_equal(p.c.dropped_bytes, 64);
  assert_int_equal(p.c.accepted_packets, 0);
}

static void malformed_rtp_is_dropped_as_malformed(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t pkt[32];
  ready_policy(&p);
  rtp_from(pkt, SSRC_AUDIO);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, 11), RG_SSRC_DROP_MALFORMED);
  pkt[0] = 0x40; /* version 1 */
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_DROP_MALFORMED);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, NULL, 0), RG_SSRC_DROP_MALFORMED);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_MALFORMED], 3);
}

static void drops_recorded_elsewhere_are_counted_by_reason(void **state)
{
  struct rg_ssrc_policy p;
  ready_policy(&p);
  rg_ssrc_policy_record_drop(&p, RG_SSRC_DROP_AUTH, 100);
  rg_ssrc_policy_record_drop(&p, RG_SSRC_DROP_AUTH, 100);
  rg_ssrc_policy_record_drop(&p, RG_SSRC_DROP_REPLAY, 50);
  rg_ssrc_policy_record_drop(&p, RG_SSRC_DROP_NOT_READY, 10);
  /* a caller bug cannot record a drop as accepted or vanish */
  rg_ssrc_policy_record_drop(&p, RG_SSRC_ACCEPT, 1);
  rg_ssrc_policy_record_drop(&p, (enum rg_ssrc_verdict)99, 1);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_AUTH], 2);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_REPLAY], 1);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_NOT_READY], 1);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_MALFORMED], 2);
  assert_int_equal(p.c.dropped[RG_SSRC_ACCEPT], 0);
  assert_int_equal(p.c.dropped_bytes, 262);
  assert_int_equal(p.c.accepted_packets, 0);
}

static void rtcp_needs_every_sender_ssrc_allowed(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t b[20];
  ready_policy(&p);
  rr_pli_from(b, SSRC_VIDEO, SSRC_VIDEO);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_ACCEPT);
  /* first sender known, second not: the whole compound goes */
  rr_pli_from(b, SSRC_VIDEO, 0x0BADu);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_DROP_UNKNOWN_SSRC);
  rr_pli_from(b, 0x0BADu, SSRC_VIDEO);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_DROP_UNKNOWN_SSRC);
  assert_int_equal(p.c.accepted_rtcp_packets, 1);
  assert_int_equal(p.c.accepted_bytes, 20);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_UNKNOWN_SSRC], 2);
}

static void receive_only_libwebrtc_rtcp_needs_extra_sender(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t b[20], pkt[32];
  ready_policy(&p);
  rr_pli_from(b, RG_SSRC_LIBWEBRTC_VIDEO_RTCP, RG_SSRC_LIBWEBRTC_VIDEO_RTCP);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_DROP_UNKNOWN_SSRC);
  assert_int_equal(rg_ssrc_policy_add_rtcp_sender(&p, RG_SSRC_LIBWEBRTC_VIDEO_RTCP), RG_OK);
  assert_int_equal(rg_ssrc_policy_add_rtcp_sender(&p, RG_SSRC_LIBWEBRTC_AUDIO_RTCP), RG_OK);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_ACCEPT);
  rr_pli_from(b, RG_SSRC_LIBWEBRTC_AUDIO_RTCP, RG_SSRC_LIBWEBRTC_VIDEO_RTCP);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_ACCEPT);
  /* an RTCP-only sender never admits RTP */
  rtp_from(pkt, RG_SSRC_LIBWEBRTC_VIDEO_RTCP);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_DROP_UNKNOWN_SSRC);
  /* and adding it as an RTCP sender does not demote a media SSRC */
  assert_int_equal(rg_ssrc_policy_add_rtcp_sender(&p, SSRC_AUDIO), RG_OK);
  rtp_from(pkt, SSRC_AUDIO);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_ACCEPT);
}

static void malformed_or_senderless_rtcp_is_dropped_as_malformed(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t b[20];
  const uint8_t empty_sdes[] = {0x80, 0xCA, 0x00, 0x00};
  ready_policy(&p);
  rr_pli_from(b, SSRC_VIDEO, SSRC_VIDEO);
  b[11] = 0x03; /* PLI length past the end */
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_DROP_MALFORMED);
  /* malformed outranks unknown: bad second packet after an unknown sender */
  put32(b + 4, 0x0BADu);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, sizeof b), RG_SSRC_DROP_MALFORMED);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, empty_sdes, sizeof empty_sdes), RG_SSRC_DROP_MALFORMED);
  assert_int_equal(rg_ssrc_policy_check_rtcp(&p, b, 0), RG_SSRC_DROP_MALFORMED);
  assert_int_equal(p.c.dropped[RG_SSRC_DROP_MALFORMED], 4);
}

static void lookup_returns_tags_and_readding_updates_them(void **state)
{
  struct rg_ssrc_policy p;
  const struct rg_ssrc_entry *e;
  ready_policy(&p);
  e = rg_ssrc_policy_lookup(&p, SSRC_VIDEO);
  assert_non_null(e);
  assert_int_equal(e->kind, RG_MEDIA_VIDEO);
  assert_int_equal(e->mid_len, 1);
  assert_memory_equal(e->mid, "1", 1);
  assert_false(e->rtcp_only);
  assert_null(rg_ssrc_policy_lookup(&p, 0x0BADu));
  assert_int_equal(rg_ssrc_policy_add(&p, SSRC_VIDEO, RG_MEDIA_VIDEO, "video", 5), RG_OK);
  e = rg_ssrc_policy_lookup(&p, SSRC_VIDEO);
  assert_int_equal(e->mid_len, 5);
  assert_memory_equal(e->mid, "video", 5);
  assert_int_equal(p.n, 2);
  assert_int_equal(rg_ssrc_policy_add(&p, 7, RG_MEDIA_AUDIO, "01234567890123456", 17), RG_ERR_INVAL);
  assert_int_equal(rg_ssrc_policy_add(&p, 7, RG_MEDIA_AUDIO, NULL, 3), RG_ERR_INVAL);
  assert_null(rg_ssrc_policy_lookup(&p, 7));
  /* an RTCP-only sender becomes media when added as media */
  assert_int_equal(rg_ssrc_policy_add_rtcp_sender(&p, 9), RG_OK);
  assert_true(rg_ssrc_policy_lookup(&p, 9)->rtcp_only);
  assert_int_equal(rg_ssrc_policy_add(&p, 9, RG_MEDIA_AUDIO, NULL, 0), RG_OK);
  assert_false(rg_ssrc_policy_lookup(&p, 9)->rtcp_only);
}

static void capacity_is_fixed_and_colliding_ssrcs_are_all_found(void **state)
{
  struct rg_ssrc_policy p;
  uint32_t list[RG_SSRC_POLICY_MAX];
  rg_ssrc_policy_init(&p);
  /* sequential and multiples of the slot count: worst cases for a weak hash */
  for (uint32_t i = 0; i < RG_SSRC_POLICY_MAX; i++)
    list[i] = i * RG_SSRC_POLICY_SLOTS;
  assert_int_equal(rg_ssrc_policy_add_list(&p, list, RG_SSRC_POLICY_MAX, RG_MEDIA_VIDEO), RG_OK);
  assert_int_equal(rg_ssrc_policy_add(&p, 1, RG_MEDIA_VIDEO, NULL, 0), RG_ERR_TOO_LARGE);
  assert_int_equal(rg_ssrc_policy_add_rtcp_sender(&p, 1), RG_ERR_TOO_LARGE);
  assert_int_equal(rg_ssrc_policy_add(&p, list[5], RG_MEDIA_AUDIO, NULL, 0), RG_OK); /* update fits */
  for (uint32_t i = 0; i < RG_SSRC_POLICY_MAX; i++) {
    assert_non_null(rg_ssrc_policy_lookup(&p, list[i]));
    assert_int_equal(rg_ssrc_policy_lookup(&p, list[i])->ssrc, list[i]);
    assert_null(rg_ssrc_policy_lookup(&p, list[i] + 1));
  }
}

static void clear_forgets_ssrcs_but_keeps_counters_and_readiness(void **state)
{
  struct rg_ssrc_policy p;
  uint8_t pkt[32];
  ready_policy(&p);
  rtp_from(pkt, SSRC_AUDIO);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_ACCEPT);
  rg_ssrc_policy_clear(&p);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_DROP_UNKNOWN_SSRC);
  assert_int_equal(p.c.accepted_packets, 1);
  assert_int_equal(rg_ssrc_policy_add(&p, SSRC_AUDIO, RG_MEDIA_AUDIO, NULL, 0), RG_OK);
  assert_int_equal(rg_ssrc_policy_check_rtp(&p, pkt, sizeof pkt), RG_SSRC_ACCEPT);
  rg_ssrc_policy_cleanup(&p);
}

static void verdict_names_are_the_documented_strings(void **state)
{
  assert_string_equal(rg_ssrc_policy_verdict_name(RG_SSRC_ACCEPT), "accept");
  assert_string_equal(rg_ssrc_policy_verdict_name(RG_SSRC_DROP_UNKNOWN_SSRC), "unknown_ssrc");
  assert_string_equal(rg_ssrc_policy_verdict_name(RG_SSRC_DROP_AUTH), "auth");
  assert_string_equal(rg_ssrc_policy_verdict_name(RG_SSRC_DROP_REPLAY), "replay");
  assert_string_equal(rg_ssrc_policy_verdict_name(RG_SSRC_DROP_MALFORMED), "malformed");
  assert_string_equal(rg_ssrc_policy_verdict_name(RG_SSRC_DROP_NOT_READY), "not_ready");
  assert_string_equal(rg_ssrc_policy_verdict_name(RG_SSRC_VERDICT_COUNT), "invalid");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(nothing_passes_before_ready),
    cmocka_unit_test(negotiated_rtp_ssrc_is_accepted_and_counted),
    cmocka_unit_test(unknown_rtp_ssrc_is_dropped_and_counted),
    cmocka_unit_test(malformed_rtp_is_dropped_as_malformed),
    cmocka_unit_test(drops_recorded_elsewhere_are_counted_by_reason),
    cmocka_unit_test(rtcp_needs_every_sender_ssrc_allowed),
    cmocka_unit_test(receive_only_libwebrtc_rtcp_needs_extra_sender),
    cmocka_unit_test(malformed_or_senderless_rtcp_is_dropped_as_malformed),
    cmocka_unit_test(lookup_returns_tags_and_readding_updates_them),
    cmocka_unit_test(capacity_is_fixed_and_colliding_ssrcs_are_all_found),
    cmocka_unit_test(clear_forgets_ssrcs_but_keeps_counters_and_readiness),
    cmocka_unit_test(verdict_names_are_the_documented_strings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
