/* RTCP compound validation, sender SSRCs, SR/RR blocks and feedback contents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/rtcp.h"

/* SR (RC=1) from 0x11111111 + SDES with one CNAME chunk. */
static const uint8_t sr_sdes[] = {
  0x81, 0xC8, 0x00, 0x0C, 0x11, 0x11, 0x11, 0x11,                  /* SR header, sender */
  0x83, 0xAA, 0x7E, 0x80, 0x80, 0x00, 0x00, 0x00,                  /* NTP */
  0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x06, 0x40, /* ts, packets, octets */
  0x22, 0x22, 0x22, 0x22, 0x40, 0xFF, 0xFF, 0xFE,                  /* block: ssrc, 1/4 lost, cum -2 */
  0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x07,                  /* ext seq, jitter */
  0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00,                  /* LSR, DLSR */
  0x81, 0xCA, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,                  /* SDES, chunk SSRC */
  0x01, 0x04, 'a', 'b', 'c', 'd', 0x00, 0x00,                      /* CNAME "abcd", END, pad */
};

/* RR (RC=0) + PSFB PLI, what a receive-only Chrome video leg sends (sender 1). */
static const uint8_t rr_pli[] = {
  0x80, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
  0x81, 0xCE, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x22, 0x22, 0x22, 0x22,
};

/* RTPFB generic NACK: PID 0x0100, BLP 0x0005 (lost 0x100, 0x101, 0x103). */
static const uint8_t nack[] = {
  0x81, 0xCD, 0x00, 0x03, 0x33, 0x33, 0x33, 0x33, 0x22, 0x22, 0x22, 0x22,
  0x01, 0x00, 0x00, 0x05,
};

/* PSFB AFB REMB: 2 SSRCs, exp 2, mantissa 250000 = 1,000,000 bit/s. */
static const uint8_t remb[] = {
  0x8F, 0xCE, 0x00, 0x06, 0x33, 0x33, 0x33, 0x33, 0x00, 0x00, 0x00, 0x00,
  'R', 'E', 'M', 'B', 0x02, 0x0B, 0xD0, 0x90,
  0x22, 0x22, 0x22, 0x22, 0x44, 0x44, 0x44, 0x44,
};

/* RTPFB FMT 15 transport-cc: base seq 1, 1 status, ref time 16, fb count 0,
 * one run-length chunk, one small delta, one zero byte to the word. */
static const uint8_t twcc[] = {
  0x8F, 0xCD, 0x00, 0x05, 0x33, 0x33, 0x33, 0x33, 0x22, 0x22, 0x22, 0x22,
  0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00, 0x20, 0x01, 0x04, 0x00,
};

static void sr_sdes_compound_reports_types_and_senders(void **state)
{
  struct rg_rtcp_summary s;
  assert_int_equal(rg_rtcp_walk(sr_sdes, sizeof sr_sdes, &s), RG_OK);
  assert_int_equal(s.count, 2);
  assert_int_equal(s.types[0], RG_RTCP_SR);
  assert_int_equal(s.types[1], RG_RTCP_SDES);
  assert_true(s.has_sender);
  assert_int_equal(s.n_senders, 2);
  assert_int_equal(s.first_sender_ssrc, 0x11111111u);
  assert_int_equal(s.senders[1], 0x11111111u);
  assert_string_equal(rg_rtcp_type_name(s.types[0]), "SR");
  assert_string_equal(rg_rtcp_type_name(195), "other");
}

static void sr_sender_info_and_report_block_are_decoded(void **state)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_sender_info si;
  struct rg_rtcp_report_block rb;
  rg_rtcp_iter_init(&it, sr_sdes, sizeof sr_sdes);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.len, 52);
  assert_int_equal(p.count, 1);
  assert_int_equal(rg_rtcp_sr_sender_info(&p, &si), RG_OK);
  assert_true(si.ntp == 0x83AA7E8080000000ull);
  assert_int_equal(si.rtp_ts, 0x1000);
  assert_int_equal(si.packets, 10);
  assert_int_equal(si.octets, 1600);
  assert_int_equal(rg_rtcp_report_block(&p, 0, &rb), RG_OK);
  assert_int_equal(rb.ssrc, 0x22222222u);
  assert_int_equal(rb.fraction_lost, 0x40);
  assert_int_equal(rb.cumulative_lost, -2);
  assert_int_equal(rb.ext_highest_seq, 0x00010005u);
  assert_int_equal(rb.jitter, 7);
  assert_int_equal(rb.lsr, 0x12345678u);
  assert_int_equal(rb.dlsr, 0x00010000u);
  assert_int_equal(rg_rtcp_report_block(&p, 1, &rb), RG_ERR_INVAL);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.type, RG_RTCP_SDES);
  assert_int_equal(rg_rtcp_sr_sender_info(&p, &si), RG_ERR_INVAL);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 0);
}

static void rr_pli_compound_gives_feedback_media_ssrc(void **state)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_report_block rb;
  rg_rtcp_iter_init(&it, rr_pli, sizeof rr_pli);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.type, RG_RTCP_RR);
  assert_true(p.has_sender);
  assert_int_equal(p.sender_ssrc, 1);
  assert_int_equal(rg_rtcp_report_block(&p, 0, &rb), RG_ERR_INVAL); /* RC=0 */
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.type, RG_RTCP_PSFB);
  assert_int_equal(p.count, RG_RTCP_PSFB_PLI);
  assert_int_equal(p.sender_ssrc, 1);
  assert_int_equal(p.media_ssrc, 0x22222222u);
  assert_int_equal(p.fci_len, 0);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 0);
}

static void reduced_size_feedback_alone_is_accepted(void **state)
{
  /* RFC 5506: a lone PLI without a leading SR/RR */
  struct rg_rtcp_summary s;
  assert_int_equal(rg_rtcp_walk(rr_pli + 8, sizeof rr_pli - 8, &s), RG_OK);
  assert_int_equal(s.count, 1);
  assert_int_equal(s.types[0], RG_RTCP_PSFB);
}

static void generic_nack_items_are_listed(void **state)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  uint16_t pid, blp;
  rg_rtcp_iter_init(&it, nack, sizeof nack);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.type, RG_RTCP_RTPFB);
  assert_int_equal(p.sender_ssrc, 0x33333333u);
  assert_int_equal(p.media_ssrc, 0x22222222u);
  assert_int_equal(rg_rtcp_nack_count(&p), 1);
  assert_int_equal(rg_rtcp_nack_item(&p, 0, &pid, &blp), RG_OK);
  assert_int_equal(pid, 0x0100);
  assert_int_equal(blp, 0x0005);
  assert_int_equal(rg_rtcp_nack_item(&p, 1, &pid, &blp), RG_ERR_INVAL);
}

static void nack_without_items_is_malformed(void **state)
{
  uint8_t b[12];
  struct rg_rtcp_summary s;
  memcpy(b, nack, 12);
  b[3] = 0x02;
  assert_int_equal(rg_rtcp_walk(b, sizeof b, &s), RG_ERR_MALFORMED);
}

static void remb_bitrate_and_ssrcs_are_decoded(void **state)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_remb r;
  rg_rtcp_iter_init(&it, remb, sizeof remb);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.type, RG_RTCP_PSFB);
  assert_int_equal(p.count, RG_RTCP_PSFB_AFB);
  assert_int_equal(rg_rtcp_remb_parse(&p, &r), RG_OK);
  assert_true(r.bitrate_bps == 1000000u);
  assert_int_equal(r.n_ssrcs, 2);
  assert_int_equal(r.ssrcs[4], 0x44);
  /* a PLI is not REMB */
  rg_rtcp_iter_init(&it, rr_pli + 8, sizeof rr_pli - 8);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(rg_rtcp_remb_parse(&p, &r), RG_ERR_NOT_FOUND);
}

static void remb_with_ssrc_count_beyond_packet_is_malformed(void **state)
{
  uint8_t b[sizeof remb];
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_remb r;
  memcpy(b, remb, sizeof b);
  b[16] = 3;
  rg_rtcp_iter_init(&it, b, sizeof b);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(rg_rtcp_remb_parse(&p, &r), RG_ERR_MALFORMED);
}

static void remb_bitrate_saturates_instead_of_overflowing(void **state)
{
  uint8_t b[sizeof remb];
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_remb r;
  memcpy(b, remb, sizeof b);
  b[17] = 0xFF; /* exp 63, mantissa top bits set */
  rg_rtcp_iter_init(&it, b, sizeof b);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(rg_rtcp_remb_parse(&p, &r), RG_OK);
  assert_true(r.bitrate_bps == UINT64_MAX);
}

static void transport_cc_feedback_is_accepted_and_short_one_refused(void **state)
{
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_summary s;
  uint8_t b[16];
  rg_rtcp_iter_init(&it, twcc, sizeof twcc);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.type, RG_RTCP_RTPFB);
  assert_int_equal(p.count, RG_RTCP_RTPFB_TWCC);
  assert_int_equal(p.media_ssrc, 0x22222222u);
  assert_int_equal(p.fci_len, 12);
  /* FCI of 4 bytes cannot hold the 8-byte transport-cc header */
  memcpy(b, twcc, sizeof b);
  b[3] = 0x03;
  assert_int_equal(rg_rtcp_walk(b, sizeof b, &s), RG_ERR_MALFORMED);
}

static void length_field_must_fit_exactly(void **state)
{
  uint8_t b[sizeof sr_sdes + 4];
  struct rg_rtcp_summary s;
  memcpy(b, sr_sdes, sizeof sr_sdes);
  /* SR length one word too long: overlaps the SDES then runs past the end */
  b[3] = 0x0D;
  assert_int_equal(rg_rtcp_walk(b, sizeof sr_sdes, &s), RG_ERR_MALFORMED);
  /* SDES length beyond the datagram */
  memcpy(b, sr_sdes, sizeof sr_sdes);
  b[55] = 0x04;
  assert_int_equal(rg_rtcp_walk(b, sizeof sr_sdes, &s), RG_ERR_MALFORMED);
  /* trailing bytes after the last packet (1..3, and a 4-byte non-RTCP word) */
  memcpy(b, sr_sdes, sizeof sr_sdes);
  memset(b + sizeof sr_sdes, 0, 4);
  for (size_t extra = 1; extra <= 4; extra++)
    assert_int_equal(rg_rtcp_walk(b, sizeof sr_sdes + extra, &s), RG_ERR_MALFORMED);
  /* truncated at every position */
  for (size_t len = 0; len < sizeof sr_sdes; len++) {
    if (len == 52)
      continue; /* the SR alone is a valid compound */
    assert_int_equal(rg_rtcp_walk(sr_sdes, len, &s), RG_ERR_MALFORMED);
  }
  assert_int_equal(rg_rtcp_walk(sr_sdes, 52, &s), RG_OK);
}

static void report_count_must_fit_the_length(void **state)
{
  uint8_t rr[] = {0x81, 0xC9, 0x00, 0x01, 0, 0, 0, 5}; /* RC=1, no block */
  uint8_t empty_rr[] = {0x80, 0xC9, 0x00, 0x00};        /* no sender SSRC */
  uint8_t sr_short[] = {0x80, 0xC8, 0x00, 0x01, 0, 0, 0, 5};
  struct rg_rtcp_summary s;
  assert_int_equal(rg_rtcp_walk(rr, sizeof rr, &s), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtcp_walk(empty_rr, sizeof empty_rr, &s), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtcp_walk(sr_short, sizeof sr_short, &s), RG_ERR_MALFORMED);
}

static void version_and_type_range_are_checked(void **state)
{
  uint8_t b[sizeof rr_pli];
  struct rg_rtcp_summary s;
  memcpy(b, rr_pli, sizeof b);
  b[8] = 0x41; /* V=1 on the second packet */
  assert_int_equal(rg_rtcp_walk(b, sizeof b, &s), RG_ERR_MALFORMED);
  memcpy(b, rr_pli, sizeof b);
  b[9] = 96; /* an RTP payload type, not an RTCP packet type */
  assert_int_equal(rg_rtcp_walk(b, sizeof b, &s), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtcp_walk(b, 0, &s), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtcp_walk(NULL, 8, &s), RG_ERR_MALFORMED);
}

static void padding_only_on_last_packet_and_consistent(void **state)
{
  uint8_t rr_pad[] = {0xA0, 0xC9, 0x00, 0x02, 0, 0, 0, 7, 0, 0, 0, 4};
  uint8_t b[sizeof rr_pli];
  struct rg_rtcp_summary s;
  assert_int_equal(rg_rtcp_walk(rr_pad, sizeof rr_pad, &s), RG_OK);
  assert_int_equal(s.first_sender_ssrc, 7);
  rr_pad[11] = 0;  /* zero count */
  assert_int_equal(rg_rtcp_walk(rr_pad, sizeof rr_pad, &s), RG_ERR_MALFORMED);
  rr_pad[11] = 5;  /* eats the sender SSRC */
  assert_int_equal(rg_rtcp_walk(rr_pad, sizeof rr_pad, &s), RG_ERR_MALFORMED);
  rr_pad[11] = 9;  /* longer than the body */
  assert_int_equal(rg_rtcp_walk(rr_pad, sizeof rr_pad, &s), RG_ERR_MALFORMED);
  memcpy(b, rr_pli, sizeof b);
  b[0] |= 0x20;    /* P on the first packet of a compound */
  assert_int_equal(rg_rtcp_walk(b, sizeof b, &s), RG_ERR_MALFORMED);
}

static void sdes_and_bye_structure_is_checked(void **state)
{
  uint8_t sdes_no_end[] = {0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b'};
  uint8_t sdes_item_over[] = {0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 'a', 'b'};
  uint8_t sdes_empty[] = {0x80, 0xCA, 0x00, 0x00};
  uint8_t bye[] = {0x81, 0xCB, 0x00, 0x02, 0, 0, 0, 9, 0x02, 'o', 'k', 0};
  uint8_t bye_bad_reason[] = {0x81, 0xCB, 0x00, 0x02, 0, 0, 0, 9, 0x09, 'n', 'o', 0};
  struct rg_rtcp_summary s;
  assert_int_equal(rg_rtcp_walk(sdes_no_end, sizeof sdes_no_end, &s), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtcp_walk(sdes_item_over, sizeof sdes_item_over, &s), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtcp_walk(sdes_empty, sizeof sdes_empty, &s), RG_OK);
  assert_false(s.has_sender);
  assert_int_equal(s.count, 1);
  assert_int_equal(rg_rtcp_walk(bye, sizeof bye, &s), RG_OK);
  assert_int_equal(s.first_sender_ssrc, 9);
  assert_int_equal(rg_rtcp_walk(bye_bad_reason, sizeof bye_bad_reason, &s), RG_ERR_MALFORMED);
}

static void compound_packet_count_is_capped(void **state)
{
  uint8_t b[4 * (RG_RTCP_MAX_PACKETS + 1)];
  struct rg_rtcp_summary s;
  for (size_t i = 0; i < sizeof b; i += 4) {
    b[i] = 0x80; b[i + 1] = 0xCA; b[i + 2] = 0; b[i + 3] = 0; /* empty SDES */
  }
  assert_int_equal(rg_rtcp_walk(b, 4 * RG_RTCP_MAX_PACKETS, &s), RG_OK);
  assert_int_equal(s.count, RG_RTCP_MAX_PACKETS);
  assert_int_equal(rg_rtcp_walk(b, sizeof b, &s), RG_ERR_TOO_LARGE);
}

static void iterator_error_is_sticky(void **state)
{
  uint8_t b[sizeof rr_pli];
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  memcpy(b, rr_pli, sizeof b);
  b[11] = 0x03; /* PLI length one word too long */
  rg_rtcp_iter_init(&it, b, sizeof b);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), RG_ERR_MALFORMED);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sr_sdes_compound_reports_types_and_senders),
    cmocka_unit_test(sr_sender_info_and_report_block_are_decoded),
    cmocka_unit_test(rr_pli_compound_gives_feedback_media_ssrc),
    cmocka_unit_test(reduced_size_feedback_alone_is_accepted),
    cmocka_unit_test(generic_nack_items_are_listed),
    cmocka_unit_test(nack_without_items_is_malformed),
    cmocka_unit_test(remb_bitrate_and_ssrcs_are_decoded),
    cmocka_unit_test(remb_with_ssrc_count_beyond_packet_is_malformed),
    cmocka_unit_test(remb_bitrate_saturates_instead_of_overflowing),
    cmocka_unit_test(transport_cc_feedback_is_accepted_and_short_one_refused),
    cmocka_unit_test(length_field_must_fit_exactly),
    cmocka_unit_test(report_count_must_fit_the_length),
    cmocka_unit_test(version_and_type_range_are_checked),
    cmocka_unit_test(padding_only_on_last_packet_and_consistent),
    cmocka_unit_test(sdes_and_bye_structure_is_checked),
    cmocka_unit_test(compound_packet_count_is_capped),
    cmocka_unit_test(iterator_error_is_sticky),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
