/* Opus through libopus (RFC 6716, RTP payload RFC 7587): 48 kHz mono, 20 ms
 * frames of 960 samples, VoIP application. The decoder is mono too: libopus
 * down-mixes a stereo stream (a browser may send one) for us. */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#include <opus/opus.h>
#include <string.h>

#define OPUS_FRAME_SAMPLES 960     /* 20 ms at 48 kHz */
#define OPUS_CHANNELS 1
#define OPUS_SDP_CHANNELS 2        /* RFC 7587 §7: always "opus/48000/2" */
#define OPUS_DEFAULT_PT 111        /* dynamic; what browsers offer first */

struct opus_state {
  OpusEncoder *enc;
  OpusDecoder *dec;
};

static int opus_init_state(void *state)
{
  struct opus_state *st = state;
  int err = OPUS_OK;
  memset(st, 0, sizeof(*st));
  st->enc = opus_encoder_create(RG_AUDIO_OPUS_RATE, OPUS_CHANNELS, OPUS_APPLICATION_VOIP, &err);
  if (st->enc == NULL || err != OPUS_OK)
    goto fail;
  if (opus_encoder_ctl(st->enc, OPUS_SET_BITRATE(RG_OPUS_BITRATE)) != OPUS_OK ||
      opus_encoder_ctl(st->enc, OPUS_SET_COMPLEXITY(RG_OPUS_COMPLEXITY)) != OPUS_OK)
    goto fail;
  st->dec = opus_decoder_create(RG_AUDIO_OPUS_RATE, OPUS_CHANNELS, &err);
  if (st->dec == NULL || err != OPUS_OK)
    goto fail;
  return RG_OK;
fail:
  if (st->enc != NULL)
    opus_encoder_destroy(st->enc);
  if (st->dec != NULL)
    opus_decoder_destroy(st->dec);
  memset(st, 0, sizeof(*st));
  return err == OPUS_ALLOC_FAIL ? RG_ERR_NOMEM : RG_ERR_UNSUPPORTED;
}

static void opus_cleanup_state(void *state)
{
  struct opus_state *st = state;
  opus_encoder_destroy(st->enc);
  opus_decoder_destroy(st->dec);
  memset(st, 0, sizeof(*st));
}

static int opus_encode_frame(void *state, const int16_t *pcm, uint8_t *out, size_t cap,
                             size_t *out_len)
{
  struct opus_state *st = state;
  opus_int32 n = cap > RG_AUDIO_MAX_PAYLOAD ? RG_AUDIO_MAX_PAYLOAD : (opus_int32)cap;
  opus_int32 rc = opus_encode(st->enc, pcm, OPUS_FRAME_SAMPLES, out, n);
  if (rc == OPUS_BUFFER_TOO_SMALL)
    return RG_ERR_BUFFER;
  if (rc < 0)
    return RG_ERR_INVAL;
  *out_len = (size_t)rc;
  return RG_OK;
}

static int opus_decode_frame(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap,
                             size_t *n_out)
{
  struct opus_state *st = state;
  int rc;
  if (len == 0 || len > RG_AUDIO_MAX_PAYLOAD)
    return RG_ERR_MALFORMED;
  if (cap > RG_AUDIO_MAX_FRAME_SAMPLES)
    cap = RG_AUDIO_MAX_FRAME_SAMPLES;
  rc = opus_decode(st->dec, in, (opus_int32)len, pcm, (int)cap, 0);
  if (rc == OPUS_BUFFER_TOO_SMALL)
    return RG_ERR_BUFFER;
  if (rc < 0)
    return RG_ERR_MALFORMED;
  *n_out = (size_t)rc;
  return RG_OK;
}

/* libopus conceals a lost frame when given no data (RFC 6716 §4.4). */
static int opus_plc_frame(void *state, int16_t *pcm, size_t cap, size_t *n_out)
{
  struct opus_state *st = state;
  int rc;
  if (cap < OPUS_FRAME_SAMPLES)
    return RG_ERR_BUFFER;
  rc = opus_decode(st->dec, NULL, 0, pcm, OPUS_FRAME_SAMPLES, 0);
  if (rc < 0)
    return RG_ERR_STATE;
  *n_out = (size_t)rc;
  return RG_OK;
}

const struct rg_codec_ops rg_codec_opus = {
  .name = "opus",
  .default_pt = OPUS_DEFAULT_PT,
  .clock_rate = RG_AUDIO_OPUS_RATE,
  .sample_rate = RG_AUDIO_OPUS_RATE,
  .sdp_channels = OPUS_SDP_CHANNELS,
  .frame_samples = OPUS_FRAME_SAMPLES,
  .state_size = sizeof(struct opus_state),
  .init = opus_init_state,
  .cleanup = opus_cleanup_state,
  .encode = opus_encode_frame,
  .decode = opus_decode_frame,
  .plc = opus_plc_frame,
};
