/* Per-SSRC state: many streams in one context, roll-over counter estimation
 * (RFC 3711 §3.3.1, Appendix A), replay window sizes, SRTCP indices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "srtp_internal.h"
#include "test_srtp_util.h"

#define MANY 10000u

static void ten_thousand_ssrcs_in_one_context_round_trip(void **state)
{
  const int profiles[] = {RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AEAD_AES_128_GCM};
  for (size_t i = 0; i < 2; i++) {
    struct rg_srtp *tx = t_ctx(profiles[i], RG_SRTP_PROTECT, 5, MANY, 0);
    struct rg_srtp *rx = t_ctx(profiles[i], RG_SRTP_UNPROTECT, 5, MANY, 0);
    assert_non_null(tx);
    assert_non_null(rx);
    uint8_t plain[256], buf[256];
    for (uint16_t seq = 65534; seq != 2; seq++) { /* 4 rounds, wrapping the ROC */
      for (uint32_t k = 0; k < MANY; k++) {
        uint32_t ssrc = k * 2654435761u; /* spread over the 32-bit space */
        size_t n = t_rtp(plain, ssrc, seq, k, 40);
        memcpy(buf, plain, n);
        int len = rg_srtp_protect_rtp(tx, buf, n, sizeof buf);
        assert_true(len > 0);
        assert_int_equal(rg_srtp_unprotect_rtp(rx, buf, (size_t)len), (int)n);
        if (memcmp(buf, plain, n) != 0)
          fail_msg("ssrc %u seq %u: wrong plaintext", ssrc, seq);
      }
    }
    assert_int_equal(rg_srtp_stream_count(tx), MANY);
    assert_int_equal(rg_srtp_stream_count(rx), MANY);
    rg_srtp_free(tx);
    rg_srtp_free(rx);
  }
}

static void index_estimate_follows_rfc3711_appendix_a(void **state)
{
  uint64_t idx;
  assert_true(rg_srtp_estimate_index(0xffff, 0, &idx)); /* wrap forward */
  assert_int_equal(idx, 0x10000);
  assert_true(rg_srtp_estimate_index(0x10005, 65530, &idx)); /* late, previous ROC */
  assert_int_equal(idx, 0xfffa);
  assert_true(rg_srtp_estimate_index(0x20000 + 40000, 7000, &idx)); /* next ROC */
  assert_int_equal(idx, 0x30000 + 7000);
  assert_true(rg_srtp_estimate_index(0x20000 + 100, 200, &idx)); /* same ROC */
  assert_int_equal(idx, 0x20000 + 200);
  assert_false(rg_srtp_estimate_index(5, 65530, &idx)); /* before index 0 */
  assert_false(rg_srtp_estimate_index(RG_SRTP_RTP_INDEX_MAX, 0, &idx)); /* 2^48 exhausted */
}

static size_t protect_seq(struct rg_srtp *tx, uint8_t *buf, uint16_t seq)
{
  size_t n = t_rtp(buf, 77, seq, seq, 20);
  int len = rg_srtp_protect_rtp(tx, buf, n, T_PKT_CAP);
  assert_true(len > 0);
  return (size_t)len;
}

static int unprotect_seq(struct rg_srtp *rx, const uint8_t *pkt, size_t len)
{
  uint8_t tmp[T_PKT_CAP];
  memcpy(tmp, pkt, len);
  return rg_srtp_unprotect_rtp(rx, tmp, len);
}

static void late_packet_from_previous_roc_is_accepted_once(void **state)
{
  struct rg_srtp *tx = t_ctx(RG_SRTP_AES128_CM_SHA1_32, RG_SRTP_PROTECT, 1, 2, 0);
  struct rg_srtp *rx = t_ctx(RG_SRTP_AES128_CM_SHA1_32, RG_SRTP_UNPROTECT, 1, 2, 0);
  static uint8_t p[4][T_PKT_CAP];
  const uint16_t seqs[4] = {65534, 65535, 0, 1};
  size_t len[4];
  for (int i = 0; i < 4; i++)
    len[i] = protect_seq(tx, p[i], seqs[i]);
  assert_int_equal(unprotect_seq(rx, p[0], len[0]), 32);
  assert_int_equal(unprotect_seq(rx, p[2], len[2]), 32); /* ROC 1 */
  assert_int_equal(unprotect_seq(rx, p[3], len[3]), 32);
  assert_int_equal(unprotect_seq(rx, p[1], len[1]), 32); /* late, still ROC 0 */
  assert_int_equal(unprotect_seq(rx, p[1], len[1]), RG_ERR_REPLAY);
  rg_srtp_free(tx);
  rg_srtp_free(rx);
}

static void jump_beyond_window_forgets_older_packets(void **state)
{
  struct rg_srtp *tx = t_ctx(RG_SRTP_AEAD_AES_256_GCM, RG_SRTP_PROTECT, 1, 2, 0);
  struct rg_srtp *rx = t_ctx(RG_SRTP_AEAD_AES_256_GCM, RG_SRTP_UNPROTECT, 1, 2, 1024);
  static uint8_t a[T_PKT_CAP], b[T_PKT_CAP], c[T_PKT_CAP];
  size_t la = protect_seq(tx, a, 1), lc = protect_seq(tx, c, 4999), lb = protect_seq(tx, b, 5000);
  assert_int_equal(unprotect_seq(rx, a, la), 32);
  assert_int_equal(unprotect_seq(rx, b, lb), 32);
  assert_int_equal(unprotect_seq(rx, a, la), RG_ERR_REPLAY);
  assert_int_equal(unprotect_seq(rx, c, lc), 32);
  rg_srtp_free(tx);
  rg_srtp_free(rx);
}

static void largest_window_accepts_packets_far_behind(void **state)
{
  struct rg_srtp *tx = t_ctx(RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_PROTECT, 1, 2, 0);
  struct rg_srtp *rx = t_ctx(RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_UNPROTECT, 1, 2,
                             RG_SRTP_REPLAY_WINDOW_MAX);
  static uint8_t a[T_PKT_CAP], b[T_PKT_CAP], c[T_PKT_CAP];
  size_t la = protect_seq(tx, a, 10), lb = protect_seq(tx, b, 10 + 32767);
  size_t lc = protect_seq(tx, c, 11);
  assert_int_equal(unprotect_seq(rx, a, la), 32);
  assert_int_equal(unprotect_seq(rx, b, lb), 32);
  assert_int_equal(unprotect_seq(rx, c, lc), 32);               /* 32766 behind */
  assert_int_equal(unprotect_seq(rx, a, la), RG_ERR_REPLAY);    /* 32767 behind, seen */
  rg_srtp_free(tx);
  rg_srtp_free(rx);
}

static void srtcp_index_counts_per_ssrc_with_e_flag_set(void **state)
{
  struct rg_srtp *tx = t_ctx(RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_PROTECT, 1, 4, 0);
  uint8_t a[T_PKT_CAP];
  for (uint32_t i = 0; i < 3; i++) {
    for (uint32_t ssrc = 1; ssrc <= 2; ssrc++) {
      size_t n = t_rtcp(a, ssrc, i);
      int len = rg_srtp_protect_rtcp(tx, a, n, sizeof a);
      assert_int_equal(len, (int)n + 4 + 10);
      assert_int_equal(rg_srtp_be32(a + n), 0x80000000u | i);
    }
  }
  assert_int_equal(rg_srtp_set_next_rtcp_index(tx, 1, RG_SRTP_RTCP_INDEX_MAX), RG_OK);
  size_t n = t_rtcp(a, 1, 0);
  assert_true(rg_srtp_protect_rtcp(tx, a, n, sizeof a) > 0);
  n = t_rtcp(a, 1, 0); /* 2^31 indices used: must re-key, not wrap */
  assert_int_equal(rg_srtp_protect_rtcp(tx, a, n, sizeof a), RG_ERR_STATE);
  rg_srtp_free(tx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(ten_thousand_ssrcs_in_one_context_round_trip),
    cmocka_unit_test(index_estimate_follows_rfc3711_appendix_a),
    cmocka_unit_test(late_packet_from_previous_roc_is_accepted_once),
    cmocka_unit_test(jump_beyond_window_forgets_older_packets),
    cmocka_unit_test(largest_window_accepts_packets_far_behind),
    cmocka_unit_test(srtcp_index_counts_per_ssrc_with_e_flag_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
