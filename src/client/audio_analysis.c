/* Dominant frequency of a PCM buffer: Welch-averaged Hann-windowed power
 * spectrum, strongest bin, parabolic interpolation of the log power around it.
 *
 * For a pure tone under a Hann window the log spectrum near the peak is close
 * to a parabola, so interpolation lands within a few hundredths of a bin:
 * at 48 kHz with 65536 points (0.73 Hz bins) that is far inside +-2 Hz, and at
 * 8 kHz with 8192 points (0.98 Hz bins) as well. Averaging several segments
 * keeps a recording with lost frames or PLC noise from moving the peak.
 */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#include <math.h>
#include <stdlib.h>

#define ANALYSIS_MAX_SEGMENTS 64    /* bounds the work on a long recording */
#define PEAK_SHARE_BINS 3           /* Hann main lobe is +-2 bins; one more for the spread */

static const double pi = 3.14159265358979323846;

struct fft_work {
  size_t n;
  double *re, *im, *win, *tw_re, *tw_im, *power;
};

static int work_alloc(struct fft_work *w, size_t n)
{
  /* One block: re, im, win (n each), twiddles (n/2 each), power (n/2 + 1). */
  double *b = malloc(sizeof(double) * (3 * n + n + n / 2 + 1));
  size_t i;
  if (b == NULL)
    return RG_ERR_NOMEM;
  w->n = n;
  w->re = b;
  w->im = b + n;
  w->win = b + 2 * n;
  w->tw_re = b + 3 * n;
  w->tw_im = b + 3 * n + n / 2;
  w->power = b + 4 * n;
  for (i = 0; i < n; i++)
    w->win[i] = 0.5 - 0.5 * cos(2.0 * pi * (double)i / (double)n);
  for (i = 0; i < n / 2; i++) {
    w->tw_re[i] = cos(2.0 * pi * (double)i / (double)n);
    w->tw_im[i] = -sin(2.0 * pi * (double)i / (double)n);
  }
  for (i = 0; i <= n / 2; i++)
    w->power[i] = 0.0;
  return RG_OK;
}

/* In-place iterative radix-2 decimation-in-time FFT; n is a power of two. */
static void fft(struct fft_work *w)
{
  size_t n = w->n, i, j, len;
  double *re = w->re, *im = w->im;
  for (i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (len = 2; len <= n; len <<= 1) {
    size_t half = len / 2, step = n / len, k;
    for (i = 0; i < n; i += len) {
      for (k = 0; k < half; k++) {
        double wr = w->tw_re[k * step], wi = w->tw_im[k * step];
        size_t a = i + k, b = a + half;
        double xr = re[b] * wr - im[b] * wi;
        double xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

static void add_segment(struct fft_work *w, const int16_t *pcm)
{
  size_t i;
  for (i = 0; i < w->n; i++) {
    w->re[i] = pcm[i] * w->win[i];
    w->im[i] = 0.0;
  }
  fft(w);
  for (i = 0; i <= w->n / 2; i++)
    w->power[i] += w->re[i] * w->re[i] + w->im[i] * w->im[i];
}

static double log_power(double p)
{
  return log(p > 1e-300 ? p : 1e-300);
}

int rg_audio_dominant(const int16_t *pcm, size_t n, uint32_t rate, struct rg_audio_peak *out)
{
  struct fft_work w;
  size_t fft_n = RG_AUDIO_FFT_MIN, hop, off, k, kmin, kmax, best, lo, hi;
  unsigned segs = 0;
  double total = 0.0, near = 0.0, energy = 0.0, delta = 0.0;
  int rc;

  if (pcm == NULL || out == NULL || rate == 0 || n < RG_AUDIO_FFT_MIN)
    return RG_ERR_INVAL;
  while (fft_n * 2 <= n && fft_n * 2 <= RG_AUDIO_FFT_MAX)
    fft_n *= 2;
  rc = work_alloc(&w, fft_n);
  if (rc != RG_OK)
    return rc;
  /* Half-overlapping segments, spread wider when there would be too many. */
  hop = fft_n / 2;
  if ((n - fft_n) / hop + 1 > ANALYSIS_MAX_SEGMENTS)
    hop = (n - fft_n) / (ANALYSIS_MAX_SEGMENTS - 1);
  for (off = 0; off + fft_n <= n && segs < ANALYSIS_MAX_SEGMENTS; off += hop, segs++)
    add_segment(&w, pcm + off);
  for (k = 0; k < n; k++)
    energy += (double)pcm[k] * pcm[k];

  kmin = (size_t)ceil(RG_AUDIO_PEAK_MIN_HZ * (double)fft_n / rate);
  if (kmin < 1)
    kmin = 1;
  kmax = fft_n / 2 - 1; /* leave a neighbour on each side for the interpolation */
  best = kmin;
  for (k = kmin; k <= kmax; k++) {
    total += w.power[k];
    if (w.power[k] > w.power[best])
      best = k;
  }
  if (!(w.power[best] > 0.0)) {
    free(w.re);
    return RG_ERR_NOT_FOUND;
  }
  {
    double a = log_power(w.power[best - 1]), b = log_power(w.power[best]);
    double c = log_power(w.power[best + 1]), den = a - 2.0 * b + c;
    if (den < 0.0)
      delta = 0.5 * (a - c) / den;
    if (delta > 0.5 || delta < -0.5)
      delta = 0.0;
  }
  lo = best > kmin + PEAK_SHARE_BINS ? best - PEAK_SHARE_BINS : kmin;
  hi = best + PEAK_SHARE_BINS < kmax ? best + PEAK_SHARE_BINS : kmax;
  for (k = lo; k <= hi; k++)
    near += w.power[k];
  out->hz = ((double)best + delta) * rate / (double)fft_n;
  out->share = total > 0.0 ? near / total : 0.0;
  out->rms = sqrt(energy / (double)n);
  free(w.re);
  return RG_OK;
}
