/* rtcgate gateway — the POST /v1/sessions body, checked strictly.
 *
 * Pure (jansson and libc only, no server state), so fuzz/fuzz_gw_claims.c
 * runs exactly what the route runs: gw_body_parse, then gw_claims_parse.
 *
 * Unknown fields, wrong types and out-of-range values are refused (400), so
 * a typo in the application's back end ("allowed_destination") fails loudly
 * instead of minting a token with defaults the developer did not intend.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

static int fail(char *err, size_t cap, const char *msg)
{
  snprintf(err, cap, "%s", msg);
  return RG_ERR_MALFORMED;
}

static bool display_name_ok(const char *s, size_t len)
{
  if (len < 1 || len > GW_DISPLAY_MAX)
    return false;
  for (size_t i = 0; i < len; i++) { /* jansson already checked the UTF-8 */
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch == 0x7f)
      return false;
  }
  return true;
}

static int parse_dest(json_t *v, struct gw_claims *c, char *err, size_t cap)
{
  if (!json_is_array(v))
    return fail(err, cap, "allowed_destinations must be an array of user names or \"*\"");
  if (json_array_size(v) > GW_DEST_MAX)
    return fail(err, cap, "allowed_destinations has too many entries (at most 32)");
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e)
  {
    if (!json_is_string(e))
      return fail(err, cap, "allowed_destinations entries must be strings");
    const char *s = json_string_value(e);
    size_t len = json_string_length(e);
    if (len == 1 && s[0] == '*') {
      c->dest_any = true;
      continue;
    }
    if (!gw_valid_user(s, len))
      return fail(err, cap, "allowed_destinations entries must match [A-Za-z0-9._-]{1,64} or be \"*\"");
    memcpy(c->dest[c->n_dest], s, len + 1);
    c->n_dest++;
  }
  return 0;
}

static int parse_media(json_t *v, struct gw_claims *c, char *err, size_t cap)
{
  if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > 2)
    return fail(err, cap, "media must be a non-empty array of \"audio\" and \"video\"");
  size_t i;
  json_t *e;
  c->media = 0;
  json_array_foreach(v, i, e)
  {
    const char *s = json_string_value(e);
    unsigned bit = 0;
    if (s && strcmp(s, "audio") == 0)
      bit = GW_MEDIA_AUDIO;
    else if (s && strcmp(s, "video") == 0)
      bit = GW_MEDIA_VIDEO;
    if (!bit || (c->media & bit))
      return fail(err, cap, "media entries must be \"audio\" or \"video\", each once");
    c->media |= bit;
  }
  return 0;
}

json_t *gw_body_parse(const char *body, size_t len, char *err, size_t cap)
{
  if (!len) {
    snprintf(err, cap, "a JSON body is required");
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!j)
    snprintf(err, cap, "invalid JSON at line %d: %.100s", je.line, je.text);
  return j;
}

int gw_claims_parse(json_t *body, struct gw_claims *c, int64_t *ttl_s, char *err, size_t cap)
{
  if (!json_is_object(body))
    return fail(err, cap, "the body must be a JSON object");
  struct gw_claims out;
  memset(&out, 0, sizeof(out));
  out.media = GW_MEDIA_AUDIO | GW_MEDIA_VIDEO;
  int64_t ttl = GW_TTL_DEFAULT_S;
  bool have_user = false, have_display = false;
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v)
  {
    int rc = 0;
    if (strcmp(key, "user") == 0) {
      if (!json_is_string(v) || !gw_valid_user(json_string_value(v), json_string_length(v)))
        return fail(err, cap, "user must match [A-Za-z0-9._-]{1,64}");
      memcpy(out.user, json_string_value(v), json_string_length(v) + 1);
      have_user = true;
    } else if (strcmp(key, "display_name") == 0) {
      if (!json_is_string(v) || !display_name_ok(json_string_value(v), json_string_length(v)))
        return fail(err, cap, "display_name must be a string of 1 to 128 bytes without control characters");
      memcpy(out.display_name, json_string_value(v), json_string_length(v) + 1);
      have_display = true;
    } else if (strcmp(key, "allowed_destinations") == 0) {
      rc = parse_dest(v, &out, err, cap);
    } else if (strcmp(key, "media") == 0) {
      rc = parse_media(v, &out, err, cap);
    } else if (strcmp(key, "ttl_s") == 0) {
      if (!json_is_integer(v) || json_integer_value(v) < GW_TTL_MIN_S || json_integer_value(v) > GW_TTL_MAX_S)
        return fail(err, cap, "ttl_s must be an integer from 60 to 86400");
      ttl = (int64_t)json_integer_value(v);
    } else {
      snprintf(err, cap, "unknown field \"%.32s\"", key);
      return RG_ERR_MALFORMED;
    }
    if (rc)
      return rc;
  }
  if (!have_user)
    return fail(err, cap, "user is required");
  if (!have_display)
    memcpy(out.display_name, out.user, sizeof(out.user));
  *c = out;
  *ttl_s = ttl;
  return 0;
}
