/* Sine tone generator with a phase that carries across calls, so a tone sent
 * 20 ms at a time is one continuous sine. */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#include <math.h>

#define FULL_SCALE 32767.0

static const double two_pi = 6.28318530717958647692;

int rg_tone_init(struct rg_tone *t, double hz, double amplitude, uint32_t rate)
{
  if (t == NULL || rate == 0 || !(hz > 0.0) || !(hz < rate / 2.0) || !(amplitude >= 0.0) ||
      !(amplitude <= 1.0))
    return RG_ERR_INVAL;
  t->phase = 0.0;
  t->step = hz / rate;
  t->amplitude = amplitude * FULL_SCALE;
  return RG_OK;
}

void rg_tone_fill(struct rg_tone *t, int16_t *out, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    out[i] = (int16_t)lrint(t->amplitude * sin(two_pi * t->phase));
    t->phase += t->step;
    /* Kept in [0, 1) so the phase never loses precision over a long call. */
    if (t->phase >= 1.0)
      t->phase -= 1.0;
  }
}
