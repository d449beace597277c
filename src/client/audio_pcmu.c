/* G.711 µ-law (ITU-T G.711 §2, the "PCMU" of RFC 3551 §4.5.14): 8 kHz, one byte
 * per sample, 160 samples per 20 ms frame.
 *
 * Encoding adds the bias 0x84 to the magnitude so that every segment starts at
 * a power of two; the segment (exponent) is the position of the top bit and
 * the next four bits are the mantissa; the byte is sent inverted. Decoding
 * returns the middle of the quantisation interval, so the error is at most
 * half a step: 2^(exponent+2).
 */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#include <string.h>

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635            /* 32767 - bias: the largest magnitude coded */
#define ULAW_SIGN 0x80
#define PCMU_FRAME_SAMPLES 160
#define PCMU_PLC_DECAY_SHIFT 1     /* each concealed frame repeats the last at half level */

uint8_t rg_pcmu_encode_sample(int16_t x)
{
  int mag = x < 0 ? -(int)x : x;
  unsigned sign = x < 0 ? ULAW_SIGN : 0, exp = 7, mant;
  if (mag > ULAW_CLIP)
    mag = ULAW_CLIP;
  mag += ULAW_BIAS;
  while (exp > 0 && !(mag & (0x80 << exp)))
    exp--;
  mant = (unsigned)(mag >> (exp + 3)) & 0x0F;
  return (uint8_t)~(sign | exp << 4 | mant);
}

int16_t rg_pcmu_decode_sample(uint8_t u)
{
  unsigned b = (uint8_t)~u;
  unsigned exp = (b >> 4) & 7, mant = b & 0x0F;
  int mag = (int)((((mant << 3) + ULAW_BIAS) << exp) - ULAW_BIAS);
  return (int16_t)((b & ULAW_SIGN) ? -mag : mag);
}

struct pcmu_state {
  int16_t last[PCMU_FRAME_SAMPLES];
  size_t last_n;
};

static int pcmu_init(void *state)
{
  memset(state, 0, sizeof(struct pcmu_state));
  return RG_OK;
}

static void pcmu_cleanup(void *state)
{
  (void)state;
}

static int pcmu_encode(void *state, const int16_t *pcm, uint8_t *out, size_t cap, size_t *out_len)
{
  size_t i;
  (void)state;
  if (cap < PCMU_FRAME_SAMPLES)
    return RG_ERR_BUFFER;
  for (i = 0; i < PCMU_FRAME_SAMPLES; i++)
    out[i] = rg_pcmu_encode_sample(pcm[i]);
  *out_len = PCMU_FRAME_SAMPLES;
  return RG_OK;
}

static int pcmu_decode(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap,
                       size_t *n_out)
{
  struct pcmu_state *st = state;
  size_t i, keep;
  if (len == 0)
    return RG_ERR_MALFORMED;
  if (cap < len)
    return RG_ERR_BUFFER;
  for (i = 0; i < len; i++)
    pcm[i] = rg_pcmu_decode_sample(in[i]);
  /* Remember the last frame's worth for concealment. */
  keep = len < PCMU_FRAME_SAMPLES ? len : PCMU_FRAME_SAMPLES;
  memcpy(st->last, pcm + len - keep, keep * sizeof(int16_t));
  st->last_n = keep;
  *n_out = len;
  return RG_OK;
}

/* Repeats the last frame, halving it each time: a short gap stays smooth and
 * a long one fades to silence instead of buzzing. */
static int pcmu_plc(void *state, int16_t *pcm, size_t cap, size_t *n_out)
{
  struct pcmu_state *st = state;
  size_t i;
  if (cap < PCMU_FRAME_SAMPLES)
    return RG_ERR_BUFFER;
  for (i = 0; i < PCMU_FRAME_SAMPLES; i++)
    pcm[i] = st->last_n > 0 ? (int16_t)(st->last[i % st->last_n] / (1 << PCMU_PLC_DECAY_SHIFT)) : 0;
  if (st->last_n > 0) {
    memcpy(st->last, pcm, sizeof(st->last));
    st->last_n = PCMU_FRAME_SAMPLES;
  }
  *n_out = PCMU_FRAME_SAMPLES;
  return RG_OK;
}

const struct rg_codec_ops rg_codec_pcmu = {
  .name = "PCMU",
  .default_pt = 0,
  .clock_rate = RG_AUDIO_PCMU_RATE,
  .sample_rate = RG_AUDIO_PCMU_RATE,
  .sdp_channels = 1,
  .frame_samples = PCMU_FRAME_SAMPLES,
  .state_size = sizeof(struct pcmu_state),
  .init = pcmu_init,
  .cleanup = pcmu_cleanup,
  .encode = pcmu_encode,
  .decode = pcmu_decode,
  .plc = pcmu_plc,
};
