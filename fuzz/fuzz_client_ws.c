/* Fuzzes the client's reader of the server's WebSocket frames
 * (src/client/client_ws_frame.c, compiled into this target: it needs no
 * socket, TLS or client library), exactly as client_ws.c drives it: bytes
 * arrive in chunks, frames are read until one is incomplete or in error.
 *
 * Input: byte 0 picks the chunk size the stream is delivered in, byte 1 a
 * small message cap (so the caps are reached with short inputs), the rest is
 * the server's byte stream.
 * Properties: never a crash, leak or over-read; every frame consumes at most
 * what is buffered; pings carry <= 125 bytes; text messages respect the cap
 * and are NUL-terminated; an error carries a close code (1002/1009) and a
 * reason; and the events are the same whatever the chunking (the reader
 * keeps no state between calls beyond the message it assembles). Also: a
 * masked client frame built from the payload is refused (§5.1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"

#define FUZZ_CAP_UNIT 64         /* byte 1 * this = the message cap (0: CL_WS_FRAME_MAX) */
#define FUZZ_CONTROL_MAX 125     /* RFC 6455 §5.5 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of the events, to compare two deliveries of the same stream. */
struct trace {
  uint64_t h;
  size_t n_events, consumed;
  int end_rc;
  uint16_t end_code;
};

static void mix(struct trace *t, const void *p, size_t len)
{
  const uint8_t *b = p;
  for (size_t i = 0; i < len; i++)
    t->h = (t->h ^ b[i]) * 0x100000001b3ull; /* FNV-1a */
}

static void check_event(const struct cl_ws_event *ev, size_t max_msg)
{
  switch (ev->kind) {
  case CL_WS_EV_NONE:
    break;
  case CL_WS_EV_PING:
    if (ev->len > FUZZ_CONTROL_MAX || (ev->len && !ev->data))
      abort();
    break;
  case CL_WS_EV_CLOSE:
    if (ev->len > FUZZ_CONTROL_MAX - 2 || (ev->len && !ev->data))
      abort();
    break;
  case CL_WS_EV_TEXT:
    if (ev->len > max_msg || !ev->data || ev->data[ev->len] != 0)
      abort();
    break;
  default:
    abort();
  }
}

/* Delivers stream in chunks of chunk bytes (0: all at once) into a growing
 * buffer and reads frames as client_ws.c's handle_frames does. */
static void run(const uint8_t *stream, size_t len, size_t chunk, size_t max_msg, struct trace *t)
{
  struct cl_ws_rx rx;
  uint8_t *in = malloc(len ? len : 1);
  size_t in_len = 0, fed = 0;
  bool done = false;
  if (!in)
    return;
  memset(&rx, 0, sizeof rx);
  memset(t, 0, sizeof *t);
  t->h = 0xcbf29ce484222325ull;
  while (!done && fed < len) {
    size_t step = chunk == 0 || chunk > len - fed ? len - fed : chunk;
    size_t off = 0;
    memcpy(in + in_len, stream + fed, step);
    in_len += step;
    fed += step;
    for (;;) {
      struct cl_ws_event ev;
      int n = cl_ws_rx_next(&rx, in + off, in_len - off, max_msg, &ev);
      if (n == 0)
        break;
      if (n < 0) {
        if (n != RG_ERR_CLOSED || ev.kind != CL_WS_EV_ERROR || !ev.why || !ev.why[0] ||
            (ev.code != 1002 && ev.code != 1009))
          abort();
        t->end_rc = n;
        t->end_code = ev.code;
        done = true;
        break;
      }
      if ((size_t)n > in_len - off)
        abort();
      check_event(&ev, max_msg);
      off += (size_t)n;
      t->consumed += (size_t)n;
      t->n_events++;
      mix(t, &ev.kind, sizeof ev.kind);
      mix(t, &ev.code, sizeof ev.code);
      mix(t, &ev.len, sizeof ev.len);
      if (ev.len)
        mix(t, ev.data, ev.len);
      if (ev.kind == CL_WS_EV_CLOSE) {
        done = true; /* client_ws.c closes here */
        break;
      }
    }
    memmove(in, in + off, in_len - off);
    in_len -= off;
  }
  cl_ws_rx_cleanup(&rx);
  free(in);
}

static void masked_is_refused(const uint8_t *payload, size_t len)
{
  static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  struct cl_ws_frame f;
  size_t cap = len + 14;
  uint8_t *buf = malloc(cap);
  if (!buf)
    return;
  int n = cl_ws_build_frame(buf, cap, CL_WS_OP_TEXT, payload, len, mask);
  if (n <= 0 || (size_t)n > cap)
    abort();
  if (cl_ws_parse_frame(buf, (size_t)n, CL_WS_FRAME_MAX, &f) != RG_ERR_MALFORMED)
    abort();
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct trace whole, chunked;
  size_t chunk, max_msg;
  if (size < 2)
    return 0;
  chunk = (size_t)(data[0] % 17) + 1;
  max_msg = data[1] ? (size_t)data[1] * FUZZ_CAP_UNIT : CL_WS_FRAME_MAX;
  data += 2;
  size -= 2;
  run(data, size, 0, max_msg, &whole);
  run(data, size, chunk, max_msg, &chunked);
  if (whole.h != chunked.h || whole.n_events != chunked.n_events || whole.consumed != chunked.consumed ||
      whole.end_rc != chunked.end_rc || whole.end_code != chunked.end_code)
    abort();
  masked_is_refused(data, size);
  return 0;
}
