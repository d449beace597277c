/* Fuzzes the client's WAV parser (and the resampler on what it accepts).
 *
 * Fuzz targets link the core archive alone, and the WAV code lives in the
 * client library; audio_wav.c and audio_resample.c are self-contained (libc,
 * libm and error codes only), so they are compiled into this target directly.
 * Properties: any input ends in RG_OK or an error code; an accepted file has a
 * sane rate, writes back as a canonical WAV that parses to the same samples,
 * and resamples to the codec rates without a crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/client/audio_wav.c"
#include "../src/client/audio_resample.c"

#define FUZZ_MAX_LEN (1u << 20)      /* keeps runs fast; the parser's own cap is 64 MiB */
#define FUZZ_MAX_RESAMPLE_IN 48000   /* samples fed to the resampler per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct rg_pcm p, q, r;
  uint8_t *img;
  size_t len;

  if (size > FUZZ_MAX_LEN)
    return 0;
  if (rg_wav_parse(data, size, &p) != RG_OK)
    return 0;
  if (p.rate < RG_AUDIO_MIN_RATE || p.rate > RG_AUDIO_MAX_RATE || (p.n > 0 && p.samples == NULL))
    __builtin_trap();
  len = rg_wav_image_len(p.n);
  img = malloc(len);
  if (img != NULL) {
    if (rg_wav_write(p.samples, p.n, p.rate, img, len, &len) != RG_OK)
      __builtin_trap();
    if (rg_wav_parse(img, len, &q) != RG_OK || q.n != p.n || q.rate != p.rate ||
        (p.n > 0 && memcmp(p.samples, q.samples, p.n * sizeof(int16_t)) != 0))
      __builtin_trap();
    rg_pcm_free(&q);
    free(img);
  }
  if (p.n <= FUZZ_MAX_RESAMPLE_IN) {
    if (rg_pcm_resample(p.samples, p.n, p.rate, RG_AUDIO_PCMU_RATE, &r) == RG_OK)
      rg_pcm_free(&r);
    if (rg_pcm_resample(p.samples, p.n, p.rate, RG_AUDIO_OPUS_RATE, &r) == RG_OK)
      rg_pcm_free(&r);
  }
  rg_pcm_free(&p);
  return 0;
}
