/* Client RTCP: SR/RR/SDES built by the client and read back by the core's
 * rg_rtcp_* parser; the peer's report blocks and the round-trip time of
 * RFC 3550 §6.4.1, on a virtual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/media_internal.h"
#include "rtcgate/error.h"
#include "rtcgate/rtcp.h"

#define MS 1000u

static const struct rg_rtcp_report_block block_a = {
  .ssrc = 0xA1A2A3A4u, .fraction_lost = 38, .cumulative_lost = 3, .ext_highest_seq = 0x0001FFFFu,
  .jitter = 9, .lsr = 0x12345678u, .dlsr = 16384,
};
static const struct rg_rtcp_report_block block_b = {
  .ssrc = 0xB1B2B3B4u, .fraction_lost = 0, .cumulative_lost = -1, .ext_highest_seq = 7,
  .jitter = 0, .lsr = 0, .dlsr = 0,
};

static void assert_block_equal(const struct rg_rtcp_report_block *x, const struct rg_rtcp_report_block *y)
{
  assert_int_equal(x->ssrc, y->ssrc);
  assert_int_equal(x->fraction_lost, y->fraction_lost);
  assert_int_equal(x->cumulative_lost, y->cumulative_lost);
  assert_int_equal(x->ext_highest_seq, y->ext_highest_seq);
  assert_int_equal(x->jitter, y->jitter);
  assert_int_equal(x->lsr, y->lsr);
  assert_int_equal(x->dlsr, y->dlsr);
}

static void sr_written_is_parsed_back_by_core(void **state)
{
  const struct rg_rtcp_report_block blocks[2] = {block_a, block_b};
  const struct rg_rtcp_sender_info si = {
    .ntp = 0xE8D4A51000000000ull | 0x80000000u, .rtp_ts = 0xDEADBEEFu, .packets = 1234, .octets = 98765,
  };
  struct rg_rtcp_sender_info got;
  struct rg_rtcp_report_block b;
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  uint8_t buf[256];
  size_t len;
  (void)state;
  assert_int_equal(rg_media_rtcp_write_sr(buf, sizeof(buf), 0x5555u, &si, blocks, 2, &len), RG_OK);
  assert_int_equal(len, 4 + 4 + 20 + 2 * 24);
  rg_rtcp_iter_init(&it, buf, len);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(p.type, RG_RTCP_SR);
  assert_int_equal(p.count, 2);
  assert_int_equal(p.sender_ssrc, 0x5555u);
  assert_int_equal(rg_rtcp_sr_sender_info(&p, &got), RG_OK);
  assert_int_equal(got.ntp, si.ntp);
  assert_int_equal(got.rtp_ts, si.rtp_ts);
  assert_int_equal(got.packets, si.packets);
  assert_int_equal(got.octets, si.octets);
  assert_int_equal(rg_rtcp_report_block(&p, 0, &b), RG_OK);
  assert_block_equal(&b, &block_a);
  assert_int_equal(rg_rtcp_report_block(&p, 1, &b), RG_OK);
  assert_block_equal(&b, &block_b);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 0);
}

static void rr_and_sdes_make_a_valid_compound(void **state)
{
  struct rg_rtcp_summary sum;
  struct rg_rtcp_iter it;
  struct rg_rtcp_pkt p;
  struct rg_rtcp_report_block b;
  uint8_t buf[256];
  size_t rr_len, sdes_len;
  (void)state;
  assert_int_equal(rg_media_rtcp_write_rr(buf, sizeof(buf), 0x77u, &block_a, 1, &rr_len), RG_OK);
  assert_int_equal(rr_len, 4 + 4 + 24);
  assert_int_equal(rg_media_rtcp_write_sdes(buf + rr_len, sizeof(buf) - rr_len, 0x77u, "abcde", 5,
                                            &sdes_len), RG_OK);
  /* header 4 + SSRC 4 + (type, len, 5 bytes, end) = 8 padded to 8 */
  assert_int_equal(sdes_len, 16);
  assert_int_equal(buf[rr_len + 8], 1);  /* CNAME */
  assert_int_equal(buf[rr_len + 9], 5);
  assert_memory_equal(buf + rr_len + 10, "abcde", 5);
  assert_int_equal(buf[rr_len + 15], 0);
  assert_int_equal(rg_rtcp_walk(buf, rr_len + sdes_len, &sum), RG_OK);
  assert_int_equal(sum.count, 2);
  assert_int_equal(sum.types[0], RG_RTCP_RR);
  assert_int_equal(sum.types[1], RG_RTCP_SDES);
  assert_int_equal(sum.senders[0], 0x77u);
  assert_int_equal(sum.senders[1], 0x77u);
  rg_rtcp_iter_init(&it, buf, rr_len);
  assert_int_equal(rg_rtcp_iter_next(&it, &p), 1);
  assert_int_equal(rg_rtcp_report_block(&p, 0, &b), RG_OK);
  assert_block_equal(&b, &block_a);

  /* an RR with no blocks is 8 bytes and valid */
  assert_int_equal(rg_media_rtcp_write_rr(buf, sizeof(buf), 0x77u, NULL, 0, &rr_len), RG_OK);
  assert_int_equal(rr_len, 8);
  assert_int_equal(rg_rtcp_walk(buf, rr_len, &sum), RG_OK);
  /* a CNAME that fills 4-byte words exactly still gets its end octet */
  assert_int_equal(rg_media_rtcp_write_sdes(buf, sizeof(buf), 1, "ab", 2, &sdes_len), RG_OK);
  assert_int_equal(sdes_len, 16);
  assert_int_equal(rg_rtcp_walk(buf, sdes_len, &sum), RG_OK);
}

static void writers_refuse_small_buffers_and_too_many_blocks(void **state)
{
  struct rg_rtcp_report_block many[RG_RTCP_MAX_BLOCKS + 1];
  struct rg_rtcp_sender_info si = {0};
  uint8_t buf[1024];
  size_t len = 999;
  (void)state;
  memset(many, 0, sizeof(many));
  assert_int_equal(rg_media_rtcp_write_sr(buf, 27, 1, &si, NULL, 0, &len), RG_ERR_BUFFER);
  assert_int_equal(rg_media_rtcp_write_rr(buf, sizeof(buf), 1, many, RG_RTCP_MAX_BLOCKS + 1, &len),
                   RG_ERR_TOO_LARGE);
  assert_int_equal(rg_media_rtcp_write_rr(buf, sizeof(buf), 1, many, RG_RTCP_MAX_BLOCKS, &len), RG_OK);
  assert_int_equal(len, 8 + 31 * 24);
  assert_int_equal(rg_media_rtcp_write_sdes(buf, sizeof(buf), 1, "x", 0, &len), RG_ERR_INVAL);
  assert_int_equal(rg_media_rtcp_write_sdes(buf, 8, 1, "x", 1, &len), RG_ERR_BUFFER);
}

/* A sends packets and an SR; B receives, records the SR, and 250 ms later sends
 * an RR; A receives it 50 ms after B sent it. RTT = A - LSR - DLSR = 100 ms of
 * wire time (50 out, 50 back), to 1/65536 s. B's loss numbers come back intact. */
static void rr_from_peer_gives_loss_and_round_trip(void **state)
{
  const uint64_t wall0 = 1700000000ull * 1000000u; /* A's wall clock at its t=0 */
  struct rg_rtp_tx a_tx;
  struct rg_rtp_rx_stats b_rx;
  struct rg_rtp_rx_summary b_sum;
  struct rg_media_remote_report a_view = {0};
  struct rg_rtcp_sender_info si;
  struct rg_rtcp_report_block blk;
  uint8_t pkt[64], rtcp[256], pay[10] = {0};
  size_t len, rlen;
  (void)state;
  assert_int_equal(rg_rtp_tx_init(&a_tx, 0xAAAA, 0, 8000, 100, 0), RG_OK);
  assert_int_equal(rg_rtp_rx_stats_init(&b_rx, 8000), RG_OK);
  for (unsigned i = 0; i < 50; i++) {
    uint64_t t = (uint64_t)i * 20 * MS;
    assert_int_equal(rg_rtp_tx_packetize(&a_tx, t, pay, 10, 160, pkt, sizeof(pkt), &len), RG_OK);
    if (i == 10 || i == 11)
      continue; /* lost on the way */
    assert_int_equal(rg_rtp_rx_stats_update(&b_rx, 0xAAAA, (uint16_t)(100 + i), i * 160, t + 50 * MS), 1);
  }
  /* A's SR at its t = 1000 ms, arriving at B (B's clock: 7000 ms) 50 ms later */
  rg_rtp_tx_sender_info(&a_tx, 1000 * MS, rg_media_ntp_from_unix_us(wall0 + 1000 * MS), &si);
  assert_int_equal(rg_media_rtcp_write_sr(rtcp, sizeof(rtcp), 0xAAAA, &si, NULL, 0, &rlen), RG_OK);
  assert_int_equal(rg_media_rtcp_receive(rtcp, rlen, 7000 * MS, 0, 0xBBBB, &b_rx, &(struct rg_media_remote_report){0}),
                   0);
  assert_int_equal(b_rx.lsr, rg_media_ntp_mid32(si.ntp));
  /* B reports 250 ms later; the RR reaches A at its t = 1000 + 50 + 250 + 50 ms */
  assert_int_equal(rg_rtp_rx_stats_report(&b_rx, 7250 * MS, &blk), RG_OK);
  assert_int_equal(blk.dlsr, 16384); /* 0.25 s in 1/65536 s */
  assert_int_equal(rg_media_rtcp_write_rr(rtcp, sizeof(rtcp), 0xBBBB, &blk, 1, &rlen), RG_OK);
  assert_int_equal(rg_media_rtcp_receive(rtcp, rlen, 1350 * MS, rg_media_ntp_from_unix_us(wall0 + 1350 * MS),
                                         0xAAAA, NULL, &a_view), 1);
  rg_rtp_rx_stats_summary(&b_rx, &b_sum);
  assert_true(a_view.valid);
  assert_int_equal(a_view.cumulative_lost, 2);
  assert_int_equal(a_view.cumulative_lost, b_sum.lost);
  assert_int_equal(a_view.fraction_lost, 2 * 256 / 50); /* 10 */
  assert_int_equal(a_view.ext_highest_seq, 149);
  assert_true(a_view.have_rtt);
  assert_in_range(a_view.rtt_us, 100000 - 50, 100000 + 50);
}

static void receive_ignores_blocks_about_others_and_rejects_malformed(void **state)
{
  struct rg_media_remote_report r = {0};
  uint8_t buf[128];
  size_t len;
  (void)state;
  assert_int_equal(rg_media_rtcp_write_rr(buf, sizeof(buf), 0x77u, &block_b, 1, &len), RG_OK);
  assert_int_equal(rg_media_rtcp_receive(buf, len, 0, 0, 0xA1A2A3A4u, NULL, &r), 0);
  assert_false(r.valid);
  /* block_b has no LSR: loss is learnt, no round trip */
  assert_int_equal(rg_media_rtcp_receive(buf, len, 0, 0, 0xB1B2B3B4u, NULL, &r), 1);
  assert_true(r.valid);
  assert_int_equal(r.cumulative_lost, -1);
  assert_false(r.have_rtt);
  /* a length field past the datagram */
  assert_int_equal(rg_media_rtcp_receive(buf, len - 4, 0, 0, 0xB1B2B3B4u, NULL, &r), RG_ERR_MALFORMED);
  assert_int_equal(rg_media_rtcp_receive(buf, 0, 0, 0, 0xB1B2B3B4u, NULL, &r), RG_ERR_MALFORMED);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(sr_written_is_parsed_back_by_core),
    cmocka_unit_test(rr_and_sdes_make_a_valid_compound),
    cmocka_unit_test(writers_refuse_small_buffers_and_too_many_blocks),
    cmocka_unit_test(rr_from_peer_gives_loss_and_round_trip),
    cmocka_unit_test(receive_ignores_blocks_about_others_and_rejects_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
