/* Whole-buffer sample-rate conversion with a windowed-sinc polyphase filter.
 *
 * The rates are reduced to L/M by their gcd; output sample i sits at input
 * position i*M/L. Its fractional part picks one of P filter phases: P = L when
 * L is small (exact), else the nearest of RESAMPLE_MAX_PHASES (a timing error
 * under 1/512 sample, far below what a voice path notices). The cut-off is a
 * little under the lower of the two Nyquist frequencies so that 48 kHz -> 8 kHz
 * does not fold 4-24 kHz content into the telephone band.
 */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RESAMPLE_ZERO_CROSSINGS 8   /* sinc lobes kept on each side, at the lower rate */
#define RESAMPLE_MAX_PHASES 256     /* bounds the table: P * taps floats */
#define RESAMPLE_ROLLOFF 0.92       /* cut-off as a fraction of the lower Nyquist */
#define RESAMPLE_MAX_OUT ((RG_WAV_MAX_FILE_BYTES - RG_WAV_HEADER_LEN) / 2)

static const double pi = 3.14159265358979323846;

static uint32_t gcd_u32(uint32_t a, uint32_t b)
{
  while (b != 0) {
    uint32_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static double blackman(double u) /* u in [-1, 1] */
{
  return 0.42 + 0.5 * cos(pi * u) + 0.08 * cos(2.0 * pi * u);
}

/* Row p holds the taps for fractional offset p/phases, for input samples at
 * offsets -half+1 .. half from the integer position; each row sums to 1 so a
 * constant signal keeps its level. */
static float *build_table(unsigned phases, int half, double fc)
{
  size_t taps = (size_t)half * 2;
  float *t = malloc(sizeof(float) * phases * taps);
  unsigned p;
  if (t == NULL)
    return NULL;
  for (p = 0; p < phases; p++) {
    double frac = (double)p / phases, sum = 0.0;
    float *row = t + (size_t)p * taps;
    size_t k;
    for (k = 0; k < taps; k++) {
      double x = (double)((int)k - half + 1) - frac; /* distance from the output instant */
      double u = x / half, arg = 2.0 * fc * x, h;
      h = fabs(arg) < 1e-12 ? 1.0 : sin(pi * arg) / (pi * arg);
      h *= fabs(u) < 1.0 ? blackman(u) : 0.0;
      row[k] = (float)h;
      sum += h;
    }
    for (k = 0; k < taps; k++)
      row[k] = (float)(row[k] / sum);
  }
  return t;
}

static int16_t clamp16(double v)
{
  if (v > 32767.0)
    return 32767;
  if (v < -32768.0)
    return -32768;
  return (int16_t)lrint(v);
}

int rg_pcm_resample(const int16_t *in, size_t n, uint32_t in_rate, uint32_t out_rate,
                    struct rg_pcm *out)
{
  uint32_t g, L, M;
  uint64_t n_out, i;
  unsigned phases;
  int half;
  double ratio, fc;
  float *table;
  int16_t *s;

  if (out == NULL || (in == NULL && n > 0) || in_rate < RG_AUDIO_MIN_RATE ||
      in_rate > RG_AUDIO_MAX_RATE || out_rate < RG_AUDIO_MIN_RATE || out_rate > RG_AUDIO_MAX_RATE)
    return RG_ERR_INVAL;
  if (n > RESAMPLE_MAX_OUT * (uint64_t)RG_AUDIO_MAX_RATE / RG_AUDIO_MIN_RATE)
    return RG_ERR_TOO_LARGE;
  g = gcd_u32(in_rate, out_rate);
  L = out_rate / g;
  M = in_rate / g;
  n_out = ((uint64_t)n * L + M - 1) / M;
  if (n_out > RESAMPLE_MAX_OUT)
    return RG_ERR_TOO_LARGE;
  if (n_out == 0) {
    memset(out, 0, sizeof(*out));
    out->rate = out_rate;
    return RG_OK;
  }
  s = malloc(sizeof(*s) * n_out);
  if (s == NULL)
    return RG_ERR_NOMEM;
  if (L == M) {
    memcpy(s, in, sizeof(*s) * n);
    goto done;
  }

  ratio = out_rate < in_rate ? (double)out_rate / in_rate : 1.0;
  fc = 0.5 * ratio * RESAMPLE_ROLLOFF;              /* cycles per input sample */
  half = (int)ceil(RESAMPLE_ZERO_CROSSINGS / ratio); /* taps each side, in input samples */
  phases = L <= RESAMPLE_MAX_PHASES ? L : RESAMPLE_MAX_PHASES;
  table = build_table(phases, half, fc);
  if (table == NULL) {
    free(s);
    return RG_ERR_NOMEM;
  }
  for (i = 0; i < n_out; i++) {
    uint64_t pos = i * M;
    int64_t ip = (int64_t)(pos / L);
    uint64_t p = ((pos % L) * phases + L / 2) / L; /* nearest phase; exact when phases == L */
    const float *row;
    double acc = 0.0;
    int k;
    if (p == phases) {
      p = 0;
      ip++;
    }
    row = table + p * (size_t)half * 2;
    for (k = 0; k < 2 * half; k++) {
      int64_t j = ip + k - half + 1;
      if (j >= 0 && (uint64_t)j < n)
        acc += row[k] * in[j];
    }
    s[i] = clamp16(acc);
  }
  free(table);
done:
  out->samples = s;
  out->n = (size_t)n_out;
  out->rate = out_rate;
  return RG_OK;
}
