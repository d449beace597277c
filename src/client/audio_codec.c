/* The codec table and the object that holds one codec's state. */
#include "rtcgate/client_media.h"
#include "rtcgate/error.h"

#include <stdlib.h>
#include <strings.h>

struct rg_codec {
  const struct rg_codec_ops *ops;
  _Alignas(max_align_t) unsigned char state[]; /* ops->state_size bytes */
};

static const struct rg_codec_ops *const codecs[] = {&rg_codec_opus, &rg_codec_pcmu};

const struct rg_codec_ops *rg_codec_find(const char *name, size_t len)
{
  size_t i;
  if (name == NULL)
    return NULL;
  for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
    const char *n = codecs[i]->name;
    size_t nlen = 0;
    while (n[nlen] != '\0')
      nlen++;
    if (nlen == len && strncasecmp(n, name, len) == 0)
      return codecs[i];
  }
  return NULL;
}

int rg_codec_new(const struct rg_codec_ops *ops, struct rg_codec **out)
{
  struct rg_codec *c;
  int rc;
  if (ops == NULL || out == NULL)
    return RG_ERR_INVAL;
  c = calloc(1, sizeof(*c) + ops->state_size);
  if (c == NULL)
    return RG_ERR_NOMEM;
  c->ops = ops;
  rc = ops->init(c->state);
  if (rc != RG_OK) {
    free(c);
    return rc;
  }
  *out = c;
  return RG_OK;
}

void rg_codec_free(struct rg_codec *c)
{
  if (c == NULL)
    return;
  c->ops->cleanup(c->state);
  free(c);
}

const struct rg_codec_ops *rg_codec_ops_of(const struct rg_codec *c)
{
  return c->ops;
}

int rg_codec_encode(struct rg_codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t cap,
                    size_t *out_len)
{
  if (c == NULL || pcm == NULL || out == NULL || out_len == NULL || n != c->ops->frame_samples)
    return RG_ERR_INVAL;
  return c->ops->encode(c->state, pcm, out, cap, out_len);
}

int rg_codec_decode(struct rg_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap,
                    size_t *n_out)
{
  if (c == NULL || in == NULL || pcm == NULL || n_out == NULL)
    return RG_ERR_INVAL;
  return c->ops->decode(c->state, in, len, pcm, cap, n_out);
}

int rg_codec_plc(struct rg_codec *c, int16_t *pcm, size_t cap, size_t *n_out)
{
  if (c == NULL || pcm == NULL || n_out == NULL)
    return RG_ERR_INVAL;
  return c->ops->plc(c->state, pcm, cap, n_out);
}
