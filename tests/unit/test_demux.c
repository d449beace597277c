/* First-byte demultiplexing table edges (RFC 7983 §7, RFC 9443 §3, RFC 5761 §4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtcgate/demux.h"

static enum rg_demux_kind classify2(uint8_t b0, uint8_t b1)
{
  const uint8_t d[2] = {b0, b1};
  return rg_demux_classify(d, sizeof d);
}

static void first_byte_table_edges(void **state)
{
  assert_int_equal(classify2(0, 1), RG_DEMUX_STUN);
  assert_int_equal(classify2(3, 0), RG_DEMUX_STUN);
  assert_int_equal(classify2(4, 0), RG_DEMUX_OTHER);
  assert_int_equal(classify2(15, 0), RG_DEMUX_OTHER);
  assert_int_equal(classify2(16, 0), RG_DEMUX_OTHER); /* ZRTP */
  assert_int_equal(classify2(19, 0), RG_DEMUX_OTHER); /* ZRTP */
  assert_int_equal(classify2(20, 0xFE), RG_DEMUX_DTLS);
  assert_int_equal(classify2(22, 0xFE), RG_DEMUX_DTLS); /* handshake */
  assert_int_equal(classify2(63, 0), RG_DEMUX_DTLS);
  assert_int_equal(classify2(64, 0), RG_DEMUX_OTHER); /* TURN channel */
  assert_int_equal(classify2(79, 0), RG_DEMUX_OTHER);
  assert_int_equal(classify2(80, 0), RG_DEMUX_OTHER); /* QUIC (RFC 9443) */
  assert_int_equal(classify2(127, 0), RG_DEMUX_OTHER);
  assert_int_equal(classify2(128, 0), RG_DEMUX_RTP);
  assert_int_equal(classify2(191, 0x60), RG_DEMUX_RTP);
  assert_int_equal(classify2(192, 0), RG_DEMUX_OTHER);
  assert_int_equal(classify2(255, 200), RG_DEMUX_OTHER);
}

static void rtp_and_rtcp_split_on_second_byte(void **state)
{
  assert_int_equal(classify2(0x80, 111), RG_DEMUX_RTP);
  assert_int_equal(classify2(0x80, 0x80 | 111), RG_DEMUX_RTP); /* marker set */
  assert_int_equal(classify2(0x80, 191), RG_DEMUX_RTP);
  assert_int_equal(classify2(0x80, 192), RG_DEMUX_RTCP);
  assert_int_equal(classify2(0x81, 200), RG_DEMUX_RTCP);
  assert_int_equal(classify2(0x8F, 206), RG_DEMUX_RTCP);
  assert_int_equal(classify2(0x80, 223), RG_DEMUX_RTCP);
  assert_int_equal(classify2(0x80, 224), RG_DEMUX_RTP);
}

static void empty_or_one_byte_rtp_is_other(void **state)
{
  const uint8_t one = 0x80, stun = 0x00;
  assert_int_equal(rg_demux_classify(NULL, 0), RG_DEMUX_OTHER);
  assert_int_equal(rg_demux_classify(&one, 0), RG_DEMUX_OTHER);
  assert_int_equal(rg_demux_classify(&one, 1), RG_DEMUX_OTHER);
  assert_int_equal(rg_demux_classify(&stun, 1), RG_DEMUX_STUN);
}

static void every_first_byte_maps_to_one_kind(void **state)
{
  unsigned n[5] = {0};
  for (unsigned b = 0; b < 256; b++)
    n[classify2((uint8_t)b, 0)]++;
  assert_int_equal(n[RG_DEMUX_STUN], 4);
  assert_int_equal(n[RG_DEMUX_DTLS], 44);
  assert_int_equal(n[RG_DEMUX_RTP], 64);
  assert_int_equal(n[RG_DEMUX_RTCP], 0);
  assert_int_equal(n[RG_DEMUX_OTHER], 256 - 4 - 44 - 64);
  assert_string_equal(rg_demux_kind_name(RG_DEMUX_RTCP), "rtcp");
  assert_string_equal(rg_demux_kind_name(RG_DEMUX_OTHER), "other");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(first_byte_table_edges),
    cmocka_unit_test(rtp_and_rtcp_split_on_second_byte),
    cmocka_unit_test(empty_or_one_byte_rtp_is_other),
    cmocka_unit_test(every_first_byte_maps_to_one_kind),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
