/* Client audio: WAV reading and writing, malformed files, resampling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include <cmocka.h>

#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#define IMG_MAX 200000

static void le16(uint8_t *p, unsigned v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
  le16(p, v & 0xFFFF);
  le16(p + 2, v >> 16);
}

/* A WAV image with a free-form fmt: interleaved 16-bit samples (frames * ch). */
static size_t make_image(uint8_t *b, uint16_t tag, uint16_t ch, uint32_t rate, uint16_t bits,
                         const int16_t *s, size_t frames)
{
  size_t data = frames * ch * 2;
  memcpy(b, "RIFF", 4);
  le32(b + 4, (uint32_t)(36 + data));
  memcpy(b + 8, "WAVEfmt ", 8);
  le32(b + 16, 16);
  le16(b + 20, tag);
  le16(b + 22, ch);
  le32(b + 24, rate);
  le32(b + 28, rate * ch * (bits / 8));
  le16(b + 32, ch * (bits / 8));
  le16(b + 34, bits);
  memcpy(b + 36, "data", 4);
  le32(b + 40, (uint32_t)data);
  for (size_t i = 0; i < frames * ch; i++)
    le16(b + 44 + 2 * i, (uint16_t)s[i]);
  return 44 + data;
}

static int16_t *tone(double hz, uint32_t rate, size_t n, double amp)
{
  struct rg_tone t;
  int16_t *s = malloc(n * sizeof(*s));
  assert_non_null(s);
  assert_int_equal(rg_tone_init(&t, hz, amp, rate), RG_OK);
  rg_tone_fill(&t, s, n);
  return s;
}

static double peak_hz(const struct rg_pcm *p)
{
  struct rg_audio_peak pk;
  assert_int_equal(rg_audio_dominant(p->samples, p->n, p->rate, &pk), RG_OK);
  return pk.hz;
}

static double rms(const int16_t *s, size_t n)
{
  double e = 0;
  for (size_t i = 0; i < n; i++)
    e += (double)s[i] * s[i];
  return sqrt(e / n);
}

/* --- Round trips ----------------------------------------------------------- */

static void wav_write_then_parse_gives_same_samples(void **state)
{
  static uint8_t img[IMG_MAX];
  int16_t *s = tone(440.0, 8000, 8000, 0.5);
  struct rg_pcm p;
  size_t len;
  (void)state;
  assert_int_equal(rg_wav_image_len(8000), 44 + 16000);
  assert_int_equal(rg_wav_write(s, 8000, 8000, img, sizeof(img), &len), RG_OK);
  assert_int_equal(len, 44 + 16000);
  assert_memory_equal(img, "RIFF", 4);
  assert_int_equal(rg_wav_parse(img, len, &p), RG_OK);
  assert_int_equal(p.n, 8000);
  assert_int_equal(p.rate, 8000);
  assert_memory_equal(p.samples, s, 8000 * sizeof(int16_t));
  rg_pcm_free(&p);
  assert_null(p.samples);
  assert_int_equal(rg_wav_write(s, 8000, 8000, img, len - 1, &len), RG_ERR_BUFFER);
  free(s);
}

static void wav_file_writer_patches_sizes_and_reads_back(void **state)
{
  char path[] = "/tmp/rg-test-wav-XXXXXX";
  int fd = mkstemp(path);
  struct rg_wav_writer w;
  struct rg_pcm p;
  int16_t *s = tone(1000.0, 48000, 48000, 0.3);
  (void)state;
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(rg_wav_writer_open(&w, path, 48000), RG_OK);
  for (size_t off = 0; off < 48000; off += 960)
    assert_int_equal(rg_wav_writer_append(&w, s + off, 960), RG_OK);
  assert_int_equal(rg_wav_writer_close(&w), RG_OK);
  assert_int_equal(rg_wav_read_file(path, 0, &p), RG_OK);
  assert_int_equal(p.n, 48000);
  assert_int_equal(p.rate, 48000);
  assert_memory_equal(p.samples, s, 48000 * sizeof(int16_t));
  rg_pcm_free(&p);

  /* the same file read for PCMU comes back at 8 kHz with the tone intact */
  assert_int_equal(rg_wav_read_file(path, 8000, &p), RG_OK);
  assert_int_equal(p.rate, 8000);
  assert_int_equal(p.n, 8000);
  assert_true(fabs(peak_hz(&p) - 1000.0) < 2.0);
  rg_pcm_free(&p);
  unlink(path);
  free(s);
}

static void wav_read_file_reports_missing_file(void **state)
{
  struct rg_pcm p;
  (void)state;
  assert_int_equal(rg_wav_read_file("/nonexistent/rg.wav", 0, &p), RG_ERR_NOT_FOUND);
}

static void wav_stereo_is_averaged_to_mono(void **state)
{
  static uint8_t img[1024];
  const int16_t s[] = {1000, 3000, -32768, -32768, 32767, -32768, 0, 0};
  struct rg_pcm p;
  size_t len = make_image(img, 1, 2, 16000, 16, s, 4);
  (void)state;
  assert_int_equal(rg_wav_parse(img, len, &p), RG_OK);
  assert_int_equal(p.n, 4);
  assert_int_equal(p.rate, 16000);
  assert_int_equal(p.samples[0], 2000);
  assert_int_equal(p.samples[1], -32768);
  assert_int_equal(p.samples[2], 0);
  assert_int_equal(p.samples[3], 0);
  rg_pcm_free(&p);
}

static void wav_skips_unknown_chunks_with_odd_size(void **state)
{
  static uint8_t img[1024], out[1024];
  const int16_t s[] = {1, 2, 3};
  struct rg_pcm p;
  size_t len = make_image(img, 1, 1, 8000, 16, s, 3);
  (void)state;
  /* insert "LIST" of 3 bytes + pad byte between fmt and data */
  memcpy(out, img, 36);
  memcpy(out + 36, "LIST", 4);
  le32(out + 40, 3);
  memcpy(out + 44, "abc\0", 4);
  memcpy(out + 48, img + 36, len - 36);
  le32(out + 4, (uint32_t)(len + 12 - 8));
  assert_int_equal(rg_wav_parse(out, len + 12, &p), RG_OK);
  assert_int_equal(p.n, 3);
  assert_int_equal(p.samples[2], 3);
  rg_pcm_free(&p);
}

static void wav_accepts_extensible_pcm(void **state)
{
  static uint8_t img[1024];
  static const uint8_t pcm_guid[16] = {1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71};
  struct rg_pcm p;
  uint8_t *b = img;
  (void)state;
  memcpy(b, "RIFF", 4);
  le32(b + 4, 4 + 8 + 40 + 8 + 4);
  memcpy(b + 8, "WAVEfmt ", 8);
  le32(b + 16, 40);
  le16(b + 20, 0xFFFE);
  le16(b + 22, 1);
  le32(b + 24, 48000);
  le32(b + 28, 96000);
  le16(b + 32, 2);
  le16(b + 34, 16);
  le16(b + 36, 22);      /* cbSize */
  le16(b + 38, 16);      /* valid bits */
  le32(b + 40, 4);       /* channel mask: front center */
  memcpy(b + 44, pcm_guid, 16);
  memcpy(b + 60, "data", 4);
  le32(b + 64, 4);
  le16(b + 68, 7);
  le16(b + 70, (uint16_t)-7);
  assert_int_equal(rg_wav_parse(img, 72, &p), RG_OK);
  assert_int_equal(p.n, 2);
  assert_int_equal(p.samples[1], -7);
  rg_pcm_free(&p);
  /* IEEE float sub-format: refused */
  img[44] = 3;
  assert_int_equal(rg_wav_parse(img, 72, &p), RG_ERR_UNSUPPORTED);
}

/* --- Malformed input ------------------------------------------------------- */

static void wav_rejects_every_truncation(void **state)
{
  static uint8_t img[1024];
  const int16_t s[] = {1, 2, 3, 4, 5, 6, 7, 8};
  struct rg_pcm p;
  size_t len = make_image(img, 1, 1, 8000, 16, s, 8);
  (void)state;
  for (size_t cut = 0; cut < len; cut++)
    assert_int_equal(rg_wav_parse(img, cut, &p), RG_ERR_MALFORMED);
}

static void wav_rejects_wrong_sizes(void **state)
{
  static uint8_t img[1024], bad[1024];
  const int16_t s[] = {1, 2, 3, 4};
  struct rg_pcm p;
  size_t len = make_image(img, 1, 1, 8000, 16, s, 4);
  (void)state;
#define MUTATE(off, v32)                     \
  do {                                       \
    memcpy(bad, img, len);                   \
    le32(bad + (off), (v32));                \
  } while (0)
  MUTATE(4, (uint32_t)len);                     /* RIFF size past the end */
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  MUTATE(4, 0xFFFFFFFFu);
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  MUTATE(40, 10);                               /* data size past the end */
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  MUTATE(40, 7);                                /* half a sample */
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  MUTATE(16, 14);                               /* fmt shorter than WAVEFORMAT */
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  MUTATE(16, 0xFFFFFFF0u);                      /* fmt size overflowing */
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  MUTATE(28, 8000);                             /* byte rate disagrees with the layout */
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  memcpy(bad, img, len);
  memcpy(bad + 8, "AVI ", 4);                   /* not WAVE */
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
  memcpy(bad, img, len);
  memcpy(bad + 12, "data", 4);                  /* data before any fmt */
  memcpy(bad + 36, "fmt ", 4);
  assert_int_equal(rg_wav_parse(bad, len, &p), RG_ERR_MALFORMED);
#undef MUTATE
}

static void wav_rejects_non_pcm_formats(void **state)
{
  static uint8_t img[1024];
  const int16_t s[] = {1, 2, 3, 4, 5, 6};
  struct rg_pcm p;
  size_t len;
  (void)state;
  len = make_image(img, 3, 1, 8000, 16, s, 2);      /* IEEE float tag */
  assert_int_equal(rg_wav_parse(img, len, &p), RG_ERR_UNSUPPORTED);
  len = make_image(img, 7, 1, 8000, 16, s, 2);      /* µ-law tag */
  assert_int_equal(rg_wav_parse(img, len, &p), RG_ERR_UNSUPPORTED);
  len = make_image(img, 1, 1, 8000, 8, s, 2);       /* 8-bit */
  assert_int_equal(rg_wav_parse(img, len, &p), RG_ERR_UNSUPPORTED);
  len = make_image(img, 1, 3, 8000, 16, s, 2);      /* three channels */
  assert_int_equal(rg_wav_parse(img, len, &p), RG_ERR_UNSUPPORTED);
  len = make_image(img, 1, 1, 500, 16, s, 2);       /* rate below the range */
  assert_int_equal(rg_wav_parse(img, len, &p), RG_ERR_UNSUPPORTED);
}

static void wav_rejects_files_over_the_cap(void **state)
{
  size_t len = (size_t)RG_WAV_MAX_FILE_BYTES + 1;
  uint8_t *big = calloc(1, len);
  struct rg_pcm p;
  (void)state;
  assert_non_null(big);
  assert_int_equal(rg_wav_parse(big, len, &p), RG_ERR_TOO_LARGE);
  free(big);
  assert_int_equal(rg_wav_image_len(RG_WAV_MAX_FILE_BYTES / 2), 0);
}

/* --- Resampling ------------------------------------------------------------ */

static void resample_preserves_tone_frequency(void **state)
{
  static const uint32_t pairs[][2] = {
    {44100, 48000}, {48000, 8000}, {8000, 48000}, {22050, 48000}, {11025, 8000}, {44100, 8000},
    {16000, 48000}, {44101, 48000},
  };
  (void)state;
  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
    uint32_t in_rate = pairs[i][0], out_rate = pairs[i][1];
    int16_t *s = tone(440.0, in_rate, in_rate, 0.5);
    struct rg_pcm p;
    assert_int_equal(rg_pcm_resample(s, in_rate, in_rate, out_rate, &p), RG_OK);
    assert_int_equal(p.rate, out_rate);
    assert_int_equal(p.n, out_rate); /* one second stays one second */
    if (fabs(peak_hz(&p) - 440.0) > 2.0)
      fail_msg("%u -> %u: %.3f Hz", in_rate, out_rate, peak_hz(&p));
    /* level kept within 5 % away from the edges */
    double r = rms(p.samples + out_rate / 10, out_rate * 8 / 10);
    assert_true(fabs(r - 0.5 * 32767 / sqrt(2.0)) < 0.05 * 0.5 * 32767 / sqrt(2.0));
    rg_pcm_free(&p);
    free(s);
  }
}

/* 48 kHz -> 8 kHz: 6 kHz would fold to 2 kHz without the low-pass. */
static void resample_down_filters_above_new_nyquist(void **state)
{
  int16_t *hi = tone(6000.0, 48000, 48000, 0.5);
  int16_t *ok = tone(3000.0, 48000, 48000, 0.5);
  struct rg_pcm p;
  (void)state;
  assert_int_equal(rg_pcm_resample(hi, 48000, 48000, 8000, &p), RG_OK);
  assert_true(rms(p.samples + 800, 6400) < 0.01 * 0.5 * 32767);
  rg_pcm_free(&p);
  assert_int_equal(rg_pcm_resample(ok, 48000, 48000, 8000, &p), RG_OK);
  assert_true(rms(p.samples + 800, 6400) > 0.9 * 0.5 * 32767 / sqrt(2.0));
  rg_pcm_free(&p);
  free(hi);
  free(ok);
}

static void resample_rejects_bad_rates_and_handles_empty(void **state)
{
  int16_t s[4] = {0};
  struct rg_pcm p;
  (void)state;
  assert_int_equal(rg_pcm_resample(s, 4, 0, 8000, &p), RG_ERR_INVAL);
  assert_int_equal(rg_pcm_resample(s, 4, 8000, 400000, &p), RG_ERR_INVAL);
  assert_int_equal(rg_pcm_resample(s, 0, 8000, 48000, &p), RG_OK);
  assert_int_equal(p.n, 0);
  rg_pcm_free(&p);
  assert_int_equal(rg_pcm_resample(s, 4, 8000, 8000, &p), RG_OK);
  assert_int_equal(p.n, 4);
  rg_pcm_free(&p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(wav_write_then_parse_gives_same_samples),
    cmocka_unit_test(wav_file_writer_patches_sizes_and_reads_back),
    cmocka_unit_test(wav_read_file_reports_missing_file),
    cmocka_unit_test(wav_stereo_is_averaged_to_mono),
    cmocka_unit_test(wav_skips_unknown_chunks_with_odd_size),
    cmocka_unit_test(wav_accepts_extensible_pcm),
    cmocka_unit_test(wav_rejects_every_truncation),
    cmocka_unit_test(wav_rejects_wrong_sizes),
    cmocka_unit_test(wav_rejects_non_pcm_formats),
    cmocka_unit_test(wav_rejects_files_over_the_cap),
    cmocka_unit_test(resample_preserves_tone_frequency),
    cmocka_unit_test(resample_down_filters_above_new_nyquist),
    cmocka_unit_test(resample_rejects_bad_rates_and_handles_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
