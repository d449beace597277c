/* Fuzzes a broker-side transport (ICE-lite + DTLS server) with a sequence of
 * datagrams from up to four source addresses, at an advancing virtual time.
 *
 * Random bytes never carry a valid MESSAGE-INTEGRITY, so on its own the
 * fuzzer would never get an address validated and never reach DTLS or SRTP.
 * The input therefore is a small program of operations:
 *
 *   byte 0: flags   bit 0: the in-fuzzer DTLS client presents a certificate
 *                          whose fingerprint is not in the broker's config
 *                   bits 1-2: the client's only SRTP profile (0: all four)
 *   then records:   3-byte header  op (2 bits) | source (2) | time step (4),
 *                                  chunk length (16 bits, big endian)
 *                   and the chunk.
 *   op 0 RAW     the chunk as a datagram, verbatim;
 *   op 1 STUN    a valid signed Binding request built from the chunk
 *                (transaction id, priority, USE-CANDIDATE bit, and an
 *                optional single-byte corruption after signing);
 *   op 2 CLIENT  the in-fuzzer DTLS client's pending datagrams, optionally
 *                after its retransmission timer and with one byte flipped;
 *   op 3 MEDIA   the chunk as RTP/RTCP protected with the client's SRTP keys
 *                (once its handshake is done; raw before), or handed to
 *                rg_transport_protect_* for the outbound path.
 * Whatever the transport sends that looks like DTLS is delivered to the
 * client, so a handful of records drives a real handshake to READY.
 *
 * Invariants checked (abort on violation):
 *  - no datagram ever goes to an address that did not write to the transport;
 *  - nothing is emitted, and no media is accepted or protected, after a
 *    FINGERPRINT_MISMATCH event, and that event comes at most once;
 *  - no media is reported (return 1) or protected before DTLS_CONNECTED,
 *    and DTLS_CONNECTED comes only after FINGERPRINT_VERIFIED;
 *  - the output queue always drains. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcgate/cert.h"
#include "rtcgate/dtls.h"
#include "rtcgate/srtp.h"
#include "rtcgate/stun.h"
#include "rtcgate/transport.h"

#define N_SOURCES 4
#define HEADER_LEN 3
#define CHUNK_MAX 2048
#define POLL_BOUND 4096 /* far above any honest output burst: more is a runaway queue */
#define FUZZ_SSRC 0x11111111u

static const char lu[] = "brkr", lp[] = "brokerpassword0123456789";
static const char ru[] = "clnt", rp[] = "clientpassword0123456789";

/* Process-wide, created once: the certificates cost a key generation each. */
static struct rg_dtls_ctx *ctx;       /* the broker's, and the honest client's */
static struct rg_dtls_ctx *rogue_ctx; /* a client whose fingerprint the broker does not expect */
static struct rg_fingerprint peer_fp;

static void setup_once(void)
{
  struct rg_cert *cert, *rogue;
  if (ctx)
    return;
  if (rg_cert_generate(&cert, RG_CERT_ECDSA_P256, "fuzz", 4, 1764000000ull, 0) != 0 ||
      rg_cert_generate(&rogue, RG_CERT_ECDSA_P256, "rogue", 5, 1764000000ull, 0) != 0)
    abort();
  if (rg_dtls_ctx_new(&ctx, cert) != 0 || rg_dtls_ctx_new(&rogue_ctx, rogue) != 0 ||
      rg_cert_fingerprint(cert, RG_HASH_SHA256, &peer_fp) != 0)
    abort();
  rg_cert_free(cert);
  rg_cert_free(rogue);
}

struct run {
  struct rg_transport *t;
  struct rg_addr from[N_SOURCES];
  bool wrote[N_SOURCES];
  bool verified_seen, connected_seen;
  int mismatches;
  struct rg_dtls *client;
  struct rg_srtp *ctx_tx, *ctx_rx; /* the client's SRTP, once it is connected */
  uint64_t now;
};

static bool wrote_from(const struct run *r, const struct rg_addr *a)
{
  for (int i = 0; i < N_SOURCES; i++)
    if (r->wrote[i] && rg_addr_equal(a, &r->from[i]))
      return true;
  return false;
}

static void client_events(struct run *r)
{
  struct rg_dtls_event ev;
  while (rg_dtls_poll_event(r->client, &ev) == 1) {
    struct rg_dtls_srtp_keys k;
    struct rg_srtp_config c;
    if (ev.type != RG_DTLS_EV_CONNECTED || r->ctx_tx || rg_dtls_export_srtp_keys(r->client, &k) != 0)
      continue;
    memset(&c, 0, sizeof c);
    c.profile = k.profile;
    c.max_streams = 16;
    c.direction = RG_SRTP_PROTECT;
    c.master_key = k.local_key, c.master_key_len = k.key_len;
    c.master_salt = k.local_salt, c.master_salt_len = k.salt_len;
    if (rg_srtp_new(&c, &r->ctx_tx) != 0)
      abort();
    c.direction = RG_SRTP_UNPROTECT;
    c.master_key = k.remote_key, c.master_salt = k.remote_salt;
    if (rg_srtp_new(&c, &r->ctx_rx) != 0)
      abort();
  }
}

/* Drains the transport, checking every output; DTLS goes to the client and
 * SRTP is decrypted by it, as a network that loses nothing would do. */
static void drain(struct run *r)
{
  static uint8_t out_buf[1500];
  struct rg_transport_output o;
  int guard;
  if (rg_transport_next_timeout(r->t) <= r->now)
    rg_transport_handle_timeout(r->t, r->now);
  for (guard = 0; guard < POLL_BOUND; guard++) {
    if (rg_transport_poll(r->t, &o, out_buf, sizeof out_buf) != 0 || o.kind == RG_TRANSPORT_OUT_NONE)
      break;
    if (o.kind == RG_TRANSPORT_OUT_EVENT) {
      if (o.ev.type == RG_TRANSPORT_EV_FINGERPRINT_VERIFIED)
        r->verified_seen = true;
      if (o.ev.type == RG_TRANSPORT_EV_DTLS_CONNECTED) {
        if (!r->verified_seen)
          abort(); /* connected without a verified fingerprint */
        r->connected_seen = true;
      }
      if (o.ev.type == RG_TRANSPORT_EV_FINGERPRINT_MISMATCH && ++r->mismatches > 1)
        abort(); /* reported once */
      continue;
    }
    if (o.kind != RG_TRANSPORT_OUT_TRANSMIT)
      continue;
    if (r->mismatches)
      abort(); /* inert after a mismatch: nothing leaves */
    if (!wrote_from(r, &o.dest))
      abort(); /* only ever answers someone who wrote to it */
    if (o.len > sizeof out_buf)
      abort();
    if (o.len > 0 && out_buf[0] >= 20 && out_buf[0] <= 63) {
      rg_dtls_handle_datagram(r->client, r->now, out_buf, o.len);
      client_events(r);
    } else if (o.len > 0 && out_buf[0] >= 128 && out_buf[0] <= 191 && r->ctx_rx) {
      bool rtcp = o.len > 1 && out_buf[1] >= 192 && out_buf[1] <= 223;
      if (rtcp)
        rg_srtp_unprotect_rtcp(r->ctx_rx, out_buf, o.len);
      else
        rg_srtp_unprotect_rtp(r->ctx_rx, out_buf, o.len);
    }
  }
  if (guard == POLL_BOUND)
    abort();
}

static void deliver(struct run *r, int src, uint8_t *buf, size_t len)
{
  struct rg_transport_media m;
  int n;
  r->wrote[src] = true;
  n = rg_transport_handle_datagram(r->t, r->now, &r->from[src], buf, len, &m);
  if (n == 1) {
    if (!r->connected_seen || r->mismatches)
      abort(); /* media before DTLS_CONNECTED, or after a mismatch */
    if (m.data < buf || m.len > len || m.data + m.len > buf + len)
      abort();
  }
  drain(r);
}

/* Chunk: tid[12], flags, priority[4], corrupt position[2], corrupt xor. */
static void op_stun(struct run *r, int src, const uint8_t *c, size_t clen)
{
  static const char user[] = "brkr:clnt";
  uint8_t raw[20] = {0}, msg[256];
  struct rg_stun_writer w;
  size_t len;
  memcpy(raw, c, clen < sizeof raw ? clen : sizeof raw);
  rg_stun_writer_init(&w, msg, sizeof msg, RG_STUN_METHOD_BINDING, RG_STUN_REQUEST, raw);
  rg_stun_write_attr(&w, RG_STUN_ATTR_USERNAME, user, sizeof user - 1);
  rg_stun_write_u32(&w, RG_STUN_ATTR_PRIORITY,
                    (uint32_t)raw[13] << 24 | (uint32_t)raw[14] << 16 | (uint32_t)raw[15] << 8 | raw[16]);
  if (raw[12] & 2)
    rg_stun_write_u64(&w, RG_STUN_ATTR_ICE_CONTROLLED, 0x0102030405060708ull); /* a role conflict */
  else
    rg_stun_write_u64(&w, RG_STUN_ATTR_ICE_CONTROLLING, 0x0807060504030201ull);
  if (raw[12] & 1)
    rg_stun_write_attr(&w, RG_STUN_ATTR_USE_CANDIDATE, NULL, 0);
  rg_stun_write_integrity(&w, (const uint8_t *)lp, strlen(lp));
  if (!(raw[12] & 4))
    rg_stun_write_fingerprint(&w);
  if (rg_stun_writer_finish(&w, &len) != 0)
    abort(); /* the writer must manage a plain check */
  if (raw[12] & 8)
    msg[((size_t)raw[17] << 8 | raw[18]) % len] ^= raw[19] | 1;
  deliver(r, src, msg, len);
}

/* Chunk: flags (bit 0: run the client's timer first; bit 1: flip a byte),
 * position, xor. */
static void op_client(struct run *r, int src, const uint8_t *c, size_t clen)
{
  uint8_t buf[RG_DTLS_MTU_MAX];
  uint8_t f = clen > 0 ? c[0] : 0;
  int n, count = 0;
  if ((f & 1) && rg_dtls_next_timeout(r->client) <= r->now)
    rg_dtls_handle_timeout(r->client, r->now);
  while (count++ < 16 && (n = rg_dtls_poll_datagram(r->client, buf, sizeof buf)) > 0) {
    if ((f & 2) && clen >= 3)
      buf[c[1] % (size_t)n] ^= c[2] | 1;
    deliver(r, src, buf, (size_t)n);
  }
  client_events(r);
}

/* Chunk: flags (bit 0: RTCP; bit 1: force the allowed SSRC; bit 2: outbound
 * through rg_transport_protect_*), then the plaintext packet. */
static void op_media(struct run *r, int src, const uint8_t *c, size_t clen)
{
  static uint8_t buf[CHUNK_MAX + 64];
  uint8_t f;
  size_t len;
  int n;
  if (clen == 0)
    return;
  f = c[0];
  len = clen - 1;
  memcpy(buf, c + 1, len);
  if ((f & 2) && len >= 12) {
    size_t at = (f & 1) ? 4 : 8;
    buf[at] = buf[at + 1] = buf[at + 2] = buf[at + 3] = 0x11;
  }
  if (f & 4) {
    struct rg_addr dest;
    n = (f & 1) ? rg_transport_protect_rtcp(r->t, buf, len, sizeof buf, &dest)
                : rg_transport_protect_rtp(r->t, buf, len, sizeof buf, &dest);
    if (n >= 0 && (!r->connected_seen || r->mismatches || !wrote_from(r, &dest)))
      abort(); /* protected media before READY, or for a stranger */
    return;
  }
  if (r->ctx_tx) {
    n = (f & 1) ? rg_srtp_protect_rtcp(r->ctx_tx, buf, len, sizeof buf)
                : rg_srtp_protect_rtp(r->ctx_tx, buf, len, sizeof buf);
    if (n < 0)
      return;
    len = (size_t)n;
  }
  deliver(r, src, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const struct rg_ssrc_entry allow[1] = {{.ssrc = FUZZ_SSRC, .kind = RG_MEDIA_AUDIO}};
  static const int profiles[4] = {RG_SRTP_NONE, RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AES128_CM_SHA1_32,
                                  RG_SRTP_AEAD_AES_128_GCM};
  static uint8_t raw[CHUNK_MAX];
  struct rg_transport_config c;
  struct rg_dtls_config cc;
  struct run r;
  uint8_t flags;

  setup_once();
  if (size < 1)
    return 0;
  flags = data[0];
  data++, size--;
  memset(&r, 0, sizeof r);
  r.now = 1000000;

  memset(&c, 0, sizeof c);
  c.ice_mode = RG_TRANSPORT_ICE_LITE;
  c.creds = (struct rg_ice_credentials){lu, 4, lp, strlen(lp), ru, 4, rp, strlen(rp)};
  rg_dtls_config_init(&c.dtls, RG_DTLS_SERVER);
  rg_dtls_config_add_fingerprint(&c.dtls, &peer_fp);
  c.dtls_ctx = ctx;
  c.remote_ssrcs = allow;
  c.n_remote_ssrcs = 1;
  if (rg_transport_new(&r.t, &c, r.now) != 0)
    abort();

  rg_dtls_config_init(&cc, RG_DTLS_CLIENT);
  rg_dtls_config_add_fingerprint(&cc, &peer_fp);
  if (profiles[(flags >> 1) & 3] != RG_SRTP_NONE) {
    cc.srtp_profiles[0] = profiles[(flags >> 1) & 3];
    cc.n_srtp_profiles = 1;
  }
  if (rg_dtls_new(&r.client, (flags & 1) ? rogue_ctx : ctx, &cc) != 0 || rg_dtls_start(r.client, r.now) != 0)
    abort();

  for (int i = 0; i < N_SOURCES; i++) {
    r.from[i].family = RG_AF_INET4;
    r.from[i].ip[0] = 127;
    r.from[i].ip[3] = (uint8_t)(1 + (i & 1)); /* 127.0.0.1 and .2, two ports each */
    r.from[i].port = (uint16_t)(40000 + i / 2);
  }
  r.from[3].family = RG_AF_INET6; /* ::1 */
  memset(r.from[3].ip, 0, sizeof r.from[3].ip);
  r.from[3].ip[15] = 1;

  while (size >= HEADER_LEN) {
    int op = data[0] >> 6, src = (data[0] >> 4) & 3;
    size_t len = ((size_t)data[1] << 8 | data[2]) % (CHUNK_MAX + 1);
    r.now += (uint64_t)(data[0] & 15) * 250000u;
    data += HEADER_LEN, size -= HEADER_LEN;
    if (len > size)
      len = size;
    switch (op) {
    case 0:
      memcpy(raw, data, len);
      deliver(&r, src, raw, len);
      break;
    case 1:
      op_stun(&r, src, data, len);
      break;
    case 2:
      op_client(&r, src, data, len);
      break;
    default:
      op_media(&r, src, data, len);
      break;
    }
    data += len, size -= len;
  }
  rg_transport_free(r.t);
  rg_dtls_free(r.client);
  rg_srtp_free(r.ctx_tx);
  rg_srtp_free(r.ctx_rx);
  return 0;
}
