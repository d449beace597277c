/* Pins the server side's handling of large ClientHellos: handshake
 * fragmentation across datagrams (RFC 6347 §4.2.3) and a DTLS 1.3-style
 * ClientHello (RFC 9147) of the shape Chromium sends, answered with 1.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/ssl.h>

#include "dtls_internal.h"
#include "test_dtls_util.h"

#define BIG_EXT_TYPE 65000 /* private-use extension number */
#define BIG_EXT_LEN 1000

static struct rg_cert *cli_cert, *srv_cert;
static struct rg_dtls_ctx *cli_ctx, *srv_ctx;
static uint8_t big_ext[BIG_EXT_LEN];

static int add_big(SSL *s, unsigned int ext_type, const unsigned char **out, size_t *outlen,
                   int *al, void *arg)
{
  *out = big_ext;
  *outlen = sizeof big_ext;
  return 1;
}

static int group_setup(void **state)
{
  if (rg_cert_generate(&cli_cert, RG_CERT_ECDSA_P256, "c", 1, T_NOW_UNIX, 0) ||
      rg_cert_generate(&srv_cert, RG_CERT_ECDSA_P256, "s", 1, T_NOW_UNIX, 0) ||
      rg_dtls_ctx_new(&cli_ctx, cli_cert) || rg_dtls_ctx_new(&srv_ctx, srv_cert))
    return -1;
  memset(big_ext, 0xab, sizeof big_ext);
  /* The client's context (only this test's) grows its ClientHello by 1 KB. */
  if (SSL_CTX_add_client_custom_ext(cli_ctx->ssl_ctx, BIG_EXT_TYPE, add_big, NULL, NULL, NULL,
                                    NULL) != 1)
    return -1;
  return 0;
}

static int group_teardown(void **state)
{
  rg_dtls_ctx_free(cli_ctx);
  rg_dtls_ctx_free(srv_ctx);
  rg_cert_free(cli_cert);
  rg_cert_free(srv_cert);
  return 0;
}

static struct rg_dtls *make(struct rg_dtls_ctx *ctx, int role, const struct rg_cert *peer, size_t mtu)
{
  struct rg_dtls_config cfg;
  struct rg_fingerprint fp;
  struct rg_dtls *d = NULL;
  rg_dtls_config_init(&cfg, role);
  cfg.mtu = mtu;
  assert_int_equal(rg_cert_fingerprint(peer, RG_HASH_SHA256, &fp), RG_OK);
  assert_int_equal(rg_dtls_config_add_fingerprint(&cfg, &fp), RG_OK);
  assert_int_equal(rg_dtls_new(&d, ctx, &cfg), RG_OK);
  return d;
}

static void fragmented_client_hello_is_reassembled(bool reverse)
{
  struct rg_dtls *c = make(cli_ctx, RG_DTLS_CLIENT, srv_cert, 300);
  struct rg_dtls *s = make(srv_ctx, RG_DTLS_SERVER, cli_cert, RG_DTLS_MTU_DEFAULT);
  uint8_t frags[16][RG_DTLS_MTU_MAX];
  size_t lens[16];
  int n, count = 0;
  size_t total = 0;
  struct t_pump p = {0};

  rg_dtls_start(c, 0);
  while ((n = rg_dtls_poll_datagram(c, frags[count], sizeof frags[0])) > 0) {
    lens[count] = (size_t)n;
    assert_true(n <= 300);
    assert_int_equal(frags[count][0], 22);      /* handshake record */
    assert_int_equal(frags[count][13], 1);      /* ClientHello fragment */
    total += (size_t)(frags[count][22] << 16 | frags[count][23] << 8 | frags[count][24]);
    count++;
    assert_true(count < 16);
  }
  assert_true(count >= 5); /* > 1 KB over 300-byte datagrams */
  /* fragment lengths add up to the message length of the header */
  assert_int_equal(total, (size_t)(frags[0][14] << 16 | frags[0][15] << 8 | frags[0][16]));
  assert_true(total > BIG_EXT_LEN);
  for (int i = 0; i < count; i++) {
    int k = reverse ? count - 1 - i : i;
    assert_int_equal(rg_dtls_handle_datagram(s, 0, frags[k], lens[k]), RG_OK);
    if (i < count - 1) /* nothing until the last piece is in */
      assert_int_equal(rg_dtls_poll_datagram(s, frags[15], sizeof frags[15]), 0);
  }
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(p.now, 0); /* no retransmission was needed */
  assert_true(p.max_len[0] <= 300);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void client_hello_over_five_datagrams_is_reassembled(void **state)
{
  fragmented_client_hello_is_reassembled(false);
}

static void client_hello_fragments_in_reverse_order_are_reassembled(void **state)
{
  fragmented_client_hello_is_reassembled(true);
}

/* --- a hand-built DTLS 1.3 ClientHello, Chromium's shape ----------------- */

struct wbuf {
  uint8_t b[2048];
  size_t n;
};

static void put8(struct wbuf *w, unsigned v) { w->b[w->n++] = (uint8_t)v; }
static void put16(struct wbuf *w, unsigned v) { put8(w, v >> 8); put8(w, v & 0xff); }
static void put24(struct wbuf *w, size_t v) { put8(w, (unsigned)(v >> 16)); put16(w, (unsigned)(v & 0xffff)); }
static void putn(struct wbuf *w, uint8_t v, size_t n) { memset(w->b + w->n, v, n); w->n += n; }

#define BODY_LEN 1497 /* 1242 + 305 bytes of datagrams, minus 2 x 25 header bytes */
#define MLKEM_SHARE_LEN 1216 /* X25519MLKEM768: 1184-byte ML-KEM key + 32-byte X25519 */

static size_t build_dtls13_client_hello(uint8_t *body)
{
  struct wbuf w = {{0}, 0};
  static const unsigned suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0xcca8,
                                    0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  size_t ext_len_at, pad;
  put16(&w, 0xfefd); /* legacy_version: DTLS 1.2 */
  for (int i = 0; i < 32; i++)
    put8(&w, (unsigned)(i * 7 + 3)); /* random */
  put8(&w, 0);                       /* legacy_session_id */
  put8(&w, 0);                       /* legacy_cookie */
  put16(&w, sizeof suites / sizeof suites[0] * 2);
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
    put16(&w, suites[i]);
  put8(&w, 1);
  put8(&w, 0); /* null compression */
  ext_len_at = w.n;
  put16(&w, 0);
  put16(&w, 10); put16(&w, 10); put16(&w, 8); /* supported_groups */
  put16(&w, 0x11ec); put16(&w, 0x001d); put16(&w, 0x0017); put16(&w, 0x0018);
  put16(&w, 11); put16(&w, 2); put8(&w, 1); put8(&w, 0); /* ec_point_formats */
  put16(&w, 13); put16(&w, 18); put16(&w, 16);            /* signature_algorithms */
  put16(&w, 0x0403); put16(&w, 0x0804); put16(&w, 0x0401); put16(&w, 0x0503);
  put16(&w, 0x0805); put16(&w, 0x0501); put16(&w, 0x0806); put16(&w, 0x0601);
  put16(&w, 14); put16(&w, 11); put16(&w, 8); /* use_srtp, Chromium's order */
  put16(&w, 0x0001); put16(&w, 0x0002); put16(&w, 0x0007); put16(&w, 0x0008); put8(&w, 0);
  put16(&w, 23); put16(&w, 0);                    /* extended_master_secret */
  put16(&w, 0xff01); put16(&w, 1); put8(&w, 0);   /* renegotiation_info */
  put16(&w, 43); put16(&w, 5); put8(&w, 4);       /* supported_versions */
  put16(&w, 0xfefc); put16(&w, 0xfefd);           /* DTLS 1.3, DTLS 1.2 */
  put16(&w, 51); put16(&w, 2 + 4 + MLKEM_SHARE_LEN + 4 + 32); /* key_share */
  put16(&w, 4 + MLKEM_SHARE_LEN + 4 + 32);
  put16(&w, 0x11ec); put16(&w, MLKEM_SHARE_LEN); putn(&w, 0x5a, MLKEM_SHARE_LEN);
  put16(&w, 0x001d); put16(&w, 32); putn(&w, 0x09, 32);
  pad = BODY_LEN - w.n - 4; /* padding extension (RFC 7685) to Chromium's size */
  put16(&w, 21); put16(&w, (unsigned)pad); putn(&w, 0, pad);
  w.b[ext_len_at] = (uint8_t)((w.n - ext_len_at - 2) >> 8);
  w.b[ext_len_at + 1] = (uint8_t)((w.n - ext_len_at - 2) & 0xff);
  memcpy(body, w.b, w.n);
  return w.n;
}

/* One record holding one handshake fragment of the ClientHello. */
static size_t frag_datagram(uint8_t *out, uint64_t seq, const uint8_t *body, size_t total,
                            size_t off, size_t len)
{
  struct wbuf w = {{0}, 0};
  put8(&w, 22); put16(&w, 0xfefd); put16(&w, 0);
  put16(&w, 0); put16(&w, 0); put16(&w, (unsigned)seq); /* 48-bit sequence number */
  put16(&w, (unsigned)(12 + len));
  put8(&w, 1); put24(&w, total); put16(&w, 0); put24(&w, off); put24(&w, len);
  memcpy(w.b + w.n, body + off, len);
  w.n += len;
  memcpy(out, w.b, w.n);
  return w.n;
}

static void dtls13_client_hello_in_two_datagrams_gets_dtls12_server_hello(bool reverse)
{
  struct rg_dtls *s = make(srv_ctx, RG_DTLS_SERVER, cli_cert, RG_DTLS_MTU_DEFAULT);
  uint8_t body[BODY_LEN], d1[1300], d2[400], out[RG_DTLS_MTU_MAX];
  size_t blen = build_dtls13_client_hello(body), l1, l2, off;
  int n;
  assert_int_equal(blen, BODY_LEN);
  l1 = frag_datagram(d1, 0, body, blen, 0, 1217);
  l2 = frag_datagram(d2, 1, body, blen, 1217, blen - 1217);
  assert_int_equal(l1, 1242); /* the sizes seen from Chromium 156 */
  assert_int_equal(l2, 305);
  assert_int_equal(rg_dtls_handle_datagram(s, 0, reverse ? d2 : d1, reverse ? l2 : l1), RG_OK);
  assert_int_equal(rg_dtls_poll_datagram(s, out, sizeof out), 0);
  assert_int_equal(rg_dtls_handle_datagram(s, 0, reverse ? d1 : d2, reverse ? l1 : l2), RG_OK);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_HANDSHAKING);
  n = rg_dtls_poll_datagram(s, out, sizeof out);
  assert_true(n > 13 + 12 + 38);
  assert_int_equal(out[0], 22);
  assert_int_equal(out[1] << 8 | out[2], 0xfefd); /* record version */
  assert_int_equal(out[13], 2);                   /* ServerHello */
  off = 25;
  assert_int_equal(out[off] << 8 | out[off + 1], 0xfefd); /* server_version: DTLS 1.2 */
  off += 2 + 32;
  off += 1 + out[off]; /* session_id */
  assert_int_equal(out[off] << 8 | out[off + 1], 0xc02b); /* ECDHE-ECDSA-AES128-GCM-SHA256 */
  off += 3;
  /* extensions: use_srtp picks our first choice, no supported_versions */
  size_t end = off + 2 + (size_t)(out[off] << 8 | out[off + 1]);
  bool srtp = false;
  assert_true(end <= (size_t)n);
  for (off += 2; off + 4 <= end;) {
    unsigned type = (unsigned)(out[off] << 8 | out[off + 1]);
    size_t len = (size_t)(out[off + 2] << 8 | out[off + 3]);
    assert_int_not_equal(type, 43);
    if (type == 14) {
      assert_int_equal(out[off + 6] << 8 | out[off + 7], RG_SRTP_AEAD_AES_256_GCM);
      srtp = true;
    }
    off += 4 + len;
  }
  assert_true(srtp);
  rg_dtls_free(s);
}

static void dtls13_client_hello_gets_dtls12_server_hello(void **state)
{
  dtls13_client_hello_in_two_datagrams_gets_dtls12_server_hello(false);
}

static void dtls13_client_hello_reordered_gets_dtls12_server_hello(void **state)
{
  dtls13_client_hello_in_two_datagrams_gets_dtls12_server_hello(true);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(client_hello_over_five_datagrams_is_reassembled),
    cmocka_unit_test(client_hello_fragments_in_reverse_order_are_reassembled),
    cmocka_unit_test(dtls13_client_hello_gets_dtls12_server_hello),
    cmocka_unit_test(dtls13_client_hello_reordered_gets_dtls12_server_hello),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
