/* Fuzzes a broker-side transport (ICE-lite + DTLS server) with a sequence of
 * datagrams: the input is split into datagrams by a length byte, each from
 * one of two source addresses and at an advancing virtual time. Whatever
 * arrives, the transport must not crash, leak or emit to a stranger. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/cert.h"
#include "rtcgate/dtls.h"
#include "rtcgate/transport.h"

static struct rg_dtls_ctx *ctx;
static struct rg_fingerprint peer_fp;

static void setup_once(void)
{
  struct rg_cert *cert;
  if (ctx)
    return;
  if (rg_cert_generate(&cert, RG_CERT_ECDSA_P256, "fuzz", 4, 1764000000ull, 0) != 0)
    abort();
  if (rg_dtls_ctx_new(&ctx, cert) != 0 || rg_cert_fingerprint(cert, RG_HASH_SHA256, &peer_fp) != 0)
    abort();
  rg_cert_free(cert);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char lu[] = "brkr", lp[] = "brokerpassword0123456789";
  static const char ru[] = "clnt", rp[] = "clientpassword0123456789";
  static const struct rg_ssrc_entry allow[1] = {{.ssrc = 0x11111111u, .kind = RG_MEDIA_AUDIO}};
  struct rg_transport_config c;
  struct rg_transport *t;
  struct rg_addr from[2];
  uint64_t now = 1000000;
  uint8_t buf[2048], out_buf[1500];

  setup_once();
  memset(&c, 0, sizeof c);
  c.ice_mode = RG_TRANSPORT_ICE_LITE;
  c.creds = (struct rg_ice_credentials){lu, 4, lp, strlen(lp), ru, 4, rp, strlen(rp)};
  rg_dtls_config_init(&c.dtls, RG_DTLS_SERVER);
  rg_dtls_config_add_fingerprint(&c.dtls, &peer_fp);
  c.dtls_ctx = ctx;
  c.remote_ssrcs = allow;
  c.n_remote_ssrcs = 1;
  if (rg_transport_new(&t, &c, now) != 0)
    abort();
  memset(from, 0, sizeof from);
  from[0].family = from[1].family = RG_AF_INET4;
  from[0].ip[0] = from[1].ip[0] = 127;
  from[0].ip[3] = 1, from[1].ip[3] = 2;
  from[0].port = 40000, from[1].port = 40001;

  while (size >= 2) {
    size_t len = ((size_t)data[0] << 3 | (data[1] & 7)) % (sizeof buf + 1);
    int src = (data[1] >> 3) & 1;
    now += (uint64_t)(data[1] >> 4) * 250000u;
    data += 2, size -= 2;
    if (len > size)
      len = size;
    memcpy(buf, data, len);
    struct rg_transport_media m;
    rg_transport_handle_datagram(t, now, &from[src], buf, len, &m);
    data += len, size -= len;
    if (rg_transport_next_timeout(t) <= now)
      rg_transport_handle_timeout(t, now);
    struct rg_transport_output o;
    for (int guard = 0; guard < 64; guard++) {
      if (rg_transport_poll(t, &o, out_buf, sizeof out_buf) != 0 || o.kind == RG_TRANSPORT_OUT_NONE)
        break;
      if (o.kind == RG_TRANSPORT_OUT_TRANSMIT && !rg_addr_equal(&o.dest, &from[0]) &&
          !rg_addr_equal(&o.dest, &from[1]))
        abort(); /* only ever answers someone who wrote to it */
    }
  }
  rg_transport_free(t);
  return 0;
}
