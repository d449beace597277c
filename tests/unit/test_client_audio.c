/* Client audio: G.711 µ-law, tone generator, dominant-frequency analysis and
 * the codec table (PCMU, Opus through libopus). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#define TONE_AMPLITUDE 0.5

static int16_t *make_tone(double hz, uint32_t rate, size_t n)
{
  struct rg_tone t;
  int16_t *s = malloc(n * sizeof(*s));
  assert_non_null(s);
  assert_int_equal(rg_tone_init(&t, hz, TONE_AMPLITUDE, rate), RG_OK);
  rg_tone_fill(&t, s, n);
  return s;
}

static double dominant_hz(const int16_t *s, size_t n, uint32_t rate)
{
  struct rg_audio_peak pk;
  assert_int_equal(rg_audio_dominant(s, n, rate, &pk), RG_OK);
  return pk.hz;
}

/* --- µ-law ---------------------------------------------------------------- */

/* Points of the G.711 µ-law table (ITU-T G.711 Table 2a), as 16-bit linear values:
 * code 0xFF and 0x7F are +0 and -0, 0x80/0x00 the largest magnitudes. */
static void pcmu_decodes_g711_table_points(void **state)
{
  (void)state;
  assert_int_equal(rg_pcmu_decode_sample(0xFF), 0);
  assert_int_equal(rg_pcmu_decode_sample(0x7F), 0);
  assert_int_equal(rg_pcmu_decode_sample(0x80), 32124);
  assert_int_equal(rg_pcmu_decode_sample(0x00), -32124);
  assert_int_equal(rg_pcmu_decode_sample(0x01), -31100);
  assert_int_equal(rg_pcmu_decode_sample(0x0F), -16764);
  assert_int_equal(rg_pcmu_decode_sample(0x10), -15996);
  assert_int_equal(rg_pcmu_decode_sample(0xFE), 8);
  assert_int_equal(rg_pcmu_decode_sample(0xEF), 132);
}

static void pcmu_encodes_zero_and_extremes(void **state)
{
  (void)state;
  assert_int_equal(rg_pcmu_encode_sample(0), 0xFF);
  assert_int_equal(rg_pcmu_encode_sample(-1), 0x7F);
  assert_int_equal(rg_pcmu_encode_sample(32767), 0x80);
  assert_int_equal(rg_pcmu_encode_sample(-32768), 0x00);
  assert_int_equal(rg_pcmu_encode_sample(32124), 0x80);
  assert_int_equal(rg_pcmu_encode_sample(8), 0xFE);
}

/* Decode gives the middle of each interval: every code but -0 comes back. */
static void pcmu_every_code_round_trips(void **state)
{
  (void)state;
  for (unsigned u = 0; u < 256; u++) {
    if (u == 0x7F)
      continue;
    assert_int_equal(rg_pcmu_encode_sample(rg_pcmu_decode_sample((uint8_t)u)), u);
  }
}

/* The error is at most half a quantisation step, 2^(exp+2) <= (|x| + 132) / 32,
 * except above the clip level 32635, and the mapping is monotonic. */
static void pcmu_round_trip_error_is_half_a_step(void **state)
{
  int prev = -32768;
  (void)state;
  for (int x = -32768; x <= 32767; x++) {
    int y = rg_pcmu_decode_sample(rg_pcmu_encode_sample((int16_t)x));
    int mag = x < 0 ? -x : x;
    int bound = mag > 32635 ? mag - 32124 : (mag + 132) / 32 + 1;
    if (abs(x - y) > bound)
      fail_msg("x=%d decoded %d, error above %d", x, y, bound);
    assert_true(y >= prev);
    prev = y;
  }
}

/* --- Tone and analysis ------------------------------------------------------ */

static void tone_is_continuous_across_calls(void **state)
{
  struct rg_tone a, b;
  int16_t whole[4800], parts[4800];
  (void)state;
  assert_int_equal(rg_tone_init(&a, 440.0, 0.8, 48000), RG_OK);
  assert_int_equal(rg_tone_init(&b, 440.0, 0.8, 48000), RG_OK);
  rg_tone_fill(&a, whole, 4800);
  for (size_t off = 0; off < 4800; off += 960)
    rg_tone_fill(&b, parts + off, 960);
  assert_memory_equal(whole, parts, sizeof(whole));
  /* peak near 0.8 of full scale */
  int16_t mx = 0;
  for (size_t i = 0; i < 4800; i++)
    if (whole[i] > mx)
      mx = whole[i];
  assert_in_range(mx, 26000, 26214);
}

static void tone_init_rejects_bad_arguments(void **state)
{
  struct rg_tone t;
  (void)state;
  assert_int_equal(rg_tone_init(&t, 0.0, 0.5, 8000), RG_ERR_INVAL);
  assert_int_equal(rg_tone_init(&t, 4000.0, 0.5, 8000), RG_ERR_INVAL); /* Nyquist */
  assert_int_equal(rg_tone_init(&t, 440.0, 1.5, 8000), RG_ERR_INVAL);
  assert_int_equal(rg_tone_init(&t, NAN, 0.5, 8000), RG_ERR_INVAL);
  assert_int_equal(rg_tone_init(&t, 440.0, 0.5, 0), RG_ERR_INVAL);
}

static void dominant_finds_generated_tones_within_2hz(void **state)
{
  static const double tones[] = {300.0, 440.0, 1000.0};
  static const uint32_t rates[] = {8000, 16000, 44100, 48000};
  (void)state;
  for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
    for (size_t i = 0; i < sizeof(tones) / sizeof(tones[0]); i++) {
      size_t n = rates[r]; /* one second */
      int16_t *s = make_tone(tones[i], rates[r], n);
      struct rg_audio_peak pk;
      assert_int_equal(rg_audio_dominant(s, n, rates[r], &pk), RG_OK);
      if (fabs(pk.hz - tones[i]) > 2.0)
        fail_msg("%.0f Hz at %u Hz: found %.3f", tones[i], rates[r], pk.hz);
      assert_true(pk.share > 0.9);
      assert_true(fabs(pk.rms - TONE_AMPLITUDE * 32767 / sqrt(2.0)) < 50.0);
      free(s);
    }
  }
}

/* A weaker second tone and broadband noise must not move the answer. */
static void dominant_picks_strongest_tone_in_noise(void **state)
{
  size_t n = 48000;
  int16_t *s = make_tone(440.0, 48000, n);
  struct rg_tone t2;
  int16_t *b = malloc(n * sizeof(*b));
  uint32_t lcg = 12345;
  (void)state;
  assert_non_null(b);
  assert_int_equal(rg_tone_init(&t2, 1250.0, 0.2, 48000), RG_OK);
  rg_tone_fill(&t2, b, n);
  for (size_t i = 0; i < n; i++) {
    lcg = lcg * 1103515245u + 12345u;
    int noise = (int)((lcg >> 16) & 0x1FFF) - 0x1000; /* +-4096 */
    s[i] = (int16_t)(s[i] / 2 + b[i] / 2 + noise);
  }
  assert_true(fabs(dominant_hz(s, n, 48000) - 440.0) < 2.0);
  free(s);
  free(b);
}

static void dominant_rejects_short_and_silent_input(void **state)
{
  int16_t z[1024] = {0};
  struct rg_audio_peak pk;
  (void)state;
  assert_int_equal(rg_audio_dominant(z, RG_AUDIO_FFT_MIN - 1, 8000, &pk), RG_ERR_INVAL);
  assert_int_equal(rg_audio_dominant(z, 1024, 8000, &pk), RG_ERR_NOT_FOUND);
}

/* --- Codecs ---------------------------------------------------------------- */

static void codec_table_describes_pcmu_and_opus(void **state)
{
  (void)state;
  assert_ptr_equal(rg_codec_find("PCMU", 4), &rg_codec_pcmu);
  assert_ptr_equal(rg_codec_find("pcmu", 4), &rg_codec_pcmu);
  assert_ptr_equal(rg_codec_find("OPUS", 4), &rg_codec_opus);
  assert_null(rg_codec_find("opus2", 5));
  assert_null(rg_codec_find("G722", 4));
  assert_int_equal(rg_codec_pcmu.default_pt, 0);
  assert_int_equal(rg_codec_pcmu.clock_rate, 8000);
  assert_int_equal(rg_codec_pcmu.frame_samples, 160);
  assert_int_equal(rg_codec_opus.default_pt, 111);
  assert_int_equal(rg_codec_opus.clock_rate, 48000);
  assert_int_equal(rg_codec_opus.frame_samples, 960);
  assert_int_equal(rg_codec_opus.sdp_channels, 2);
}

/* Runs a 2 s 440 Hz tone through a codec frame by frame, dropping every
 * drop_every-th frame (0 = none) and concealing it, and returns the dominant
 * frequency of what comes out. */
static double codec_round_trip_hz(const struct rg_codec_ops *ops, unsigned drop_every,
                                  size_t *payload_bytes)
{
  struct rg_codec *c;
  uint32_t rate = ops->sample_rate;
  size_t n = 2 * (size_t)rate, fs = ops->frame_samples, out_n = 0;
  int16_t *in = make_tone(440.0, rate, n);
  int16_t *out = calloc(n + RG_AUDIO_MAX_FRAME_SAMPLES, sizeof(*out));
  uint8_t pay[RG_AUDIO_MAX_PAYLOAD];
  double hz;
  assert_non_null(out);
  assert_int_equal(rg_codec_new(ops, &c), RG_OK);
  *payload_bytes = 0;
  for (size_t off = 0, k = 1; off + fs <= n; off += fs, k++) {
    size_t len, got;
    assert_int_equal(rg_codec_encode(c, in + off, fs, pay, sizeof(pay), &len), RG_OK);
    assert_true(len > 0);
    *payload_bytes += len;
    if (drop_every != 0 && k % drop_every == 0)
      assert_int_equal(rg_codec_plc(c, out + out_n, RG_AUDIO_MAX_FRAME_SAMPLES, &got), RG_OK);
    else
      assert_int_equal(rg_codec_decode(c, pay, len, out + out_n, RG_AUDIO_MAX_FRAME_SAMPLES, &got),
                       RG_OK);
    assert_int_equal(got, fs);
    out_n += got;
  }
  assert_int_equal(out_n, n);
  /* Skip the first 100 ms: the encoder's look-ahead and ramp-up. */
  hz = dominant_hz(out + rate / 10, out_n - rate / 10, rate);
  rg_codec_free(c);
  free(in);
  free(out);
  return hz;
}

static void opus_round_trip_keeps_440hz(void **state)
{
  size_t bytes;
  double hz = codec_round_trip_hz(&rg_codec_opus, 0, &bytes);
  (void)state;
  assert_true(fabs(hz - 440.0) < 5.0);
  /* 100 frames at ~32 kbit/s is ~8000 bytes; bounds catch a wrong bitrate setting. */
  assert_in_range(bytes, 4000, 12000);
}

static void opus_plc_conceals_lost_frames_and_keeps_440hz(void **state)
{
  size_t bytes;
  (void)state;
  assert_true(fabs(codec_round_trip_hz(&rg_codec_opus, 5, &bytes) - 440.0) < 5.0);
}

static void pcmu_codec_round_trip_keeps_440hz(void **state)
{
  size_t bytes;
  (void)state;
  assert_true(fabs(codec_round_trip_hz(&rg_codec_pcmu, 0, &bytes) - 440.0) < 2.0);
  assert_int_equal(bytes, 100 * 160);
  assert_true(fabs(codec_round_trip_hz(&rg_codec_pcmu, 7, &bytes) - 440.0) < 5.0);
}

static void opus_decode_rejects_garbage_and_wrong_frame_size(void **state)
{
  struct rg_codec *c;
  int16_t pcm[RG_AUDIO_MAX_FRAME_SAMPLES] = {0};
  uint8_t out[RG_AUDIO_MAX_PAYLOAD];
  size_t n;
  /* TOC code 3 (arbitrary frame count) with a frame count of 0 is invalid (RFC 6716 §3.2.5). */
  static const uint8_t bad[] = {0x03, 0x00};
  (void)state;
  assert_int_equal(rg_codec_new(&rg_codec_opus, &c), RG_OK);
  assert_int_equal(rg_codec_decode(c, bad, sizeof(bad), pcm, RG_AUDIO_MAX_FRAME_SAMPLES, &n),
                   RG_ERR_MALFORMED);
  assert_int_equal(rg_codec_decode(c, bad, 0, pcm, RG_AUDIO_MAX_FRAME_SAMPLES, &n),
                   RG_ERR_MALFORMED);
  assert_int_equal(rg_codec_encode(c, pcm, 480, out, sizeof(out), &n), RG_ERR_INVAL);
  rg_codec_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(pcmu_decodes_g711_table_points),
    cmocka_unit_test(pcmu_encodes_zero_and_extremes),
    cmocka_unit_test(pcmu_every_code_round_trips),
    cmocka_unit_test(pcmu_round_trip_error_is_half_a_step),
    cmocka_unit_test(tone_is_continuous_across_calls),
    cmocka_unit_test(tone_init_rejects_bad_arguments),
    cmocka_unit_test(dominant_finds_generated_tones_within_2hz),
    cmocka_unit_test(dominant_picks_strongest_tone_in_noise),
    cmocka_unit_test(dominant_rejects_short_and_silent_input),
    cmocka_unit_test(codec_table_describes_pcmu_and_opus),
    cmocka_unit_test(opus_round_trip_keeps_440hz),
    cmocka_unit_test(opus_plc_conceals_lost_frames_and_keeps_440hz),
    cmocka_unit_test(pcmu_codec_round_trip_keeps_440hz),
    cmocka_unit_test(opus_decode_rejects_garbage_and_wrong_frame_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
