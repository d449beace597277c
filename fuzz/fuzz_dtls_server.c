/* Feeds arbitrary datagrams to a server-role DTLS core.
 *
 * Input: a sequence of [len_hi len_lo bytes...] datagrams; a zero length
 * means "advance the clock by 1 s and call handle_timeout". After each step
 * every output datagram and event is drained. The certificate and context
 * are made once (the fuzzer may keep statics; the core may not).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtcgate/cert.h"
#include "rtcgate/dtls.h"
#include "rtcgate/error.h"

static struct rg_dtls_ctx *ctx;
static struct rg_fingerprint peer_fp;

static int init_once(void)
{
  struct rg_cert *cert = NULL, *peer = NULL;
  if (ctx)
    return 0;
  if (rg_cert_generate(&cert, RG_CERT_ECDSA_P256, "fuzz", 4, 1767225600u, 0) ||
      rg_cert_generate(&peer, RG_CERT_ECDSA_P256, "peer", 4, 1767225600u, 0) ||
      rg_cert_fingerprint(peer, RG_HASH_SHA256, &peer_fp) || rg_dtls_ctx_new(&ctx, cert))
    return -1;
  rg_cert_free(cert); /* the context keeps its own references */
  rg_cert_free(peer);
  return 0;
}

static void drain(struct rg_dtls *d)
{
  uint8_t out[RG_DTLS_MTU_MAX];
  struct rg_dtls_event ev;
  while (rg_dtls_poll_datagram(d, out, sizeof out) > 0) {
  }
  while (rg_dtls_poll_event(d, &ev)) {
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct rg_dtls_config cfg;
  struct rg_dtls *d = NULL;
  struct rg_dtls_srtp_keys keys;
  uint64_t now = 0;
  size_t off = 0;
  if (init_once() != 0)
    return 0;
  rg_dtls_config_init(&cfg, RG_DTLS_SERVER);
  rg_dtls_config_add_fingerprint(&cfg, &peer_fp);
  if (rg_dtls_new(&d, ctx, &cfg) != RG_OK)
    return 0;
  while (size - off >= 2) {
    size_t len = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (len == 0) {
      now += 1000000;
      rg_dtls_handle_timeout(d, now);
    } else {
      if (len > size - off)
        len = size - off;
      rg_dtls_handle_datagram(d, now, data + off, len);
      off += len;
    }
    drain(d);
  }
  (void)rg_dtls_export_srtp_keys(d, &keys);
  rg_dtls_close(d, now);
  drain(d);
  rg_dtls_free(d);
  return 0;
}
