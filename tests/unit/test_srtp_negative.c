/* Bad packets are dropped with their reason, and none of them changes state:
 * a genuine packet right after each one still passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "test_srtp_util.h"

#define SSRC 0x11223344u

struct pair {
  struct rg_srtp *tx, *rx;
};

static struct pair pair_new(int profile, uint32_t window)
{
  struct pair p = {t_ctx(profile, RG_SRTP_PROTECT, 3, 8, 0),
                   t_ctx(profile, RG_SRTP_UNPROTECT, 3, 8, window)};
  assert_non_null(p.tx);
  assert_non_null(p.rx);
  return p;
}

static void pair_free(struct pair *p)
{
  rg_srtp_free(p->tx);
  rg_srtp_free(p->rx);
}

static size_t srtp_pkt(struct pair *p, uint8_t *buf, uint32_t ssrc, uint16_t seq)
{
  size_t n = t_rtp(buf, ssrc, seq, seq * 160u, 160);
  int len = rg_srtp_protect_rtp(p->tx, buf, n, T_PKT_CAP);
  assert_true(len > 0);
  return (size_t)len;
}

static size_t srtcp_pkt(struct pair *p, uint8_t *buf, uint32_t ssrc, uint32_t n)
{
  size_t len = t_rtcp(buf, ssrc, n);
  int out = rg_srtp_protect_rtcp(p->tx, buf, len, T_PKT_CAP);
  assert_true(out > 0);
  return (size_t)out;
}

static int unprotect_copy(struct rg_srtp *rx, const uint8_t *pkt, size_t len)
{
  uint8_t tmp[T_PKT_CAP];
  memcpy(tmp, pkt, len);
  return rg_srtp_unprotect_rtp(rx, tmp, len);
}

static int unprotect_rtcp_copy(struct rg_srtp *rx, const uint8_t *pkt, size_t len)
{
  uint8_t tmp[T_PKT_CAP];
  memcpy(tmp, pkt, len);
  return rg_srtp_unprotect_rtcp(rx, tmp, len);
}

static void unprotect_rejects_tampered_tag_header_and_payload(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    struct pair p = pair_new(t_profiles[i], 0);
    uint8_t a[T_PKT_CAP], b[T_PKT_CAP], bad[T_PKT_CAP];
    size_t la = srtp_pkt(&p, a, SSRC, 1), lb = srtp_pkt(&p, b, SSRC, 2);
    assert_int_equal(unprotect_copy(p.rx, a, la), 172);
    const size_t spots[] = {lb - 1 /* tag */, 5 /* timestamp */, 40 /* payload */};
    for (size_t k = 0; k < 3; k++) {
      memcpy(bad, b, lb);
      bad[spots[k]] ^= 0x01;
      assert_int_equal(unprotect_copy(p.rx, bad, lb), RG_ERR_AUTH);
    }
    assert_int_equal(unprotect_copy(p.rx, b, lb), 172);
    pair_free(&p);
  }
}

/* A forged packet far ahead (it would bump the ROC) or on a new SSRC must
 * leave the roll-over counter, the window and the table as they were. */
static void failed_packet_changes_no_state(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    struct pair p = pair_new(t_profiles[i], 0);
    uint8_t a[T_PKT_CAP], f[T_PKT_CAP];
    size_t la = srtp_pkt(&p, a, SSRC, 40000);
    assert_int_equal(unprotect_copy(p.rx, a, la), 172);
    size_t lf = srtp_pkt(&p, f, SSRC, 7000); /* seq 7000 after 40000 reads as ROC+1 */
    f[lf - 2] ^= 0x80;
    assert_int_equal(unprotect_copy(p.rx, f, lf), RG_ERR_AUTH);
    lf = srtp_pkt(&p, f, 0x5555, 1);
    f[lf - 2] ^= 0x80;
    assert_int_equal(unprotect_copy(p.rx, f, lf), RG_ERR_AUTH);
    assert_int_equal(rg_srtp_stream_count(p.rx), 1);
    /* Still ROC 0: 40001 passes (it would fail had the forgery set ROC 1). */
    la = srtp_pkt(&p, a, SSRC, 40001);
    assert_int_equal(unprotect_copy(p.rx, a, la), 172);
    /* The window: a forgery carrying sequence N (ahead of the highest, then
     * behind it inside the window) must not mark N seen; the genuine N then
     * still passes, and only afterwards is N a replay. */
    const uint16_t seqs[] = {40003 /* ahead */, 39990 /* behind, in window */};
    for (size_t k = 0; k < 2; k++) {
      la = srtp_pkt(&p, a, SSRC, seqs[k]);
      memcpy(f, a, la);
      f[la - 1] ^= 0x01; /* bad tag */
      assert_int_equal(unprotect_copy(p.rx, f, la), RG_ERR_AUTH);
      assert_int_equal(unprotect_copy(p.rx, a, la), 172);
      assert_int_equal(unprotect_copy(p.rx, a, la), RG_ERR_REPLAY);
    }
    /* The forged first packet on 0x5555 (seq 1) left no trace: the genuine
     * seq 1 on that SSRC is accepted. */
    la = srtp_pkt(&p, a, 0x5555, 1);
    assert_int_equal(unprotect_copy(p.rx, a, la), 172);
    assert_int_equal(rg_srtp_stream_count(p.rx), 2);
    pair_free(&p);
  }
}

/* The same for SRTCP: a forgery carrying index N (ahead, behind inside the
 * window, or the first on a new SSRC) leaves the genuine N acceptable. */
static void failed_rtcp_packet_changes_no_state(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    struct pair p = pair_new(t_profiles[i], 0);
    enum { N = 8 };
    uint8_t pk[N][T_PKT_CAP / 8], f[T_PKT_CAP];
    size_t len[N];
    for (uint32_t n = 0; n < N; n++) /* SRTCP indices 0..7, in order */
      len[n] = srtcp_pkt(&p, pk[n], SSRC, n);
    /* A forged first packet (index 2) on a stream never seen. */
    memcpy(f, pk[2], len[2]);
    f[len[2] - (rg_srtp_profile_info(t_profiles[i])->aead ? 5 : 1)] ^= 0x01; /* a tag byte */
    assert_int_equal(unprotect_rtcp_copy(p.rx, f, len[2]), RG_ERR_AUTH);
    assert_int_equal(rg_srtp_stream_count(p.rx), 0);
    assert_int_equal(unprotect_rtcp_copy(p.rx, pk[2], len[2]), 32);
    const uint32_t order[] = {6 /* ahead */, 4 /* behind, in window */};
    for (size_t k = 0; k < 2; k++) {
      const uint32_t n = order[k];
      memcpy(f, pk[n], len[n]);
      f[len[n] - (rg_srtp_profile_info(t_profiles[i])->aead ? 5 : 1)] ^= 0x01;
      assert_int_equal(unprotect_rtcp_copy(p.rx, f, len[n]), RG_ERR_AUTH);
      assert_int_equal(unprotect_rtcp_copy(p.rx, pk[n], len[n]), 32);
      assert_int_equal(unprotect_rtcp_copy(p.rx, pk[n], len[n]), RG_ERR_REPLAY);
    }
    /* 5 was never forged nor received: still fresh below the highest (6). */
    assert_int_equal(unprotect_rtcp_copy(p.rx, pk[5], len[5]), 32);
    assert_int_equal(rg_srtp_stream_count(p.rx), 1);
    pair_free(&p);
  }
}

static void unprotect_rejects_replayed_packet(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    struct pair p = pair_new(t_profiles[i], 0);
    uint8_t a[T_PKT_CAP], b[T_PKT_CAP];
    size_t la = srtp_pkt(&p, a, SSRC, 10), lb = srtp_pkt(&p, b, SSRC, 11);
    assert_int_equal(unprotect_copy(p.rx, a, la), 172);
    assert_int_equal(unprotect_copy(p.rx, a, la), RG_ERR_REPLAY);
    assert_int_equal(unprotect_copy(p.rx, b, lb), 172);
    assert_int_equal(unprotect_copy(p.rx, a, la), RG_ERR_REPLAY);
    assert_int_equal(unprotect_copy(p.rx, b, lb), RG_ERR_REPLAY);
    pair_free(&p);
  }
}

static void unprotect_rejects_packet_behind_the_window(void **state)
{
  struct pair p = pair_new(RG_SRTP_AES128_CM_SHA1_80, 64);
  uint8_t pk[400][T_PKT_CAP / 8];
  size_t len[400];
  for (uint16_t s = 100; s <= 300; s++)
    len[s] = srtp_pkt(&p, pk[s], SSRC, s);
  assert_int_equal(unprotect_copy(p.rx, pk[100], len[100]), 172);
  assert_int_equal(unprotect_copy(p.rx, pk[300], len[300]), 172);
  assert_int_equal(unprotect_copy(p.rx, pk[236], len[236]), RG_ERR_REPLAY); /* 64 behind */
  assert_int_equal(unprotect_copy(p.rx, pk[237], len[237]), 172);           /* 63 behind */
  assert_int_equal(unprotect_copy(p.rx, pk[299], len[299]), 172);
  assert_int_equal(unprotect_copy(p.rx, pk[200], len[200]), RG_ERR_REPLAY);
  pair_free(&p);
}

static void unprotect_rejects_wrong_key(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    struct pair p = pair_new(t_profiles[i], 0);
    struct rg_srtp *other = t_ctx(t_profiles[i], RG_SRTP_UNPROTECT, 99, 8, 0);
    uint8_t a[T_PKT_CAP];
    size_t la = srtp_pkt(&p, a, SSRC, 5);
    assert_int_equal(unprotect_copy(other, a, la), RG_ERR_AUTH);
    assert_int_equal(rg_srtp_stream_count(other), 0);
    assert_int_equal(unprotect_copy(p.rx, a, la), 172);
    la = t_rtcp(a, SSRC, 1);
    la = (size_t)rg_srtp_protect_rtcp(p.tx, a, la, sizeof a);
    assert_int_equal(unprotect_rtcp_copy(other, a, la), RG_ERR_AUTH);
    rg_srtp_free(other);
    pair_free(&p);
  }
}

static void unprotect_rtcp_rejects_tamper_replay_and_cleared_e_flag(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    const struct rg_srtp_profile_info *info = rg_srtp_profile_info(t_profiles[i]);
    struct pair p = pair_new(t_profiles[i], 0);
    uint8_t a[T_PKT_CAP], b[T_PKT_CAP], bad[T_PKT_CAP];
    size_t la = srtcp_pkt(&p, a, SSRC, 1), lb = srtcp_pkt(&p, b, SSRC, 2);
    assert_int_equal(unprotect_rtcp_copy(p.rx, a, la), 32);
    memcpy(bad, b, lb);
    bad[12] ^= 4;
    assert_int_equal(unprotect_rtcp_copy(p.rx, bad, lb), RG_ERR_AUTH);
    memcpy(bad, b, lb); /* E flag cleared: it is authenticated too */
    bad[info->aead ? lb - 4 : lb - info->rtcp_tag_len - 4] &= 0x7f;
    assert_int_equal(unprotect_rtcp_copy(p.rx, bad, lb), RG_ERR_AUTH);
    assert_int_equal(unprotect_rtcp_copy(p.rx, a, la), RG_ERR_REPLAY);
    assert_int_equal(unprotect_rtcp_copy(p.rx, b, lb), 32);
    assert_int_equal(unprotect_rtcp_copy(p.rx, b, lb), RG_ERR_REPLAY);
    pair_free(&p);
  }
}

static void new_ssrc_beyond_table_cap_is_refused(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    struct rg_srtp *tx = t_ctx(t_profiles[i], RG_SRTP_PROTECT, 3, 3, 0);
    struct rg_srtp *big_tx = t_ctx(t_profiles[i], RG_SRTP_PROTECT, 3, 8, 0);
    struct rg_srtp *rx = t_ctx(t_profiles[i], RG_SRTP_UNPROTECT, 3, 3, 0);
    uint8_t a[T_PKT_CAP];
    for (uint32_t s = 1; s <= 3; s++) {
      size_t n = t_rtp(a, s, 1, 0, 20);
      assert_true(rg_srtp_protect_rtp(tx, a, n, sizeof a) > 0);
      assert_int_equal(rg_srtp_unprotect_rtp(rx, a, n + (size_t)rg_srtp_profile_info(t_profiles[i])->rtp_tag_len), 20 + 12);
    }
    size_t n = t_rtp(a, 4, 1, 0, 20);
    assert_int_equal(rg_srtp_protect_rtp(tx, a, n, sizeof a), RG_ERR_TOO_LARGE);
    n = t_rtcp(a, 4, 0);
    assert_int_equal(rg_srtp_protect_rtcp(tx, a, n, sizeof a), RG_ERR_TOO_LARGE);
    n = t_rtp(a, 4, 1, 0, 20);
    int len = rg_srtp_protect_rtp(big_tx, a, n, sizeof a);
    assert_int_equal(rg_srtp_unprotect_rtp(rx, a, (size_t)len), RG_ERR_TOO_LARGE);
    assert_int_equal(rg_srtp_stream_count(rx), 3);
    n = t_rtp(a, 2, 2, 0, 20); /* known SSRCs keep working */
    len = rg_srtp_protect_rtp(tx, a, n, sizeof a);
    assert_int_equal(rg_srtp_unprotect_rtp(rx, a, (size_t)len), 32);
    rg_srtp_free(tx);
    rg_srtp_free(big_tx);
    rg_srtp_free(rx);
  }
}

static void malformed_and_short_packets_are_refused(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    const struct rg_srtp_profile_info *info = rg_srtp_profile_info(t_profiles[i]);
    struct pair p = pair_new(t_profiles[i], 0);
    uint8_t a[T_PKT_CAP];
    for (size_t n = 0; n < 12; n++) {
      t_rtp(a, SSRC, 1, 0, 0);
      assert_int_equal(rg_srtp_unprotect_rtp(p.rx, a, n), RG_ERR_MALFORMED);
      assert_int_equal(rg_srtp_protect_rtp(p.tx, a, n, sizeof a), RG_ERR_MALFORMED);
    }
    size_t n = t_rtp(a, SSRC, 1, 0, 0); /* header only: shorter than header + tag */
    assert_int_equal(rg_srtp_unprotect_rtp(p.rx, a, n + info->rtp_tag_len - 1), RG_ERR_MALFORMED);
    n = t_rtp(a, SSRC, 1, 0, 40);
    a[0] = 0x40; /* version 1 */
    assert_int_equal(rg_srtp_unprotect_rtp(p.rx, a, n), RG_ERR_MALFORMED);
    a[0] = 0x8f; /* 15 CSRCs = 72-byte header > 52 bytes */
    assert_int_equal(rg_srtp_unprotect_rtp(p.rx, a, n), RG_ERR_MALFORMED);
    assert_int_equal(rg_srtp_protect_rtp(p.tx, a, n, sizeof a), RG_ERR_MALFORMED);
    a[0] = 0x90; /* extension claiming 0xffff words */
    a[14] = 0xff, a[15] = 0xff;
    assert_int_equal(rg_srtp_unprotect_rtp(p.rx, a, n), RG_ERR_MALFORMED);
    n = t_rtcp(a, SSRC, 0);
    assert_int_equal(rg_srtp_unprotect_rtcp(p.rx, a, 8 + 4 + info->rtcp_tag_len - 1),
                     RG_ERR_MALFORMED);
    assert_int_equal(rg_srtp_protect_rtcp(p.tx, a, 7, sizeof a), RG_ERR_MALFORMED);
    a[0] = 0x01;
    assert_int_equal(rg_srtp_unprotect_rtcp(p.rx, a, n), RG_ERR_MALFORMED);
    assert_int_equal(rg_srtp_stream_count(p.rx), 0);
    pair_free(&p);
  }
}

static void protect_needs_room_for_the_trailer(void **state)
{
  for (size_t i = 0; i < T_NPROFILES; i++) {
    const struct rg_srtp_profile_info *info = rg_srtp_profile_info(t_profiles[i]);
    struct pair p = pair_new(t_profiles[i], 0);
    uint8_t a[T_PKT_CAP];
    size_t n = t_rtp(a, SSRC, 1, 0, 100);
    assert_int_equal(rg_srtp_protect_rtp(p.tx, a, n, n + info->rtp_tag_len - 1), RG_ERR_BUFFER);
    assert_int_equal(rg_srtp_protect_rtp(p.tx, a, n, n + info->rtp_tag_len),
                     (int)(n + info->rtp_tag_len));
    n = t_rtcp(a, SSRC, 0);
    assert_int_equal(rg_srtp_protect_rtcp(p.tx, a, n, n + 4 + info->rtcp_tag_len - 1),
                     RG_ERR_BUFFER);
    assert_int_equal(rg_srtp_protect_rtcp(p.tx, a, n, n + 4 + info->rtcp_tag_len),
                     (int)(n + 4 + info->rtcp_tag_len));
    assert_int_equal(rg_srtp_protect_rtp(p.tx, a, RG_SRTP_MAX_PACKET + 1, SIZE_MAX),
                     RG_ERR_TOO_LARGE);
    pair_free(&p);
  }
}

static void wrong_direction_is_a_state_error(void **state)
{
  struct pair p = pair_new(RG_SRTP_AEAD_AES_128_GCM, 0);
  uint8_t a[T_PKT_CAP];
  size_t n = t_rtp(a, SSRC, 1, 0, 10);
  assert_int_equal(rg_srtp_protect_rtp(p.rx, a, n, sizeof a), RG_ERR_STATE);
  assert_int_equal(rg_srtp_unprotect_rtp(p.tx, a, n), RG_ERR_STATE);
  assert_int_equal(rg_srtp_protect_rtcp(p.rx, a, n, sizeof a), RG_ERR_STATE);
  assert_int_equal(rg_srtp_unprotect_rtcp(p.tx, a, n), RG_ERR_STATE);
  pair_free(&p);
}

static void bad_configuration_is_refused(void **state)
{
  uint8_t key[32] = {1}, salt[14] = {2};
  struct rg_srtp *s = NULL;
  struct rg_srtp_config c = {.profile = RG_SRTP_AES128_CM_SHA1_80,
                             .direction = RG_SRTP_UNPROTECT, .master_key = key,
                             .master_key_len = 16, .master_salt = salt, .master_salt_len = 14,
                             .max_streams = 4};
  struct rg_srtp_config b = c;
  b.replay_window = 100; /* not a power of two */
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_INVAL);
  b.replay_window = 32; /* below the minimum */
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_INVAL);
  b = c, b.max_streams = 0;
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_INVAL);
  b = c, b.max_streams = RG_SRTP_MAX_STREAMS + 1;
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_INVAL);
  b = c, b.master_salt_len = 12;
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_INVAL);
  b = c, b.direction = 0;
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_INVAL);
  b = c, b.profile = 0x0005;
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_UNSUPPORTED);
  b = c, b.max_streams = RG_SRTP_MAX_STREAMS, b.replay_window = RG_SRTP_REPLAY_WINDOW_MAX;
  assert_int_equal(rg_srtp_new(&b, &s), RG_ERR_TOO_LARGE);
  assert_null(s);
  assert_int_equal(rg_srtp_new(&c, &s), RG_OK);
  rg_srtp_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(unprotect_rejects_tampered_tag_header_and_payload),
    cmocka_unit_test(failed_packet_changes_no_state),
    cmocka_unit_test(failed_rtcp_packet_changes_no_state),
    cmocka_unit_test(unprotect_rejects_replayed_packet),
    cmocka_unit_test(unprotect_rejects_packet_behind_the_window),
    cmocka_unit_test(unprotect_rejects_wrong_key),
    cmocka_unit_test(unprotect_rtcp_rejects_tamper_replay_and_cleared_e_flag),
    cmocka_unit_test(new_ssrc_beyond_table_cap_is_refused),
    cmocka_unit_test(malformed_and_short_packets_are_refused),
    cmocka_unit_test(protect_needs_room_for_the_trailer),
    cmocka_unit_test(wrong_direction_is_a_state_error),
    cmocka_unit_test(bad_configuration_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
