/* Cross-checks with libsrtp2 (an independent implementation): for every
 * profile, packets protected by rtcgate are unprotected by libsrtp2 and the
 * other way round, over several SSRCs and across a sequence-number wrap
 * (so the roll-over counter must advance identically on both sides). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "test_srtp_util.h"

#define N_SSRC 5
#define N_PKT 120          /* per SSRC; seq starts near 65535 and wraps */
#define SEQ_START 65480u
#define N_RTCP 12

/* RTP with CSRCs and a header extension on some packets, so the encrypted
 * part's offset is checked too. */
static size_t build_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, int i)
{
  size_t payload = (size_t)(i * 37) % 300; /* includes empty payloads */
  size_t n = t_rtp(p, ssrc, seq, (uint32_t)i * 160, payload);
  if (i % 5 == 3) { /* CC=1, X=1 with a 2-word extension, then the payload */
    memmove(p + 12 + 4 + 12, p + 12, payload);
    p[0] = 0x80 | 0x10 | 1;
    memset(p + 12, 0xab, 4);        /* CSRC */
    p[16] = 0xbe, p[17] = 0xde;      /* RFC 8285 one-byte profile */
    p[18] = 0, p[19] = 2;            /* 2 words follow */
    memset(p + 20, 0x11, 8);
    n += 4 + 12;
  }
  return n;
}

static void rtcgate_to_libsrtp(int profile)
{
  struct rg_srtp *tx = t_ctx(profile, RG_SRTP_PROTECT, 9, 16, 0);
  srtp_t rx = t_libsrtp(profile, true, 9, false);
  assert_non_null(tx);
  assert_non_null(rx);
  uint8_t plain[T_PKT_CAP], buf[T_PKT_CAP];
  for (int i = 0; i < N_PKT; i++) {
    for (uint32_t k = 0; k < N_SSRC; k++) {
      uint32_t ssrc = 0x1000 + k * 0x01010101u;
      size_t n = build_rtp(plain, ssrc, (uint16_t)(SEQ_START + (uint32_t)i), i);
      memcpy(buf, plain, n);
      int len = rg_srtp_protect_rtp(tx, buf, n, sizeof buf);
      assert_true(len > (int)n);
      assert_int_equal(srtp_unprotect(rx, buf, &len), srtp_err_status_ok);
      assert_int_equal(len, (int)n);
      assert_memory_equal(buf, plain, n);
      if (i < N_RTCP) {
        n = t_rtcp(plain, ssrc, (uint32_t)i);
        memcpy(buf, plain, n);
        len = rg_srtp_protect_rtcp(tx, buf, n, sizeof buf);
        assert_true(len > (int)n);
        const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
        size_t word = info->aead ? (size_t)len - 4 : (size_t)len - info->rtcp_tag_len - 4;
        assert_true(buf[word] & 0x80); /* E flag: rtcgate always encrypts SRTCP */
        assert_int_equal(srtp_unprotect_rtcp(rx, buf, &len), srtp_err_status_ok);
        assert_int_equal(len, (int)n);
        assert_memory_equal(buf, plain, n);
      }
    }
  }
  rg_srtp_free(tx);
  srtp_dealloc(rx);
}

static void libsrtp_to_rtcgate(int profile, bool rtcp_auth_only)
{
  srtp_t tx = t_libsrtp(profile, false, 4, rtcp_auth_only);
  struct rg_srtp *rx = t_ctx(profile, RG_SRTP_UNPROTECT, 4, 16, 0);
  assert_non_null(tx);
  assert_non_null(rx);
  uint8_t plain[T_PKT_CAP], buf[T_PKT_CAP];
  for (int i = 0; i < N_PKT; i++) {
    for (uint32_t k = 0; k < N_SSRC; k++) {
      uint32_t ssrc = 0xdead0000u + k;
      size_t n = build_rtp(plain, ssrc, (uint16_t)(SEQ_START + (uint32_t)i), i);
      memcpy(buf, plain, n);
      int len = (int)n;
      assert_int_equal(srtp_protect(tx, buf, &len), srtp_err_status_ok);
      assert_int_equal(rg_srtp_unprotect_rtp(rx, buf, (size_t)len), (int)n);
      assert_memory_equal(buf, plain, n);
      if (i < N_RTCP) {
        n = t_rtcp(plain, ssrc, (uint32_t)i);
        memcpy(buf, plain, n);
        len = (int)n;
        assert_int_equal(srtp_protect_rtcp(tx, buf, &len), srtp_err_status_ok);
        if (rtcp_auth_only) /* E=0: the payload went out in the clear */
          assert_memory_equal(buf, plain, n);
        assert_int_equal(rg_srtp_unprotect_rtcp(rx, buf, (size_t)len), (int)n);
        assert_memory_equal(buf, plain, n);
      }
    }
  }
  assert_int_equal(rg_srtp_stream_count(rx), N_SSRC);
  rg_srtp_free(rx);
  srtp_dealloc(tx);
}

static void libsrtp2_unprotects_what_rtcgate_protects_every_profile(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++)
    rtcgate_to_libsrtp(t_profiles[i]);
}

static void rtcgate_unprotects_what_libsrtp2_protects_every_profile(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++)
    libsrtp_to_rtcgate(t_profiles[i], false);
}

static void rtcgate_unprotects_libsrtp2_unencrypted_srtcp_every_profile(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++)
    libsrtp_to_rtcgate(t_profiles[i], true);
}

/* A packet rtcgate protected under one master key fails libsrtp2's check
 * under another: the oracle really verifies. */
static void libsrtp2_rejects_rtcgate_packet_under_other_key(void **state)
{
  struct rg_srtp *tx = t_ctx(RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_PROTECT, 1, 4, 0);
  srtp_t rx = t_libsrtp(RG_SRTP_AES128_CM_SHA1_80, true, 2, false);
  uint8_t buf[256];
  size_t n = t_rtp(buf, 42, 1, 0, 100);
  int len = rg_srtp_protect_rtp(tx, buf, n, sizeof buf);
  assert_int_equal(srtp_unprotect(rx, buf, &len), srtp_err_status_auth_fail);
  rg_srtp_free(tx);
  srtp_dealloc(rx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(libsrtp2_unprotects_what_rtcgate_protects_every_profile),
    cmocka_unit_test(rtcgate_unprotects_what_libsrtp2_protects_every_profile),
    cmocka_unit_test(rtcgate_unprotects_libsrtp2_unencrypted_srtcp_every_profile),
    cmocka_unit_test(libsrtp2_rejects_rtcgate_packet_under_other_key),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  srtp_shutdown();
  return rc;
}
