/* rtcgate gateway — one WebSocket text frame checked into a message.
 *
 * Pure: text in, a validated struct gw_sig_msg (or the reason it is not one)
 * out; no socket, no server state. gw_signal.c acts on the result, and
 * fuzz/fuzz_gw_signal.c runs this file alone. The checks and their order
 * are the protocol's (docs/protocol.md): the frame is a JSON object (jansson,
 * duplicate keys refused) with a string "type"; auth needs a string token;
 * call, answer, reject and hangup need a valid call_id; call and answer a
 * non-empty sdp; call a valid "to"; reject and hangup an optional valid
 * reason. Fields a type does not use are ignored, so clients may add their own.
 */
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

static int fail(struct gw_sig_msg *m, const char *why)
{
  m->error = why;
  return RG_ERR_MALFORMED;
}

/* A string field; NULL if absent or not a string. */
static const char *str_field(json_t *j, const char *name, size_t *len)
{
  json_t *v = json_object_get(j, name);
  if (!json_is_string(v))
    return NULL;
  *len = json_string_length(v);
  return json_string_value(v);
}

static int type_of(const char *type)
{
  static const struct {
    const char *name;
    int type;
  } types[] = {{"auth", GW_SIG_AUTH},
               {"call", GW_SIG_CALL},
               {"answer", GW_SIG_ANSWER},
               {"reject", GW_SIG_REJECT},
               {"hangup", GW_SIG_HANGUP}};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (strcmp(type, types[i].name) == 0)
      return types[i].type;
  return GW_SIG_NONE;
}

int gw_signal_parse(const char *text, size_t len, struct gw_sig_msg *m)
{
  json_error_t je;
  size_t id_len = 0;
  memset(m, 0, sizeof(*m));
  m->json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!m->json)
    return fail(m, "invalid JSON");
  const char *type = json_is_object(m->json) ? json_string_value(json_object_get(m->json, "type")) : NULL;
  if (!type)
    return fail(m, "a frame must be a JSON object with a string \"type\"");
  m->type = type_of(type);
  if (m->type == GW_SIG_AUTH) {
    m->token = str_field(m->json, "token", &m->token_len);
    return m->token ? 0 : fail(m, GW_SIG_FIRST_FRAME);
  }
  if (m->type == GW_SIG_NONE)
    return fail(m, "unknown type");
  const char *id = str_field(m->json, "call_id", &id_len);
  if (!id || !gw_valid_call_id(id, id_len))
    return fail(m, "call_id must be a string matching [A-Za-z0-9_-]{8,64}");
  m->call_id = id;
  m->call_id_len = id_len;
  if (m->type == GW_SIG_CALL || m->type == GW_SIG_ANSWER) {
    m->sdp = str_field(m->json, "sdp", &m->sdp_len);
    if (!m->sdp || m->sdp_len == 0) {
      m->sdp = NULL;
      return fail(m, "sdp must be a non-empty string");
    }
    if (m->type == GW_SIG_ANSWER)
      return 0;
    m->to = str_field(m->json, "to", &m->to_len);
    if (!m->to || !gw_valid_user(m->to, m->to_len)) {
      m->to = NULL;
      return fail(m, "to must be a user name matching [A-Za-z0-9._-]{1,64}");
    }
    return 0;
  }
  json_t *r = json_object_get(m->json, "reason");
  if (r) {
    const char *reason = json_string_value(r);
    if (!reason || !gw_reason_valid(reason))
      return fail(m, "reason must be one of normal, rejected, busy, not_found, forbidden, media_failed, timeout, gone");
    m->reason = reason;
  }
  return 0;
}

void gw_signal_msg_free(struct gw_sig_msg *m)
{
  json_decref(m->json);
  m->json = NULL;
}
