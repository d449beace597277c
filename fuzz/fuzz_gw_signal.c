/* Fuzzes the gateway's WebSocket signalling frame check
 * (src/gateway/gw_signal_parse.c with gw_util.c, compiled into this target;
 * jansson parses): the text of one frame goes through gw_signal_parse, the
 * function gw_signal_handle runs on every frame before acting on it.
 * Properties: any frame gives a valid message or an error text, never a
 * crash or leak; a valid message has what its type needs: auth a token;
 * every other type a call_id matching [A-Za-z0-9_-]{8,64}; call and answer a
 * non-empty sdp; call a valid "to"; reject and hangup a known reason or none. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct gw_sig_msg m;
  if (size > GW_WS_FRAME_MAX)
    return 0; /* larger messages are refused while they are assembled */
  int rc = gw_signal_parse((const char *)data, size, &m);
  if (rc != 0) {
    if (rc != RG_ERR_MALFORMED || !m.error)
      abort();
    /* A call_id is reported only once it was checked. */
    if (m.call_id && !gw_valid_call_id(m.call_id, m.call_id_len))
      abort();
    gw_signal_msg_free(&m);
    return 0;
  }
  if (!m.json || m.error)
    abort();
  switch (m.type) {
  case GW_SIG_AUTH:
    if (!m.token)
      abort();
    break;
  case GW_SIG_CALL:
    if (!m.to || !gw_valid_user(m.to, m.to_len) || strlen(m.to) != m.to_len)
      abort();
    /* fall through */
  case GW_SIG_ANSWER:
    if (!m.sdp || m.sdp_len == 0)
      abort();
    break;
  case GW_SIG_REJECT:
  case GW_SIG_HANGUP:
    if (m.reason && !gw_reason_valid(m.reason))
      abort();
    break;
  default:
    abort();
  }
  if (m.type != GW_SIG_AUTH &&
      (!m.call_id || !gw_valid_call_id(m.call_id, m.call_id_len) || strlen(m.call_id) != m.call_id_len))
    abort();
  gw_signal_msg_free(&m);
  return 0;
}
