/* WAV files on disk: whole-file read (bounded) and write, and the streaming
 * recorder that patches its sizes when closed. */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"
#include "audio_bytes_internal.h"
#include "audio_internal.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536           /* first allocation, doubled up to the cap */

/* Reads at most RG_WAV_MAX_FILE_BYTES + 1 bytes, so an oversize file is seen
 * as such without reading all of it. */
static int slurp(FILE *f, uint8_t **out, size_t *out_len)
{
  size_t cap = READ_CHUNK, len = 0, got;
  uint8_t *buf = malloc(cap), *nb;
  if (buf == NULL)
    return RG_ERR_NOMEM;
  for (;;) {
    if (len == cap) {
      if (cap > RG_WAV_MAX_FILE_BYTES) {
        free(buf);
        return RG_ERR_TOO_LARGE;
      }
      cap = cap * 2 > (size_t)RG_WAV_MAX_FILE_BYTES + 1 ? (size_t)RG_WAV_MAX_FILE_BYTES + 1 : cap * 2;
      nb = realloc(buf, cap);
      if (nb == NULL) {
        free(buf);
        return RG_ERR_NOMEM;
      }
      buf = nb;
    }
    got = fread(buf + len, 1, cap - len, f);
    if (got == 0) {
      if (ferror(f)) {
        free(buf);
        return RG_ERR_CLOSED;
      }
      break;
    }
    len += got;
  }
  *out = buf;
  *out_len = len;
  return RG_OK;
}

int rg_wav_read_file(const char *path, uint32_t target_rate, struct rg_pcm *out)
{
  FILE *f;
  uint8_t *buf = NULL;
  size_t len = 0;
  struct rg_pcm pcm = {0}, res;
  int rc;

  if (path == NULL || out == NULL)
    return RG_ERR_INVAL;
  f = fopen(path, "rb");
  if (f == NULL)
    return RG_ERR_NOT_FOUND;
  rc = slurp(f, &buf, &len);
  fclose(f);
  if (rc != RG_OK)
    return rc;
  rc = rg_wav_parse(buf, len, &pcm);
  free(buf);
  if (rc != RG_OK)
    return rc;
  if (target_rate != 0 && target_rate != pcm.rate) {
    rc = rg_pcm_resample(pcm.samples, pcm.n, pcm.rate, target_rate, &res);
    rg_pcm_free(&pcm);
    if (rc != RG_OK)
      return rc;
    pcm = res;
  }
  *out = pcm;
  return RG_OK;
}

int rg_wav_write_file(const char *path, const int16_t *samples, size_t n, uint32_t rate)
{
  struct rg_wav_writer w;
  int rc = rg_wav_writer_open(&w, path, rate);
  if (rc != RG_OK)
    return rc;
  rc = rg_wav_writer_append(&w, samples, n);
  if (rc != RG_OK) {
    (void)rg_wav_writer_close(&w);
    return rc;
  }
  return rg_wav_writer_close(&w);
}

int rg_wav_writer_open(struct rg_wav_writer *w, const char *path, uint32_t rate)
{
  uint8_t h[RG_WAV_HEADER_LEN];
  FILE *f;
  int rc;
  if (w == NULL || path == NULL)
    return RG_ERR_INVAL;
  rc = rg_wav_header(h, 0, rate);
  if (rc != RG_OK)
    return rc;
  f = fopen(path, "wb");
  if (f == NULL)
    return RG_ERR_NOT_FOUND;
  /* A zero-length data chunk first: a recorder killed before close still leaves a valid file. */
  if (fwrite(h, 1, sizeof(h), f) != sizeof(h)) {
    fclose(f);
    return RG_ERR_CLOSED;
  }
  w->f = f;
  w->rate = rate;
  w->n = 0;
  w->err = RG_OK;
  return RG_OK;
}

int rg_wav_writer_append(struct rg_wav_writer *w, const int16_t *samples, size_t n)
{
  uint8_t buf[4096];
  size_t done = 0;
  if (w == NULL || w->f == NULL || (samples == NULL && n > 0))
    return RG_ERR_INVAL;
  if (w->err != RG_OK)
    return w->err;
  if (rg_wav_image_len(w->n + n) == 0 || w->n + n < w->n) {
    w->err = RG_ERR_TOO_LARGE;
    return w->err;
  }
  while (done < n) {
    size_t k = n - done, i;
    if (k > sizeof(buf) / 2)
      k = sizeof(buf) / 2;
    for (i = 0; i < k; i++)
      rg_put_le16(buf + 2 * i, (uint16_t)samples[done + i]);
    if (fwrite(buf, 2, k, w->f) != k) {
      w->err = RG_ERR_CLOSED;
      return w->err;
    }
    done += k;
  }
  w->n += n;
  return RG_OK;
}

int rg_wav_writer_close(struct rg_wav_writer *w)
{
  uint8_t h[RG_WAV_HEADER_LEN];
  int rc;
  if (w == NULL || w->f == NULL)
    return RG_ERR_INVAL;
  rc = w->err;
  if (rg_wav_header(h, w->n, w->rate) == RG_OK) {
    if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
      rc = rc != RG_OK ? rc : RG_ERR_CLOSED;
  }
  if (fclose(w->f) != 0 && rc == RG_OK)
    rc = RG_ERR_CLOSED;
  w->f = NULL;
  return rc;
}
