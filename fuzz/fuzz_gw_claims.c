/* Fuzzes the gateway's POST /v1/sessions body check (src/gateway/gw_claims.c
 * with gw_util.c, compiled into this target; jansson parses): the bytes of a
 * request body go through gw_body_parse and gw_claims_parse, exactly as the
 * route runs them.
 * Properties: any body is accepted or refused with a message, never a crash
 * or leak; accepted claims obey the documented limits (user and every
 * destination match [A-Za-z0-9._-]{1,64}, at most 32 destinations, a display
 * name of 1..128 bytes without control characters, media a non-empty subset
 * of audio and video, ttl_s 60..86400). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
  if (!gw_valid_user(s, strnlen(s, GW_USER_MAX + 1)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char err[200];
  struct gw_claims c;
  int64_t ttl = 0;
  if (size > GW_HTTP_BODY_MAX)
    return 0; /* the server refuses larger bodies before parsing */
  memset(err, 0, sizeof err);
  json_t *body = gw_body_parse((const char *)data, size, err, sizeof err);
  if (!body) {
    if (!err[0])
      abort();
    return 0;
  }
  memset(&c, 0xa5, sizeof c); /* written only on success */
  int rc = gw_claims_parse(body, &c, &ttl, err, sizeof err);
  json_decref(body);
  if (rc != 0) {
    if (rc != RG_ERR_MALFORMED || !err[0])
      abort();
    return 0;
  }
  check_name(c.user);
  if (c.n_dest > GW_DEST_MAX)
    abort();
  for (unsigned i = 0; i < c.n_dest; i++)
    check_name(c.dest[i]);
  size_t dlen = strnlen(c.display_name, sizeof c.display_name);
  if (dlen < 1 || dlen > GW_DISPLAY_MAX)
    abort();
  for (size_t i = 0; i < dlen; i++)
    if ((unsigned char)c.display_name[i] < 0x20 || c.display_name[i] == 0x7f)
      abort();
  if (c.media == 0 || (c.media & ~(GW_MEDIA_AUDIO | GW_MEDIA_VIDEO)) != 0)
    abort();
  if (ttl < GW_TTL_MIN_S || ttl > GW_TTL_MAX_S)
    abort();
  return 0;
}
