/* Fuzzes the SDP parser and writer: any bytes parse or fail cleanly; what
 * parses writes out, parses again, and writes out identically (the writer's
 * output is a fixed point). Also runs the views and the WebRTC check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct rg_sdp *a = NULL, *b = NULL;
  struct rg_sdp_error err;
  struct rg_sdp_transport t;
  uint32_t ids[64];
  size_t n, len1, len2;
  if (rg_sdp_parse((const char *)data, size, 0, &a, &err) != 0)
    return 0;
  for (size_t i = 0; i < a->n_media; i++)
    rg_sdp_media_transport(a, i, &t);
  rg_sdp_ssrcs(a, ids, 64, &n);
  rg_sdp_check_webrtc(a, &err);

  len1 = rg_sdp_write_len(a);
  char *out1 = malloc(len1 + 1);
  if (!out1 || rg_sdp_write(a, out1, len1 + 1, &len1) != 0)
    abort();
  int rc = rg_sdp_parse(out1, len1, 0, &b, &err);
  /* LF input written back with CRLF may outgrow the size limit; nothing
   * else may make the writer's output unparsable. */
  if (rc != 0 && !(len1 > RG_SDP_MAX_SIZE))
    abort();
  if (rc == 0) {
    len2 = rg_sdp_write_len(b);
    char *out2 = malloc(len2 + 1);
    if (!out2 || rg_sdp_write(b, out2, len2 + 1, &len2) != 0)
      abort();
    if (len1 != len2 || memcmp(out1, out2, len1) != 0)
      abort();
    free(out2);
    rg_sdp_free(b);
  }
  /* Rewriting a section's transport and dropping crypto must leave a model
   * that writes text which parses again. */
  if (a->n_media) {
    static const struct rg_fingerprint fp = {.hash = RG_HASH_SHA256, .len = 32};
    static const struct rg_sdp_candidate cand = {.foundation = "1", .component = 1,
                                                 .transport = "udp", .priority = 1,
                                                 .address = "127.0.0.1", .port = 9,
                                                 .type = "host"};
    const struct rg_sdp_transport_spec spec = {.ice_ufrag = "abcd",
                                               .ice_pwd = "0123456789abcdefghijkl",
                                               .n_fingerprints = 1, .fingerprints = &fp,
                                               .setup = RG_SDP_SETUP_ACTIVE, .n_candidates = 1,
                                               .candidates = &cand};
    if (rg_sdp_set_transport(a, a->media[a->n_media - 1], &spec) == 0) {
      rg_sdp_drop_crypto(a);
      size_t len3 = rg_sdp_write_len(a);
      char *out3 = malloc(len3 + 1);
      if (!out3 || rg_sdp_write(a, out3, len3 + 1, &len3) != 0)
        abort();
      b = NULL;
      if (rg_sdp_parse(out3, len3, 0, &b, &err) != 0 && len3 <= RG_SDP_MAX_SIZE)
        abort();
      rg_sdp_free(b);
      free(out3);
    }
  }
  free(out1);
  rg_sdp_free(a);
  return 0;
}
