/* RTP header parsing, RFC 8285 extension iteration and in-place rewriting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtcgate/error.h"
#include "rtcgate/rtp.h"

/* V=2, PT 111, seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344, payload "abcd". */
static const uint8_t plain_pkt[] = {
  0x80, 0x6F, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44,
  'a', 'b', 'c', 'd',
};

/* CC=2, X=1 with a one-byte (0xBEDE) extension of 2 words:
 *   id 1 len 1 (0xAA), padding byte, id 3 len 2 (0xB1 0xB2), padding to the word */
static const uint8_t csrc_ext_pkt[] = {
  0x92, 0xE0, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0xCA, 0xFE, 0xBA, 0xBE,
  0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x0B,            /* CSRCs */
  0xBE, 0xDE, 0x00, 0x02,                                    /* ext header */
  0x10, 0xAA, 0x00, 0x31, 0xB1, 0xB2, 0x00, 0x00,            /* elements */
  0x01, 0x02, 0x03,                                          /* payload */
};

static void parse_reads_fixed_header_fields(void **state)
{
  struct rg_rtp_view v;
  assert_int_equal(rg_rtp_parse(plain_pkt, sizeof plain_pkt, &v), RG_OK);
  assert_int_equal(v.version, 2);
  assert_false(v.padding);
  assert_false(v.extension);
  assert_false(v.marker);
  assert_int_equal(v.csrc_count, 0);
  assert_int_equal(v.payload_type, 111);
  assert_int_equal(v.seq, 0x1234);
  assert_int_equal(v.timestamp, 0xDEADBEEFu);
  assert_int_equal(v.ssrc, 0x11223344u);
  assert_int_equal(v.header_len, 12);
  assert_int_equal(v.payload_len, 4);
  assert_memory_equal(rg_rtp_payload(&v), "abcd", 4);
  assert_null(v.ext_data);
}

static void parse_rejects_versions_other_than_2(void **state)
{
  uint8_t p[sizeof plain_pkt];
  struct rg_rtp_view v;
  for (unsigned ver = 0; ver < 4; ver++) {
    memcpy(p, plain_pkt, sizeof p);
    p[0] = (uint8_t)((ver << 6) | (p[0] & 0x3F));
    assert_int_equal(rg_rtp_parse(p, sizeof p, &v), ver == 2 ? RG_OK : RG_ERR_MALFORMED);
  }
}

static void parse_reads_csrcs_marker_and_extension_bounds(void **state)
{
  struct rg_rtp_view v;
  assert_int_equal(rg_rtp_parse(csrc_ext_pkt, sizeof csrc_ext_pkt, &v), RG_OK);
  assert_true(v.marker);
  assert_int_equal(v.payload_type, 0x60);
  assert_int_equal(v.csrc_count, 2);
  assert_int_equal(rg_rtp_csrc(&v, 0), 0x0A);
  assert_int_equal(rg_rtp_csrc(&v, 1), 0x0B);
  assert_int_equal(rg_rtp_csrc(&v, 2), 0); /* out of range */
  assert_true(v.extension);
  assert_int_equal(v.ext_profile, 0xBEDE);
  assert_int_equal(v.ext_len, 8);
  assert_ptr_equal(v.ext_data, csrc_ext_pkt + 24);
  assert_int_equal(v.header_len, 32);
  assert_int_equal(v.payload_len, 3);
  assert_int_equal(rg_rtp_payload(&v)[0], 0x01);
}

static void parse_rejects_truncation_at_every_header_position(void **state)
{
  struct rg_rtp_view v;
  const size_t header_len = 32;
  for (size_t len = 0; len < header_len; len++)
    assert_int_equal(rg_rtp_parse(csrc_ext_pkt, len, &v), RG_ERR_MALFORMED);
  for (size_t len = header_len; len <= sizeof csrc_ext_pkt; len++) {
    assert_int_equal(rg_rtp_parse(csrc_ext_pkt, len, &v), RG_OK);
    assert_int_equal(v.payload_len, len - header_len);
  }
  assert_int_equal(rg_rtp_parse(NULL, 12, &v), RG_ERR_MALFORMED);
}

static void parse_leaves_output_untouched_on_error(void **state)
{
  struct rg_rtp_view v;
  memset(&v, 0x5A, sizeof v);
  assert_int_equal(rg_rtp_parse(plain_pkt, 11, &v), RG_ERR_MALFORMED);
  assert_int_equal(v.ssrc, 0x5A5A5A5Au);
}

static void parse_strips_consistent_padding(void **state)
{
  /* payload "ab" + 2 padding bytes, the last one counting both */
  uint8_t p[] = {0xA0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 'a', 'b', 0x00, 0x02};
  struct rg_rtp_view v;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_true(v.padding);
  assert_int_equal(v.padding_len, 2);
  assert_int_equal(v.payload_len, 2);
  /* padding that fills the whole payload is legal (an all-padding probe) */
  p[15] = 4;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_int_equal(v.payload_len, 0);
}

static void parse_rejects_zero_or_oversized_padding(void **state)
{
  uint8_t p[] = {0xA0, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 'a', 'b', 0x00, 0x00};
  struct rg_rtp_view v;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_ERR_MALFORMED);  /* count 0 */
  p[15] = 5;                                                          /* eats into header */
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_ERR_MALFORMED);
  /* P set but no byte after the header to hold the count */
  assert_int_equal(rg_rtp_parse(p, 12, &v), RG_ERR_MALFORMED);
}

static void one_byte_extension_elements_skip_padding(void **state)
{
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  assert_int_equal(rg_rtp_parse(csrc_ext_pkt, sizeof csrc_ext_pkt, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_form(&v), RG_RTP_EXT_FORM_ONE_BYTE);
  assert_int_equal(rg_rtp_ext_iter_init(&it, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 1);
  assert_int_equal(e.id, 1);
  assert_int_equal(e.len, 1);
  assert_int_equal(e.data[0], 0xAA);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 1);
  assert_int_equal(e.id, 3);
  assert_int_equal(e.len, 2);
  assert_int_equal(e.data[0], 0xB1);
  assert_int_equal(e.data[1], 0xB2);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 0);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 0);
}

static void one_byte_extension_stops_at_id_15(void **state)
{
  uint8_t p[] = {0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
                 0xBE, 0xDE, 0x00, 0x01, 0x20, 0x07, 0xF3, 0x40};
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_iter_init(&it, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 1);
  assert_int_equal(e.id, 2);
  assert_int_equal(e.data[0], 0x07);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 0); /* 0xF3 ends it; 0x40 never read */
  assert_int_equal(rg_rtp_ext_find(&v, 4, &e), RG_ERR_NOT_FOUND);
}

static void one_byte_extension_rejects_element_past_end(void **state)
{
  /* id 1 with L=3 (4 bytes) but only 3 bytes left in the 1-word extension */
  uint8_t p[] = {0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
                 0xBE, 0xDE, 0x00, 0x01, 0x13, 0x01, 0x02, 0x03};
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_iter_init(&it, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_next(&it, &e), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtp_ext_find(&v, 1, &e), RG_ERR_MALFORMED);
}

static void two_byte_extension_elements_allow_zero_length(void **state)
{
  /* 0x1000 profile, 2 words: pad, id 5 len 0, id 200 len 3 (1 2 3), pad */
  uint8_t p[] = {0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
                 0x10, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0xC8, 0x03, 0x01, 0x02, 0x03, 0xFF};
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_form(&v), RG_RTP_EXT_FORM_TWO_BYTE);
  assert_int_equal(v.payload_len, 1);
  assert_int_equal(rg_rtp_ext_iter_init(&it, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 1);
  assert_int_equal(e.id, 5);
  assert_int_equal(e.len, 0);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 1);
  assert_int_equal(e.id, 200);
  assert_int_equal(e.len, 3);
  assert_int_equal(e.data[2], 0x03);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 0);
  assert_int_equal(rg_rtp_ext_find(&v, 200, &e), RG_OK);
  assert_int_equal(e.data[0], 0x01);
}

static void two_byte_extension_rejects_cut_element(void **state)
{
  /* appbits 0x5 still two-byte; id 7 claims 3 bytes, 2 left */
  uint8_t p[] = {0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
                 0x10, 0x05, 0x00, 0x01, 0x07, 0x03, 0x01, 0x02};
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_form(&v), RG_RTP_EXT_FORM_TWO_BYTE);
  assert_int_equal(rg_rtp_ext_iter_init(&it, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_next(&it, &e), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtp_ext_next(&it, &e), 0); /* nothing more after an error */
}

static void profile_defined_extension_is_bounded_but_opaque(void **state)
{
  uint8_t p[] = {0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
                 0xAB, 0xCD, 0x00, 0x01, 1, 2, 3, 4, 0x55};
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_form(&v), RG_RTP_EXT_FORM_PROFILE);
  assert_int_equal(v.ext_profile, 0xABCD);
  assert_int_equal(v.ext_len, 4);
  assert_int_equal(v.payload_len, 1);
  assert_int_equal(rg_rtp_ext_iter_init(&it, &v), RG_ERR_UNSUPPORTED);
  /* extension length beyond the packet */
  p[15] = 2;
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_ERR_MALFORMED);
}

static void ext_iter_init_reports_missing_extension(void **state)
{
  struct rg_rtp_view v;
  struct rg_rtp_ext_iter it;
  struct rg_rtp_ext_elem e;
  assert_int_equal(rg_rtp_parse(plain_pkt, sizeof plain_pkt, &v), RG_OK);
  assert_int_equal(rg_rtp_ext_form(&v), RG_RTP_EXT_FORM_NONE);
  assert_int_equal(rg_rtp_ext_iter_init(&it, &v), RG_ERR_NOT_FOUND);
  assert_int_equal(rg_rtp_ext_find(&v, 1, &e), RG_ERR_NOT_FOUND);
}

static void setters_rewrite_fields_in_place_and_keep_marker(void **state)
{
  uint8_t p[sizeof csrc_ext_pkt];
  struct rg_rtp_view v;
  memcpy(p, csrc_ext_pkt, sizeof p);
  assert_int_equal(rg_rtp_set_ssrc(p, sizeof p, 0x01020304u), RG_OK);
  assert_int_equal(rg_rtp_set_seq(p, sizeof p, 0xFFFE), RG_OK);
  assert_int_equal(rg_rtp_set_timestamp(p, sizeof p, 0x0A0B0C0Du), RG_OK);
  assert_int_equal(rg_rtp_set_payload_type(p, sizeof p, 96), RG_OK);
  assert_int_equal(rg_rtp_parse(p, sizeof p, &v), RG_OK);
  assert_int_equal(v.ssrc, 0x01020304u);
  assert_int_equal(v.seq, 0xFFFE);
  assert_int_equal(v.timestamp, 0x0A0B0C0Du);
  assert_int_equal(v.payload_type, 96);
  assert_true(v.marker);
  assert_int_equal(v.csrc_count, 2);
  assert_memory_equal(p + 12, csrc_ext_pkt + 12, sizeof p - 12); /* rest untouched */
}

static void setters_refuse_short_buffers_and_bad_payload_type(void **state)
{
  uint8_t p[12] = {0x80, 0x80};
  assert_int_equal(rg_rtp_set_ssrc(p, 11, 1), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtp_set_seq(p, 11, 1), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtp_set_timestamp(p, 11, 1), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtp_set_payload_type(p, 11, 1), RG_ERR_MALFORMED);
  assert_int_equal(rg_rtp_set_payload_type(p, 12, 128), RG_ERR_INVAL);
  assert_int_equal(p[1], 0x80);
  assert_int_equal(rg_rtp_set_payload_type(p, 12, 0), RG_OK);
  assert_int_equal(p[1], 0x80); /* marker kept, PT 0 */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_reads_fixed_header_fields),
    cmocka_unit_test(parse_rejects_versions_other_than_2),
    cmocka_unit_test(parse_reads_csrcs_marker_and_extension_bounds),
    cmocka_unit_test(parse_rejects_truncation_at_every_header_position),
    cmocka_unit_test(parse_leaves_output_untouched_on_error),
    cmocka_unit_test(parse_strips_consistent_padding),
    cmocka_unit_test(parse_rejects_zero_or_oversized_padding),
    cmocka_unit_test(one_byte_extension_elements_skip_padding),
    cmocka_unit_test(one_byte_extension_stops_at_id_15),
    cmocka_unit_test(one_byte_extension_rejects_element_past_end),
    cmocka_unit_test(two_byte_extension_elements_allow_zero_length),
    cmocka_unit_test(two_byte_extension_rejects_cut_element),
    cmocka_unit_test(profile_defined_extension_is_bounded_but_opaque),
    cmocka_unit_test(ext_iter_init_reports_missing_extension),
    cmocka_unit_test(setters_rewrite_fields_in_place_and_keep_marker),
    cmocka_unit_test(setters_refuse_short_buffers_and_bad_payload_type),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
