/* librtcgate-client: the WebSocket frame codec and the reader of a server's
 * frame stream (RFC 6455), kept free of sockets and TLS so that unit tests
 * and the fuzz target (fuzz/fuzz_client_ws.c) drive exactly the code that
 * client_ws.c runs on the bytes it reads.
 *
 * Server frames must not be masked (§5.1); control frames are short and
 * unfragmented (§5.5); a fragmented message is continued by CONT frames only
 * (§5.4); a message is capped at the caller's max_payload. */
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"

#define WS_CONTROL_MAX 125 /* §5.5 */
#define WS_CLOSE_NO_CODE 1005   /* §7.4.1: no status code was present */
#define WS_CLOSE_PROTOCOL 1002  /* §7.4.1 */
#define WS_CLOSE_TOO_BIG 1009   /* §7.4.1 */

int cl_ws_parse_frame(uint8_t *buf, size_t len, size_t max_payload, struct cl_ws_frame *out)
{
  size_t hdr = 2;
  uint64_t plen;
  bool masked;
  if (len < 2)
    return 0;
  if (buf[0] & 0x70)
    return RG_ERR_MALFORMED; /* RSV bits: no extension was negotiated */
  masked = (buf[1] & 0x80) != 0;
  plen = buf[1] & 0x7f;
  if (plen == 126) {
    if (len < 4)
      return 0;
    plen = (uint64_t)buf[2] << 8 | buf[3];
    hdr = 4;
  } else if (plen == 127) {
    if (len < 10)
      return 0;
    plen = 0;
    for (int i = 0; i < 8; i++)
      plen = plen << 8 | buf[2 + i];
    hdr = 10;
  }
  if (masked)
    return RG_ERR_MALFORMED; /* a server must not mask (§5.1) */
  if (plen > max_payload)
    return RG_ERR_TOO_LARGE;
  if ((buf[0] & 0x08) && (plen > WS_CONTROL_MAX || !(buf[0] & 0x80)))
    return RG_ERR_MALFORMED; /* control frames: short and unfragmented (§5.5) */
  if (len - hdr < plen)
    return 0;
  out->fin = (buf[0] & 0x80) != 0;
  out->op = buf[0] & 0x0f;
  out->payload = buf + hdr;
  out->len = (size_t)plen;
  return (int)(hdr + plen);
}

int cl_ws_build_frame(uint8_t *out, size_t cap, int op, const uint8_t *payload, size_t len, const uint8_t mask[4])
{
  size_t hdr = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
  if (cap < hdr + 4 + len || len > INT32_MAX / 2)
    return RG_ERR_BUFFER;
  out[0] = (uint8_t)(0x80 | (op & 0x0f));
  if (len < 126) {
    out[1] = (uint8_t)(0x80 | len);
  } else if (len <= 0xffff) {
    out[1] = 0x80 | 126;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
  } else {
    out[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++)
      out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
  }
  memcpy(out + hdr, mask, 4);
  for (size_t i = 0; i < len; i++)
    out[hdr + 4 + i] = payload[i] ^ mask[i & 3];
  return (int)(hdr + 4 + len);
}

/* RFC 6455 §7.4: codes a peer may send. 1004 is reserved; 1005, 1006 and
 * 1015 must never travel in a frame; 1012-1014 are registered since (IANA
 * "WebSocket Close Code Number Registry"); 3000-4999 belong to libraries and
 * applications; anything else is a protocol error. */
static bool close_code_valid(uint16_t code)
{
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

static int rx_error(struct cl_ws_event *ev, uint16_t code, const char *why)
{
  ev->kind = CL_WS_EV_ERROR;
  ev->code = code;
  ev->why = why;
  return RG_ERR_CLOSED;
}

int cl_ws_rx_next(struct cl_ws_rx *rx, uint8_t *buf, size_t len, size_t max_msg, struct cl_ws_event *ev)
{
  struct cl_ws_frame f;
  int n = cl_ws_parse_frame(buf, len, max_msg, &f);
  memset(ev, 0, sizeof *ev);
  if (n == 0)
    return 0;
  if (n < 0)
    return n == RG_ERR_TOO_LARGE ? rx_error(ev, WS_CLOSE_TOO_BIG, "message too large")
                                 : rx_error(ev, WS_CLOSE_PROTOCOL, "protocol error from the server");
  switch (f.op) {
  case CL_WS_OP_PING:
    ev->kind = CL_WS_EV_PING;
    ev->data = f.payload;
    ev->len = f.len;
    return n;
  case CL_WS_OP_PONG:
    ev->kind = CL_WS_EV_NONE;
    return n;
  case CL_WS_OP_CLOSE:
    /* §5.5.1: a body is empty or starts with a 2-byte code; a bad code is
     * not echoed back, it is answered with 1002. */
    if (f.len == 1)
      return rx_error(ev, WS_CLOSE_PROTOCOL, "close frame with a 1-byte body from the server");
    ev->kind = CL_WS_EV_CLOSE;
    ev->code = f.len >= 2 ? (uint16_t)(f.payload[0] << 8 | f.payload[1]) : WS_CLOSE_NO_CODE;
    if (f.len >= 2 && !close_code_valid(ev->code))
      return rx_error(ev, WS_CLOSE_PROTOCOL, "invalid close code from the server");
    if (f.len > 2) {
      ev->data = f.payload + 2;
      ev->len = f.len - 2;
    }
    return n;
  case CL_WS_OP_TEXT:
  case CL_WS_OP_BINARY:
  case CL_WS_OP_CONT:
    break;
  default:
    return rx_error(ev, WS_CLOSE_PROTOCOL, "unknown opcode from the server");
  }
  if ((f.op == CL_WS_OP_CONT) != (rx->msg_op != 0))
    return rx_error(ev, WS_CLOSE_PROTOCOL, "bad fragmentation from the server");
  if (rx->msg_len + f.len > max_msg)
    return rx_error(ev, WS_CLOSE_TOO_BIG, "message too large");
  if (f.op != CL_WS_OP_CONT)
    rx->msg_op = f.op;
  /* +1: a complete text message is handed on NUL-terminated */
  uint8_t *nm = realloc(rx->msg, rx->msg_len + f.len + 1);
  if (!nm)
    return rx_error(ev, 0, "out of memory");
  rx->msg = nm;
  if (f.len)
    memcpy(rx->msg + rx->msg_len, f.payload, f.len);
  rx->msg_len += f.len;
  ev->kind = CL_WS_EV_NONE;
  if (f.fin) {
    if (rx->msg_op == CL_WS_OP_TEXT) {
      rx->msg[rx->msg_len] = 0;
      ev->kind = CL_WS_EV_TEXT;
      ev->data = rx->msg;
      ev->len = rx->msg_len;
    }
    rx->msg_len = 0;
    rx->msg_op = 0;
  }
  return n;
}

void cl_ws_rx_cleanup(struct cl_ws_rx *rx)
{
  free(rx->msg);
  memset(rx, 0, sizeof *rx);
}
