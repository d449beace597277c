/* WAV (RIFF/WAVE, PCM 16-bit) image parser and writer, in memory.
 *
 * Self-contained on purpose (error.h and libc only): fuzz/fuzz_client_wav.c
 * compiles this file into a target that links the core archive alone.
 */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"
#include "audio_bytes_internal.h"
#include "audio_internal.h"

#include <stdlib.h>
#include <string.h>

#define RIFF_HEADER_LEN 12         /* "RIFF" size "WAVE" */
#define CHUNK_HEADER_LEN 8         /* id + size */
#define FMT_MIN_LEN 16             /* WAVEFORMAT + wBitsPerSample */
#define FMT_EXT_MIN_LEN 40         /* WAVEFORMATEXTENSIBLE */
#define FMT_EXT_CB_MIN 22          /* cbSize of the extensible part */
#define FMT_EXT_GUID_OFF 24        /* SubFormat GUID inside the fmt body */
#define FMT_EXT_GUID_LEN 16
#define WAVE_FORMAT_PCM 1
#define WAVE_FORMAT_EXTENSIBLE 0xFFFEu
#define WAV_BITS 16
#define WAV_MAX_CHANNELS 2

/* KSDATAFORMAT_SUBTYPE_PCM, 00000001-0000-0010-8000-00aa00389b71, as stored. */
static const uint8_t ks_subtype_pcm[FMT_EXT_GUID_LEN] = {
  0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
  0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

struct wav_fmt {
  unsigned channels;
  uint32_t rate;
};

void rg_pcm_free(struct rg_pcm *pcm)
{
  if (pcm == NULL)
    return;
  free(pcm->samples);
  memset(pcm, 0, sizeof(*pcm));
}

static int parse_fmt(const uint8_t *b, uint32_t len, struct wav_fmt *out)
{
  uint16_t tag, channels, block_align, bits;
  uint32_t rate, byte_rate;
  if (len < FMT_MIN_LEN)
    return RG_ERR_MALFORMED;
  tag = rg_le16(b);
  channels = rg_le16(b + 2);
  rate = rg_le32(b + 4);
  byte_rate = rg_le32(b + 8);
  block_align = rg_le16(b + 12);
  bits = rg_le16(b + 14);
  if (tag == WAVE_FORMAT_EXTENSIBLE) {
    if (len < FMT_EXT_MIN_LEN || rg_le16(b + 16) < FMT_EXT_CB_MIN)
      return RG_ERR_MALFORMED;
    if (memcmp(b + FMT_EXT_GUID_OFF, ks_subtype_pcm, FMT_EXT_GUID_LEN) != 0)
      return RG_ERR_UNSUPPORTED;
  } else if (tag != WAVE_FORMAT_PCM) {
    return RG_ERR_UNSUPPORTED;
  }
  if (bits != WAV_BITS || channels == 0 || channels > WAV_MAX_CHANNELS ||
      rate < RG_AUDIO_MIN_RATE || rate > RG_AUDIO_MAX_RATE)
    return RG_ERR_UNSUPPORTED;
  /* Derived fields must agree: a header that lies about its layout is not trusted. */
  if (block_align != channels * (WAV_BITS / 8) || byte_rate != rate * block_align)
    return RG_ERR_MALFORMED;
  out->channels = channels;
  out->rate = rate;
  return RG_OK;
}

static int decode_data(const uint8_t *b, uint32_t len, const struct wav_fmt *fmt, struct rg_pcm *out)
{
  size_t frame = (size_t)fmt->channels * (WAV_BITS / 8);
  size_t n, i;
  int16_t *s = NULL;
  if (len % frame != 0)
    return RG_ERR_MALFORMED;
  n = len / frame;
  if (n > 0) {
    s = malloc(n * sizeof(*s));
    if (s == NULL)
      return RG_ERR_NOMEM;
  }
  for (i = 0; i < n; i++) {
    const uint8_t *p = b + i * frame;
    if (fmt->channels == 1) {
      s[i] = (int16_t)rg_le16(p);
    } else {
      /* Mean of both channels; the sum of two int16 fits an int. */
      int sum = (int16_t)rg_le16(p) + (int16_t)rg_le16(p + 2);
      s[i] = (int16_t)(sum / 2);
    }
  }
  out->samples = s;
  out->n = n;
  out->rate = fmt->rate;
  return RG_OK;
}

int rg_wav_parse(const uint8_t *buf, size_t len, struct rg_pcm *out)
{
  struct wav_fmt fmt = {0, 0};
  bool have_fmt = false;
  size_t off, end;
  uint32_t riff_size;
  unsigned chunks = 0;
  int rc;

  if (buf == NULL || out == NULL)
    return RG_ERR_INVAL;
  if (len > RG_WAV_MAX_FILE_BYTES)
    return RG_ERR_TOO_LARGE;
  if (len < RIFF_HEADER_LEN || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
    return RG_ERR_MALFORMED;
  riff_size = rg_le32(buf + 4);
  /* The RIFF size counts from "WAVE" on; it must fit in what we were given. */
  if (riff_size < 4 || (size_t)riff_size > len - CHUNK_HEADER_LEN)
    return RG_ERR_MALFORMED;
  end = (size_t)riff_size + CHUNK_HEADER_LEN;
  off = RIFF_HEADER_LEN;
  while (off < end) {
    const uint8_t *id;
    uint32_t size;
    if (++chunks > RG_WAV_MAX_CHUNKS || end - off < CHUNK_HEADER_LEN)
      return RG_ERR_MALFORMED;
    id = buf + off;
    size = rg_le32(buf + off + 4);
    off += CHUNK_HEADER_LEN;
    if (size > end - off)
      return RG_ERR_MALFORMED;
    if (memcmp(id, "fmt ", 4) == 0) {
      if (have_fmt)
        return RG_ERR_MALFORMED;
      rc = parse_fmt(buf + off, size, &fmt);
      if (rc != RG_OK)
        return rc;
      have_fmt = true;
    } else if (memcmp(id, "data", 4) == 0) {
      if (!have_fmt)
        return RG_ERR_MALFORMED;
      return decode_data(buf + off, size, &fmt, out);
    }
    /* Chunks are padded to even length; a missing final pad byte is tolerated. */
    off += size;
    if ((size & 1u) && off < end)
      off++;
  }
  return RG_ERR_MALFORMED; /* no data chunk */
}

size_t rg_wav_image_len(size_t n)
{
  if (n > (RG_WAV_MAX_FILE_BYTES - RG_WAV_HEADER_LEN) / 2)
    return 0;
  return RG_WAV_HEADER_LEN + n * 2;
}

int rg_wav_header(uint8_t *h, size_t n, uint32_t rate)
{
  size_t total = rg_wav_image_len(n);
  if (total == 0)
    return RG_ERR_TOO_LARGE;
  if (rate < RG_AUDIO_MIN_RATE || rate > RG_AUDIO_MAX_RATE)
    return RG_ERR_INVAL;
  memcpy(h, "RIFF", 4);
  rg_put_le32(h + 4, (uint32_t)(total - CHUNK_HEADER_LEN));
  memcpy(h + 8, "WAVEfmt ", 8);
  rg_put_le32(h + 16, FMT_MIN_LEN);
  rg_put_le16(h + 20, WAVE_FORMAT_PCM);
  rg_put_le16(h + 22, 1);
  rg_put_le32(h + 24, rate);
  rg_put_le32(h + 28, rate * 2);
  rg_put_le16(h + 32, 2);
  rg_put_le16(h + 34, WAV_BITS);
  memcpy(h + 36, "data", 4);
  rg_put_le32(h + 40, (uint32_t)(n * 2));
  return RG_OK;
}

int rg_wav_write(const int16_t *samples, size_t n, uint32_t rate, uint8_t *buf, size_t cap,
                 size_t *out_len)
{
  size_t total = rg_wav_image_len(n);
  size_t i;
  int rc;
  if (total == 0)
    return RG_ERR_TOO_LARGE;
  if ((samples == NULL && n > 0) || buf == NULL)
    return RG_ERR_INVAL;
  if (cap < total)
    return RG_ERR_BUFFER;
  rc = rg_wav_header(buf, n, rate);
  if (rc != RG_OK)
    return rc;
  for (i = 0; i < n; i++)
    rg_put_le16(buf + RG_WAV_HEADER_LEN + 2 * i, (uint16_t)samples[i]);
  *out_len = total;
  return RG_OK;
}
