/* Client RTP media: packetizer, RFC 3550 receive statistics (hand-computed
 * values), jitter buffer, and the whole path tone -> codec -> RTP -> scripted
 * network -> jitter buffer -> decoder -> dominant frequency, on a virtual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "client/media_internal.h"
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"
#include "rtcgate/rtp.h"

#define MS 1000u /* virtual clock unit: microseconds */

/* --- Packetizer ------------------------------------------------------------ */

static void packetizer_advances_seq_and_timestamp_across_wraps(void **state)
{
  struct rg_rtp_tx tx;
  struct rg_rtp_view v;
  uint8_t pkt[64], pay[3] = {1, 2, 3};
  size_t len;
  static const uint16_t seqs[] = {65534, 65535, 0, 1};
  static const uint32_t tss[] = {0xFFFFFC40u, 0, 960, 1920};
  (void)state;
  assert_int_equal(rg_rtp_tx_init(&tx, 0x11223344u, 111, 48000, 65534, 0xFFFFFC40u), RG_OK);
  for (unsigned i = 0; i < 4; i++) {
    assert_int_equal(rg_rtp_tx_packetize(&tx, i * 20 * MS, pay, sizeof(pay), 960, pkt, sizeof(pkt), &len),
                     RG_OK);
    assert_int_equal(len, 12 + 3);
    assert_int_equal(rg_rtp_parse(pkt, len, &v), RG_OK);
    assert_int_equal(v.seq, seqs[i]);
    assert_int_equal(v.timestamp, tss[i]);
    assert_int_equal(v.ssrc, 0x11223344u);
    assert_int_equal(v.payload_type, 111);
    assert_int_equal(v.marker, i == 0); /* first packet only */
    assert_int_equal(v.payload_len, 3);
    assert_memory_equal(rg_rtp_payload(&v), pay, 3);
  }
  rg_rtp_tx_mark_next(&tx); /* new talkspurt */
  assert_int_equal(rg_rtp_tx_packetize(&tx, 80 * MS, pay, 3, 960, pkt, sizeof(pkt), &len), RG_OK);
  assert_int_equal(rg_rtp_parse(pkt, len, &v), RG_OK);
  assert_true(v.marker);
  assert_int_equal(v.seq, 2);
  assert_int_equal(tx.packets, 5);
  assert_int_equal(tx.octets, 15);
}

static void packetizer_rejects_small_buffer_big_payload_and_bad_pt(void **state)
{
  struct rg_rtp_tx tx;
  static uint8_t pay[RG_AUDIO_MAX_PAYLOAD + 1], pkt[RG_AUDIO_MAX_PAYLOAD + 64];
  size_t len;
  (void)state;
  assert_int_equal(rg_rtp_tx_init(&tx, 1, 128, 8000, 0, 0), RG_ERR_INVAL);
  assert_int_equal(rg_rtp_tx_init(&tx, 1, 0, 8000, 7, 0), RG_OK);
  assert_int_equal(rg_rtp_tx_packetize(&tx, 0, pay, 160, 160, pkt, 171, &len), RG_ERR_BUFFER);
  assert_int_equal(rg_rtp_tx_packetize(&tx, 0, pay, sizeof(pay), 160, pkt, sizeof(pkt), &len),
                   RG_ERR_TOO_LARGE);
  /* nothing advanced */
  assert_int_equal(tx.seq, 7);
  assert_int_equal(tx.packets, 0);
}

static void sender_info_extrapolates_rtp_time_from_last_packet(void **state)
{
  struct rg_rtp_tx tx;
  struct rg_rtcp_sender_info si;
  uint8_t pkt[256], pay[100] = {0};
  size_t len;
  (void)state;
  assert_int_equal(rg_rtp_tx_init(&tx, 9, 111, 48000, 0, 1000), RG_OK);
  for (unsigned i = 0; i < 3; i++)
    assert_int_equal(rg_rtp_tx_packetize(&tx, 1000 * MS + i * 20 * MS, pay, 100, 960, pkt, sizeof(pkt),
                                         &len), RG_OK);
  /* last packet: ts 1000 + 2*960 at 1040 ms; SR 10 ms later = 480 ticks at 48 kHz */
  rg_rtp_tx_sender_info(&tx, 1050 * MS, 0x0123456789ABCDEFull, &si);
  assert_int_equal(si.rtp_ts, 1000 + 2 * 960 + 480);
  assert_int_equal(si.ntp, 0x0123456789ABCDEFull);
  assert_int_equal(si.packets, 3);
  assert_int_equal(si.octets, 300);
}

static void ntp_from_unix_time_is_offset_by_70_years(void **state)
{
  uint64_t ntp = rg_media_ntp_from_unix_us(1500000); /* 1.5 s after 1970 */
  (void)state;
  assert_int_equal(ntp >> 32, 2208988801u);
  assert_int_equal((uint32_t)ntp, 0x80000000u);
  assert_int_equal(rg_media_ntp_mid32(ntp), (uint32_t)((2208988801ull << 16) | 0x8000));
}

/* --- Receive statistics ---------------------------------------------------- */

static struct rg_rtp_rx_stats new_stats(uint32_t rate)
{
  struct rg_rtp_rx_stats s;
  assert_int_equal(rg_rtp_rx_stats_init(&s, rate), RG_OK);
  return s;
}

static void feed(struct rg_rtp_rx_stats *s, uint16_t seq)
{
  /* steady 20 ms / 160 ticks: no jitter contribution */
  assert_int_equal(rg_rtp_rx_stats_update(s, 77, seq, (uint32_t)seq * 160, (uint64_t)seq * 20 * MS), 1);
}

static void stats_count_in_order_stream_across_seq_wrap(void **state)
{
  struct rg_rtp_rx_stats s = new_stats(8000);
  struct rg_rtp_rx_summary sum;
  (void)state;
  for (uint16_t seq = 65530; seq != 4; seq++)
    assert_int_equal(rg_rtp_rx_stats_update(&s, 77, seq, 0, 0), 1);
  rg_rtp_rx_stats_summary(&s, &sum);
  assert_int_equal(sum.received, 10);
  assert_int_equal(sum.expected, 10);
  assert_int_equal(sum.lost, 0);
  assert_int_equal(sum.ext_highest_seq, 65536 + 3); /* one cycle, highest 3 */
  assert_int_equal(s.cycles, 65536);
}

/* 100..119 with 103, 110, 111 lost: expected 20, received 17, lost 3;
 * fraction = floor(3 * 256 / 20) = 38 (RFC 3550 A.3). Then 120..129 complete:
 * the next interval has fraction 0 and the cumulative count stays 3. */
static void stats_loss_and_fraction_per_interval(void **state)
{
  struct rg_rtp_rx_stats s = new_stats(8000);
  struct rg_rtcp_report_block b;
  (void)state;
  assert_int_equal(rg_rtp_rx_stats_report(&s, 0, &b), RG_ERR_STATE);
  for (uint16_t seq = 100; seq < 120; seq++)
    if (seq != 103 && seq != 110 && seq != 111)
      feed(&s, seq);
  assert_int_equal(rg_rtp_rx_stats_report(&s, 0, &b), RG_OK);
  assert_int_equal(b.ssrc, 77);
  assert_int_equal(b.cumulative_lost, 3);
  assert_int_equal(b.fraction_lost, 38);
  assert_int_equal(b.ext_highest_seq, 119);
  for (uint16_t seq = 120; seq < 130; seq++)
    feed(&s, seq);
  assert_int_equal(rg_rtp_rx_stats_report(&s, 0, &b), RG_OK);
  assert_int_equal(b.cumulative_lost, 3);
  assert_int_equal(b.fraction_lost, 0);
  assert_int_equal(b.ext_highest_seq, 129);
  /* 130..139 with 132..135 lost: 4 * 256 / 10 = 102 */
  for (uint16_t seq = 130; seq < 140; seq++)
    if (seq < 132 || seq > 135)
      feed(&s, seq);
  assert_int_equal(rg_rtp_rx_stats_report(&s, 0, &b), RG_OK);
  assert_int_equal(b.fraction_lost, 102);
  assert_int_equal(b.cumulative_lost, 7);
}

static void stats_reorder_is_not_loss_and_duplicates_count_negative(void **state)
{
  struct rg_rtp_rx_stats s = new_stats(8000), d = new_stats(8000);
  struct rg_rtp_rx_summary sum;
  (void)state;
  feed(&s, 100);
  feed(&s, 102);
  feed(&s, 101);
  feed(&s, 103);
  rg_rtp_rx_stats_summary(&s, &sum);
  assert_int_equal(sum.received, 4);
  assert_int_equal(sum.expected, 4);
  assert_int_equal(sum.lost, 0);
  assert_int_equal(sum.ext_highest_seq, 103);
  feed(&d, 100);
  feed(&d, 101);
  feed(&d, 101);
  feed(&d, 102);
  rg_rtp_rx_stats_summary(&d, &sum);
  assert_int_equal(sum.received, 4);
  assert_int_equal(sum.expected, 3);
  assert_int_equal(sum.lost, -1); /* RFC 3550 §6.4.1: may be negative */
}

/* RFC 3550 A.8 by hand, 8 kHz, packets 160 ticks apart:
 *   arrival ms   0   20   50   60   80
 *   transit D    -    0   80   80    0  (|D| in ticks)
 *   J (J += (|D| - J)/16): 0, 5, 9.6875, 9.082
 * reported as the integer 9 ticks = 1.125 ms. Clock and timestamps start at
 * arbitrary offsets (the timestamp wraps) to show only differences count. */
static void stats_interarrival_jitter_matches_rfc3550_a8(void **state)
{
  struct rg_rtp_rx_stats s = new_stats(8000);
  struct rg_rtp_rx_summary sum;
  static const unsigned arrival_ms[] = {0, 20, 50, 60, 80};
  const uint32_t ts0 = 0xFFFFFF00u;
  const uint64_t t0 = 5000 * MS;
  (void)state;
  for (unsigned i = 0; i < 5; i++)
    assert_int_equal(rg_rtp_rx_stats_update(&s, 5, (uint16_t)(10 + i), ts0 + i * 160,
                                            t0 + arrival_ms[i] * MS), 1);
  rg_rtp_rx_stats_summary(&s, &sum);
  assert_int_equal(sum.jitter, 9);
  assert_true(fabs(sum.jitter_ms - 1.125) < 1e-9);
  assert_int_equal(s.jitter_q4, 145); /* 9.0625 * 16: integer form of 9.082 */
}

static void stats_large_jump_counts_only_when_confirmed(void **state)
{
  struct rg_rtp_rx_stats s = new_stats(8000);
  struct rg_rtp_rx_summary sum;
  (void)state;
  feed(&s, 10);
  feed(&s, 11);
  assert_int_equal(rg_rtp_rx_stats_update(&s, 77, 5000, 0, 0), 0); /* suspicious jump */
  rg_rtp_rx_stats_summary(&s, &sum);
  assert_int_equal(sum.received, 2);
  assert_int_equal(sum.ext_highest_seq, 11);
  assert_int_equal(rg_rtp_rx_stats_update(&s, 77, 5001, 0, 0), 1); /* confirmed: restart */
  rg_rtp_rx_stats_summary(&s, &sum);
  assert_int_equal(sum.received, 1);
  assert_int_equal(sum.expected, 1);
  assert_int_equal(sum.ext_highest_seq, 5001);
  assert_int_equal(rg_rtp_rx_stats_update(&s, 78, 5002, 0, 0), RG_ERR_UNKNOWN_SSRC);
}

/* --- Jitter buffer ----------------------------------------------------------- */

static void push(struct rg_jb *jb, uint16_t seq, uint64_t now)
{
  uint8_t pay[2] = {(uint8_t)(seq >> 8), (uint8_t)seq};
  assert_int_equal(rg_jb_push(jb, seq, (uint32_t)seq * 960, false, pay, 2, now), RG_OK);
}

static void expect_frame(struct rg_jb *jb, uint64_t now, uint16_t seq, bool lost)
{
  struct rg_jb_frame f;
  assert_int_equal(rg_jb_pop(jb, now, &f), RG_OK);
  assert_int_equal(f.seq, seq);
  assert_int_equal(f.lost, lost);
  if (!lost) {
    assert_int_equal(f.len, 2);
    assert_int_equal(f.data[0] << 8 | f.data[1], seq);
    assert_int_equal(f.ts, (uint32_t)seq * 960);
  }
}

static void expect_again(struct rg_jb *jb, uint64_t now)
{
  struct rg_jb_frame f;
  assert_int_equal(rg_jb_pop(jb, now, &f), RG_ERR_AGAIN);
}

static void jb_waits_playout_delay_then_plays_in_order(void **state)
{
  struct rg_jb jb;
  (void)state;
  assert_int_equal(rg_jb_init(&jb, 60), RG_OK);
  expect_again(&jb, 0);
  push(&jb, 1, 0);
  expect_again(&jb, 0);
  push(&jb, 2, 20 * MS);
  expect_again(&jb, 20 * MS);
  push(&jb, 4, 40 * MS); /* 3 arrives after 4 */
  push(&jb, 3, 45 * MS);
  expect_again(&jb, 40 * MS);
  expect_frame(&jb, 60 * MS, 1, false);
  expect_frame(&jb, 80 * MS, 2, false);
  expect_frame(&jb, 100 * MS, 3, false);
  expect_frame(&jb, 120 * MS, 4, false);
  assert_int_equal(jb.c.played, 4);
  assert_int_equal(jb.c.lost, 0);
}

static void jb_declares_missing_frame_lost_and_rebuffers_when_dry(void **state)
{
  struct rg_jb jb;
  (void)state;
  assert_int_equal(rg_jb_init(&jb, 40), RG_OK);
  push(&jb, 1, 0);
  push(&jb, 2, 0);
  push(&jb, 4, 0);
  push(&jb, 5, 0);
  expect_frame(&jb, 40 * MS, 1, false);
  expect_frame(&jb, 60 * MS, 2, false);
  expect_frame(&jb, 80 * MS, 3, true);
  expect_frame(&jb, 100 * MS, 4, false);
  expect_frame(&jb, 120 * MS, 5, false);
  expect_again(&jb, 140 * MS); /* dry */
  assert_int_equal(jb.c.underruns, 1);
  /* a late 3 is refused, counted */
  assert_int_equal(rg_jb_push(&jb, 3, 0, false, (const uint8_t *)"x", 1, 150 * MS), RG_ERR_REPLAY);
  assert_int_equal(jb.c.late, 1);
  push(&jb, 6, 160 * MS);
  expect_again(&jb, 180 * MS);            /* primes again for 40 ms */
  expect_frame(&jb, 200 * MS, 6, false);
  assert_int_equal(jb.c.lost, 1);
  assert_int_equal(jb.c.played, 5);
}

static void jb_refuses_duplicates_and_oversize_payloads(void **state)
{
  struct rg_jb jb;
  static uint8_t big[RG_AUDIO_MAX_PAYLOAD + 1];
  (void)state;
  assert_int_equal(rg_jb_init(&jb, 40), RG_OK);
  assert_int_equal(rg_jb_init(&jb, RG_JB_MAX_DELAY_MS + 1), RG_ERR_INVAL);
  assert_int_equal(rg_jb_init(&jb, 40), RG_OK);
  push(&jb, 9, 0);
  assert_int_equal(rg_jb_push(&jb, 9, 0, false, big, 1, 0), RG_ERR_REPLAY);
  assert_int_equal(rg_jb_push(&jb, 10, 0, false, big, sizeof(big), 0), RG_ERR_TOO_LARGE);
  assert_int_equal(jb.c.duplicate, 1);
  assert_int_equal(jb.c.too_large, 1);
  assert_int_equal(jb.count, 1);
}

static void jb_holds_at_most_200ms(void **state)
{
  struct rg_jb jb;
  (void)state;
  assert_int_equal(rg_jb_init(&jb, 60), RG_OK);
  for (uint16_t seq = 1; seq <= 30; seq++)
    push(&jb, seq, 0);
  assert_int_equal(jb.count, RG_JB_WINDOW);
  assert_int_equal(jb.c.overflow, 20);
  expect_frame(&jb, 60 * MS, 21, false);
}

static void jb_orders_across_sequence_wrap(void **state)
{
  struct rg_jb jb;
  (void)state;
  assert_int_equal(rg_jb_init(&jb, 20), RG_OK);
  push(&jb, 65534, 0);
  push(&jb, 65533, 0); /* reordered before playout: takes the head */
  push(&jb, 1, 0);
  push(&jb, 0, 0);
  push(&jb, 2, 0);     /* 65535 lost */
  expect_frame(&jb, 20 * MS, 65533, false);
  expect_frame(&jb, 40 * MS, 65534, false);
  expect_frame(&jb, 60 * MS, 65535, true);
  expect_frame(&jb, 80 * MS, 0, false);
  expect_frame(&jb, 100 * MS, 1, false);
  expect_frame(&jb, 120 * MS, 2, false);
}

static void jb_resyncs_on_a_new_sequence(void **state)
{
  struct rg_jb jb;
  (void)state;
  assert_int_equal(rg_jb_init(&jb, 20), RG_OK);
  push(&jb, 1, 0);
  push(&jb, 2, 0);
  expect_frame(&jb, 20 * MS, 1, false);
  push(&jb, 30000, 30 * MS);
  assert_int_equal(jb.c.resyncs, 1);
  expect_frame(&jb, 40 * MS, 30000, false);
}

/* --- The whole receive path -------------------------------------------------- */

struct net_pkt {
  uint8_t buf[RG_AUDIO_MAX_PAYLOAD + 12];
  size_t len;
  uint64_t arrive_us;
};

static int by_arrival(const void *a, const void *b)
{
  const struct net_pkt *x = a, *y = b;
  return (x->arrive_us > y->arrive_us) - (x->arrive_us < y->arrive_us);
}

/* 3 s of a 440 Hz tone, 20 ms packets, through a scripted network: every 13th
 * packet lost, every 7th delayed by 30 ms (so arrives after its successor),
 * a deterministic 0-15 ms jitter on all. The receiver ticks every 20 ms and
 * records; the recording's dominant frequency must be 440 Hz +-5 Hz. */
static void pipeline_delivers_tone_through_loss_and_jitter(const struct rg_codec_ops *ops)
{
  enum { SECONDS = 3 };
  const unsigned fs = ops->frame_samples, n_pkts = SECONDS * 50;
  struct net_pkt *net = calloc(n_pkts, sizeof(*net));
  struct rg_codec *enc, *dec;
  struct rg_rtp_tx tx;
  struct rg_rtp_rx_stats rx;
  struct rg_rtp_rx_summary sum;
  struct rg_jb jb;
  struct rg_tone tone;
  int16_t pcm[RG_AUDIO_MAX_FRAME_SAMPLES];
  int16_t *rec = calloc((size_t)(SECONDS + 1) * ops->sample_rate, sizeof(int16_t));
  size_t rec_n = 0, sent = 0, next = 0;
  uint32_t lcg = 7;
  struct rg_audio_peak pk;

  assert_non_null(net);
  assert_non_null(rec);
  assert_int_equal(rg_codec_new(ops, &enc), RG_OK);
  assert_int_equal(rg_codec_new(ops, &dec), RG_OK);
  assert_int_equal(rg_tone_init(&tone, 440.0, 0.5, ops->sample_rate), RG_OK);
  assert_int_equal(rg_rtp_tx_init(&tx, 0xCAFE, ops->default_pt, ops->clock_rate, 40000, 123456), RG_OK);
  assert_int_equal(rg_rtp_rx_stats_init(&rx, ops->clock_rate), RG_OK);
  assert_int_equal(rg_jb_init(&jb, RG_JB_DEFAULT_DELAY_MS), RG_OK);

  for (unsigned i = 0; i < n_pkts; i++) {
    uint8_t pay[RG_AUDIO_MAX_PAYLOAD];
    size_t plen;
    uint64_t now = (uint64_t)i * 20 * MS;
    rg_tone_fill(&tone, pcm, fs);
    assert_int_equal(rg_codec_encode(enc, pcm, fs, pay, sizeof(pay), &plen), RG_OK);
    assert_int_equal(rg_rtp_tx_packetize(&tx, now, pay, plen, fs, net[sent].buf, sizeof(net[sent].buf),
                                         &net[sent].len), RG_OK);
    if (i % 13 == 12)
      continue; /* lost */
    lcg = lcg * 1103515245u + 12345u;
    net[sent].arrive_us = now + ((lcg >> 16) % 16) * MS + (i % 7 == 3 ? 30 * MS : 0);
    sent++;
  }
  qsort(net, sent, sizeof(*net), by_arrival);

  for (uint64_t t = 0; t < (uint64_t)(SECONDS + 1) * 1000 * MS; t += 20 * MS) {
    struct rg_jb_frame f;
    size_t got;
    /* deliver what has arrived by now */
    for (; next < sent && net[next].arrive_us <= t; next++) {
      struct rg_rtp_view v;
      assert_int_equal(rg_rtp_parse(net[next].buf, net[next].len, &v), RG_OK);
      assert_int_equal(rg_rtp_rx_stats_update(&rx, v.ssrc, v.seq, v.timestamp, net[next].arrive_us), 1);
      (void)rg_jb_push(&jb, v.seq, v.timestamp, v.marker, rg_rtp_payload(&v), v.payload_len,
                       net[next].arrive_us);
    }
    if (rg_jb_pop(&jb, t, &f) != RG_OK)
      continue;
    if (f.lost)
      assert_int_equal(rg_codec_plc(dec, pcm, RG_AUDIO_MAX_FRAME_SAMPLES, &got), RG_OK);
    else
      assert_int_equal(rg_codec_decode(dec, f.data, f.len, pcm, RG_AUDIO_MAX_FRAME_SAMPLES, &got), RG_OK);
    memcpy(rec + rec_n, pcm, got * sizeof(int16_t));
    rec_n += got;
  }
  rg_rtp_rx_stats_summary(&rx, &sum);
  /* 150 sent; i % 13 == 12 (12, 25, ..., 142) lost: 11 */
  assert_int_equal(sum.received, n_pkts - 11);
  assert_int_equal(sum.expected, n_pkts);
  assert_int_equal(sum.lost, 11);
  assert_true(sum.jitter_ms > 1.0 && sum.jitter_ms < 20.0);
  assert_int_equal(jb.c.late, 0); /* 60 ms of buffer covered the 45 ms worst case */
  assert_int_equal(jb.c.lost, 11);
  assert_true(rec_n >= (size_t)(SECONDS * ops->sample_rate * 9 / 10));
  assert_int_equal(rg_audio_dominant(rec + ops->sample_rate / 10, rec_n - ops->sample_rate / 10,
                                     ops->sample_rate, &pk), RG_OK);
  print_message("%s: recorded %.2f Hz, jitter %.2f ms, %u concealed\n", ops->name, pk.hz,
                sum.jitter_ms, (unsigned)jb.c.lost);
  if (fabs(pk.hz - 440.0) > 5.0)
    fail_msg("%s: recorded %.2f Hz", ops->name, pk.hz);
  rg_codec_free(enc);
  rg_codec_free(dec);
  free(net);
  free(rec);
}

static void pipeline_opus_keeps_440hz_through_loss_and_jitter(void **state)
{
  (void)state;
  pipeline_delivers_tone_through_loss_and_jitter(&rg_codec_opus);
}

static void pipeline_pcmu_keeps_440hz_through_loss_and_jitter(void **state)
{
  (void)state;
  pipeline_delivers_tone_through_loss_and_jitter(&rg_codec_pcmu);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(packetizer_advances_seq_and_timestamp_across_wraps),
    cmocka_unit_test(packetizer_rejects_small_buffer_big_payload_and_bad_pt),
    cmocka_unit_test(sender_info_extrapolates_rtp_time_from_last_packet),
    cmocka_unit_test(ntp_from_unix_time_is_offset_by_70_years),
    cmocka_unit_test(stats_count_in_order_stream_across_seq_wrap),
    cmocka_unit_test(stats_loss_and_fraction_per_interval),
    cmocka_unit_test(stats_reorder_is_not_loss_and_duplicates_count_negative),
    cmocka_unit_test(stats_interarrival_jitter_matches_rfc3550_a8),
    cmocka_unit_test(stats_large_jump_counts_only_when_confirmed),
    cmocka_unit_test(jb_waits_playout_delay_then_plays_in_order),
    cmocka_unit_test(jb_declares_missing_frame_lost_and_rebuffers_when_dry),
    cmocka_unit_test(jb_refuses_duplicates_and_oversize_payloads),
    cmocka_unit_test(jb_holds_at_most_200ms),
    cmocka_unit_test(jb_orders_across_sequence_wrap),
    cmocka_unit_test(jb_resyncs_on_a_new_sequence),
    cmocka_unit_test(pipeline_opus_keeps_440hz_through_loss_and_jitter),
    cmocka_unit_test(pipeline_pcmu_keeps_440hz_through_loss_and_jitter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
