/* Pins the DTLS core: two endpoints handshake in memory on a virtual clock
 * (RFC 6347, 5763, 5764, 8122; DESIGN.md security contract items 2-4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_dtls_util.h"

static struct rg_cert *ec_a, *ec_b, *rsa_a, *rsa_b, *ec_other;
static struct rg_dtls_ctx *ctx_ec_a, *ctx_ec_b, *ctx_rsa_a, *ctx_rsa_b;

static int group_setup(void **state)
{
  (void)state;
  if (rg_cert_generate(&ec_a, RG_CERT_ECDSA_P256, "a", 1, T_NOW_UNIX, 0) ||
      rg_cert_generate(&ec_b, RG_CERT_ECDSA_P256, "b", 1, T_NOW_UNIX, 0) ||
      rg_cert_generate(&ec_other, RG_CERT_ECDSA_P256, "mallory", 7, T_NOW_UNIX, 0) ||
      rg_cert_generate(&rsa_a, RG_CERT_RSA_2048, "ra", 2, T_NOW_UNIX, 0) ||
      rg_cert_generate(&rsa_b, RG_CERT_RSA_2048, "rb", 2, T_NOW_UNIX, 0))
    return -1;
  if (rg_dtls_ctx_new(&ctx_ec_a, ec_a) || rg_dtls_ctx_new(&ctx_ec_b, ec_b) ||
      rg_dtls_ctx_new(&ctx_rsa_a, rsa_a) || rg_dtls_ctx_new(&ctx_rsa_b, rsa_b))
    return -1;
  /* The contexts hold their own references: the certificates' owners may go. */
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  rg_dtls_ctx_free(ctx_ec_a);
  rg_dtls_ctx_free(ctx_ec_b);
  rg_dtls_ctx_free(ctx_rsa_a);
  rg_dtls_ctx_free(ctx_rsa_b);
  rg_cert_free(ec_a);
  rg_cert_free(ec_b);
  rg_cert_free(ec_other);
  rg_cert_free(rsa_a);
  rg_cert_free(rsa_b);
  return 0;
}

static void fp_of(const struct rg_cert *c, int hash, struct rg_fingerprint *fp)
{
  assert_int_equal(rg_cert_fingerprint(c, hash, fp), RG_OK);
}

/* An endpoint of the given role that expects the peer's certificate. */
static struct rg_dtls *make(struct rg_dtls_ctx *ctx, int role, const struct rg_cert *peer, int hash)
{
  struct rg_dtls_config cfg;
  struct rg_fingerprint fp;
  struct rg_dtls *d = NULL;
  rg_dtls_config_init(&cfg, role);
  fp_of(peer, hash, &fp);
  assert_int_equal(rg_dtls_config_add_fingerprint(&cfg, &fp), RG_OK);
  assert_int_equal(rg_dtls_new(&d, ctx, &cfg), RG_OK);
  return d;
}

static struct rg_dtls *make_cfg(struct rg_dtls_ctx *ctx, const struct rg_dtls_config *cfg)
{
  struct rg_dtls *d = NULL;
  assert_int_equal(rg_dtls_new(&d, ctx, cfg), RG_OK);
  return d;
}

static void assert_keys_crosswise(struct rg_dtls *c, struct rg_dtls *s, int profile)
{
  struct rg_dtls_srtp_keys kc, ks;
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
  assert_non_null(info);
  assert_int_equal(rg_dtls_export_srtp_keys(c, &kc), RG_OK);
  assert_int_equal(rg_dtls_export_srtp_keys(s, &ks), RG_OK);
  assert_int_equal(kc.profile, profile);
  assert_int_equal(ks.profile, profile);
  assert_int_equal(kc.key_len, info->key_len);
  assert_int_equal(kc.salt_len, info->salt_len);
  assert_memory_equal(kc.local_key, ks.remote_key, info->key_len);
  assert_memory_equal(kc.remote_key, ks.local_key, info->key_len);
  assert_memory_equal(kc.local_salt, ks.remote_salt, info->salt_len);
  assert_memory_equal(kc.remote_salt, ks.local_salt, info->salt_len);
  assert_memory_not_equal(kc.local_key, kc.remote_key, info->key_len);
}

static void handshake_and_check(struct rg_dtls_ctx *cctx, const struct rg_cert *ccert,
                                struct rg_dtls_ctx *sctx, const struct rg_cert *scert,
                                const char *cipher)
{
  struct rg_dtls *c = make(cctx, RG_DTLS_CLIENT, scert, RG_HASH_SHA256);
  struct rg_dtls *s = make(sctx, RG_DTLS_SERVER, ccert, RG_HASH_SHA256);
  struct t_pump p = {0};
  struct t_events ec = {0}, es = {0};
  const struct rg_dtls_event *conn;

  assert_int_equal(rg_dtls_start(s, 0), RG_OK);
  assert_int_equal(rg_dtls_next_timeout(s), RG_DTLS_NO_TIMEOUT); /* server waits */
  assert_int_equal(rg_dtls_start(c, 0), RG_OK);
  assert_int_equal(rg_dtls_next_timeout(c), RG_DTLS_RTX_INITIAL_US);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(p.now, 0); /* no loss: no timer ever fired */
  t_collect(c, &ec);
  t_collect(s, &es);
  assert_non_null(t_find(&ec, RG_DTLS_EV_FINGERPRINT_VERIFIED));
  assert_non_null(t_find(&es, RG_DTLS_EV_FINGERPRINT_VERIFIED));
  conn = t_find(&ec, RG_DTLS_EV_CONNECTED);
  assert_non_null(conn);
  assert_string_equal(conn->version, "DTLS 1.2");
  assert_string_equal(conn->cipher, cipher);
  assert_int_equal(conn->srtp_profile, RG_SRTP_AEAD_AES_256_GCM); /* our default order */
  conn = t_find(&es, RG_DTLS_EV_CONNECTED);
  assert_non_null(conn);
  assert_string_equal(conn->version, "DTLS 1.2");
  assert_int_equal(rg_dtls_next_timeout(c), RG_DTLS_NO_TIMEOUT);
  assert_keys_crosswise(c, s, RG_SRTP_AEAD_AES_256_GCM);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void handshake_ecdsa_connects_dtls12_both_ways(void **state)
{
  handshake_and_check(ctx_ec_a, ec_a, ctx_ec_b, ec_b, "ECDHE-ECDSA-AES128-GCM-SHA256");
  handshake_and_check(ctx_ec_b, ec_b, ctx_ec_a, ec_a, "ECDHE-ECDSA-AES128-GCM-SHA256");
}

static void handshake_rsa_connects_dtls12_both_ways(void **state)
{
  handshake_and_check(ctx_rsa_a, rsa_a, ctx_rsa_b, rsa_b, "ECDHE-RSA-AES128-GCM-SHA256");
  handshake_and_check(ctx_rsa_b, rsa_b, ctx_rsa_a, rsa_a, "ECDHE-RSA-AES128-GCM-SHA256");
}

static void handshake_mixed_rsa_client_ecdsa_server_connects(void **state)
{
  handshake_and_check(ctx_rsa_a, rsa_a, ctx_ec_b, ec_b, "ECDHE-ECDSA-AES128-GCM-SHA256");
  handshake_and_check(ctx_ec_a, ec_a, ctx_rsa_b, rsa_b, "ECDHE-RSA-AES128-GCM-SHA256");
}

static const int all_profiles[] = {RG_SRTP_AEAD_AES_256_GCM, RG_SRTP_AEAD_AES_128_GCM,
                                   RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AES128_CM_SHA1_32};

static void connect_with_profiles(int one, bool restrict_server)
{
  struct rg_dtls_config cc, sc;
  struct rg_fingerprint fa, fb;
  struct rg_dtls *c, *s;
  struct t_pump p = {0};
  struct t_events ec = {0};
  rg_dtls_config_init(&cc, RG_DTLS_CLIENT);
  rg_dtls_config_init(&sc, RG_DTLS_SERVER);
  fp_of(ec_b, RG_HASH_SHA256, &fb);
  fp_of(ec_a, RG_HASH_SHA256, &fa);
  rg_dtls_config_add_fingerprint(&cc, &fb);
  rg_dtls_config_add_fingerprint(&sc, &fa);
  struct rg_dtls_config *r = restrict_server ? &sc : &cc;
  r->srtp_profiles[0] = one;
  r->n_srtp_profiles = 1;
  c = make_cfg(ctx_ec_a, &cc);
  s = make_cfg(ctx_ec_b, &sc);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  t_collect(c, &ec);
  assert_int_equal(t_find(&ec, RG_DTLS_EV_CONNECTED)->srtp_profile, one);
  assert_keys_crosswise(c, s, one);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void each_srtp_profile_negotiates_with_equal_keys_crosswise(void **state)
{
  for (size_t i = 0; i < 4; i++) {
    connect_with_profiles(all_profiles[i], true);
    connect_with_profiles(all_profiles[i], false);
  }
}

static void no_common_srtp_profile_fails_without_keys(void **state)
{
  struct rg_dtls_config cc, sc;
  struct rg_fingerprint fa, fb;
  struct rg_dtls_srtp_keys k;
  struct t_pump p = {0};
  struct t_events ec = {0};
  rg_dtls_config_init(&cc, RG_DTLS_CLIENT);
  rg_dtls_config_init(&sc, RG_DTLS_SERVER);
  fp_of(ec_b, RG_HASH_SHA256, &fb);
  fp_of(ec_a, RG_HASH_SHA256, &fa);
  rg_dtls_config_add_fingerprint(&cc, &fb);
  rg_dtls_config_add_fingerprint(&sc, &fa);
  cc.srtp_profiles[0] = RG_SRTP_AES128_CM_SHA1_80;
  cc.n_srtp_profiles = 1;
  sc.srtp_profiles[0] = RG_SRTP_AEAD_AES_256_GCM;
  sc.n_srtp_profiles = 1;
  struct rg_dtls *c = make_cfg(ctx_ec_a, &cc), *s = make_cfg(ctx_ec_b, &sc);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_FAILED);
  t_collect(c, &ec);
  assert_int_equal(t_find(&ec, RG_DTLS_EV_FAILED)->err, RG_ERR_UNSUPPORTED);
  assert_null(t_find(&ec, RG_DTLS_EV_CONNECTED));
  assert_int_equal(rg_dtls_export_srtp_keys(c, &k), RG_ERR_STATE);
  assert_int_equal(rg_dtls_export_srtp_keys(s, &k), RG_ERR_STATE);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

/* The wrong side holds the fingerprint of a third certificate. */
static void mismatch_stops_silently(bool client_detects)
{
  struct rg_dtls *c, *s, *detector, *other;
  struct rg_fingerprint expected_peer;
  struct rg_dtls_srtp_keys k;
  struct t_events e = {0};
  uint8_t buf[RG_DTLS_MTU_MAX];
  const struct rg_dtls_event *ev;

  c = make(ctx_ec_a, RG_DTLS_CLIENT, client_detects ? ec_other : ec_b, RG_HASH_SHA256);
  s = make(ctx_ec_b, RG_DTLS_SERVER, client_detects ? ec_a : ec_other, RG_HASH_SHA256);
  detector = client_detects ? c : s;
  other = client_detects ? s : c;
  fp_of(client_detects ? ec_b : ec_a, RG_HASH_SHA256, &expected_peer);
  rg_dtls_start(c, 0);
  /* Move datagrams only until the detector stops (no timers): what it
   * emits after that moment must be nothing at all. */
  for (int round = 0; round < 10 && rg_dtls_state(detector) == RG_DTLS_STATE_HANDSHAKING; round++) {
    int n;
    while ((n = rg_dtls_poll_datagram(c, buf, sizeof buf)) > 0)
      rg_dtls_handle_datagram(s, 0, buf, (size_t)n);
    while ((n = rg_dtls_poll_datagram(s, buf, sizeof buf)) > 0)
      rg_dtls_handle_datagram(c, 0, buf, (size_t)n);
  }
  assert_int_equal(rg_dtls_state(detector), RG_DTLS_STATE_MISMATCH);
  assert_int_equal(rg_dtls_poll_datagram(detector, buf, sizeof buf), 0); /* no alert */
  assert_int_equal(rg_dtls_next_timeout(detector), RG_DTLS_NO_TIMEOUT);
  t_collect(detector, &e);
  ev = t_find(&e, RG_DTLS_EV_FINGERPRINT_MISMATCH);
  assert_non_null(ev);
  assert_true(rg_fingerprint_equal(&ev->fingerprint, &expected_peer)); /* for the log */
  assert_null(t_find(&e, RG_DTLS_EV_FINGERPRINT_VERIFIED));
  assert_null(t_find(&e, RG_DTLS_EV_CONNECTED));
  assert_int_equal(rg_dtls_export_srtp_keys(detector, &k), RG_ERR_STATE);
  /* Inert: the peer's retransmissions are accepted and ignored. */
  for (int i = 0; i < 8; i++) {
    uint64_t t = rg_dtls_next_timeout(other);
    if (t == RG_DTLS_NO_TIMEOUT)
      break;
    rg_dtls_handle_timeout(other, t);
    int n;
    while ((n = rg_dtls_poll_datagram(other, buf, sizeof buf)) > 0)
      assert_int_equal(rg_dtls_handle_datagram(detector, t, buf, (size_t)n), RG_ERR_CLOSED);
    rg_dtls_handle_timeout(detector, t);
    assert_int_equal(rg_dtls_poll_datagram(detector, buf, sizeof buf), 0);
  }
  e.n = 0;
  t_collect(detector, &e);
  assert_int_equal(e.n, 0); /* one mismatch event, nothing after */
  /* The peer got no alert: it only ever times out. The loop above ran its
   * timer through all RG_DTLS_RTX_MAX_COUNT retransmissions and the expiry
   * after them, so the timeout failure must have happened by now. */
  e.n = 0;
  t_collect(other, &e);
  assert_null(t_find(&e, RG_DTLS_EV_CONNECTED));
  ev = t_find(&e, RG_DTLS_EV_FAILED);
  assert_non_null(ev);
  assert_int_equal(ev->err, RG_ERR_TIMEOUT);
  assert_int_equal(rg_dtls_state(other), RG_DTLS_STATE_FAILED);
  assert_int_equal(rg_dtls_next_timeout(other), RG_DTLS_NO_TIMEOUT);
  assert_int_equal(rg_dtls_export_srtp_keys(other, &k), RG_ERR_STATE);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void client_detects_server_fingerprint_mismatch_silently(void **state)
{
  mismatch_stops_silently(true);
}

static void server_detects_client_fingerprint_mismatch_silently(void **state)
{
  mismatch_stops_silently(false);
}

static void one_matching_fingerprint_among_several_connects(void **state)
{
  struct rg_dtls_config cc;
  struct rg_fingerprint wrong, right;
  struct t_pump p = {0};
  struct t_events e = {0};
  rg_dtls_config_init(&cc, RG_DTLS_CLIENT);
  fp_of(ec_other, RG_HASH_SHA256, &wrong);
  assert_int_equal(rg_dtls_config_add_fingerprint(&cc, &wrong), RG_OK);
  fp_of(ec_other, RG_HASH_SHA512, &wrong);
  assert_int_equal(rg_dtls_config_add_fingerprint(&cc, &wrong), RG_OK);
  fp_of(ec_b, RG_HASH_SHA384, &right);
  assert_int_equal(rg_dtls_config_add_fingerprint(&cc, &right), RG_OK);
  struct rg_dtls *c = make_cfg(ctx_ec_a, &cc);
  struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, RG_HASH_SHA256);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  t_collect(c, &e);
  assert_true(rg_fingerprint_equal(&t_find(&e, RG_DTLS_EV_FINGERPRINT_VERIFIED)->fingerprint, &right));
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void sha1_sha384_sha512_fingerprints_connect(void **state)
{
  const int hashes[] = {RG_HASH_SHA1, RG_HASH_SHA224, RG_HASH_SHA384, RG_HASH_SHA512};
  for (size_t i = 0; i < 4; i++) {
    struct t_pump p = {0};
    struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, hashes[i]);
    struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, hashes[i]);
    rg_dtls_start(c, 0);
    t_pump_run(&p, c, s);
    assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
    assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
    rg_dtls_free(c);
    rg_dtls_free(s);
  }
}

static void config_rejects_bad_values(void **state)
{
  struct rg_dtls_config cfg;
  struct rg_fingerprint fp;
  struct rg_dtls *d = NULL;
  rg_dtls_config_init(&cfg, RG_DTLS_CLIENT);
  assert_int_equal(rg_dtls_new(&d, ctx_ec_a, &cfg), RG_ERR_INVAL); /* no fingerprint */
  fp_of(ec_b, RG_HASH_SHA256, &fp);
  for (int i = 0; i < RG_DTLS_MAX_FINGERPRINTS; i++)
    assert_int_equal(rg_dtls_config_add_fingerprint(&cfg, &fp), RG_OK);
  assert_int_equal(rg_dtls_config_add_fingerprint(&cfg, &fp), RG_ERR_TOO_LARGE);
  cfg.mtu = RG_DTLS_MTU_MIN - 1;
  assert_int_equal(rg_dtls_new(&d, ctx_ec_a, &cfg), RG_ERR_INVAL);
  cfg.mtu = RG_DTLS_MTU_MAX + 1;
  assert_int_equal(rg_dtls_new(&d, ctx_ec_a, &cfg), RG_ERR_INVAL);
  cfg.mtu = RG_DTLS_MTU_DEFAULT;
  cfg.srtp_profiles[0] = 0x0003; /* not a supported profile */
  assert_int_equal(rg_dtls_new(&d, ctx_ec_a, &cfg), RG_ERR_UNSUPPORTED);
  cfg.srtp_profiles[0] = RG_SRTP_AEAD_AES_128_GCM;
  cfg.role = 0;
  assert_int_equal(rg_dtls_new(&d, ctx_ec_a, &cfg), RG_ERR_INVAL);
  assert_null(d);
}

/* xorshift32: a deterministic loss pattern per seed */
struct lossy {
  uint32_t x;
  unsigned percent;
};

static bool drop_random(void *arg, int from_a, unsigned n, uint64_t now)
{
  struct lossy *l = arg;
  l->x ^= l->x << 13;
  l->x ^= l->x >> 17;
  l->x ^= l->x << 5;
  return l->x % 100 < l->percent;
}

static void ten_percent_loss_still_connects_on_virtual_clock(void **state)
{
  unsigned total_rtx = 0, with_timer = 0;
  for (uint32_t seed = 1; seed <= 40; seed++) {
    struct lossy l = {seed * 2654435761u, 10};
    struct t_pump p = {0};
    struct rg_dtls_stats sc, ss;
    p.drop = drop_random;
    p.arg = &l;
    struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
    struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, RG_HASH_SHA256);
    rg_dtls_start(c, 0);
    t_pump_run(&p, c, s);
    assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
    assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
    assert_keys_crosswise(c, s, RG_SRTP_AEAD_AES_256_GCM);
    rg_dtls_get_stats(c, &sc);
    rg_dtls_get_stats(s, &ss);
    total_rtx += (unsigned)(sc.retransmissions + ss.retransmissions + ss.flight_replays);
    with_timer += p.now > 0;
    rg_dtls_free(c);
    rg_dtls_free(s);
  }
  assert_true(with_timer > 0); /* some runs really needed a resend */
  assert_true(total_rtx >= with_timer);
}

/* Drops the datagrams whose (side, index) are listed. */
struct script {
  int from_a[8];
  unsigned n[8];
  int count;
  uint64_t second_first_at; /* when side a's datagram #1 went out */
};

static bool drop_scripted(void *arg, int from_a, unsigned n, uint64_t now)
{
  struct script *s = arg;
  if (from_a && n == 1)
    s->second_first_at = now;
  for (int i = 0; i < s->count; i++)
    if (s->from_a[i] == from_a && s->n[i] == n)
      return true;
  return false;
}

static void lost_client_hello_is_resent_after_one_second(void **state)
{
  struct script sc = {{1}, {0}, 1, 0};
  struct t_pump p = {0};
  p.drop = drop_scripted;
  p.arg = &sc;
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, RG_HASH_SHA256);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(sc.second_first_at, RG_DTLS_RTX_INITIAL_US);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static bool drop_all_from_b(void *arg, int from_a, unsigned n, uint64_t now)
{
  return !from_a;
}

static void lost_final_server_flight_is_resent_when_client_repeats(void **state)
{
  /* The server's flights: [0] ServerHello..Done (one datagram with ECDSA at
   * MTU 1200), then [1] its final flight (CCS, Finished). */
  struct script sc = {{0}, {1}, 1, 0};
  struct t_pump p = {0};
  struct rg_dtls_stats ss;
  p.drop = drop_scripted;
  p.arg = &sc;
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, RG_HASH_SHA256);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(p.now, RG_DTLS_RTX_INITIAL_US);
  rg_dtls_get_stats(s, &ss);
  assert_int_equal(ss.flight_replays, 1);
  assert_keys_crosswise(c, s, RG_SRTP_AEAD_AES_256_GCM);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void unanswered_client_resends_at_1_2_4_8_s_then_fails(void **state)
{
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  uint8_t buf[RG_DTLS_MTU_MAX];
  uint64_t sends[16];
  int nsends = 0, n;
  struct t_events e = {0};
  /* Expected resend times (s) from the schedule: +1, +2, +4, +8 (cap), +8, +8. */
  const uint64_t expect[] = {0, 1, 3, 7, 15, 23, 31};
  rg_dtls_start(c, 0);
  uint64_t now = 0;
  for (;;) {
    while ((n = rg_dtls_poll_datagram(c, buf, sizeof buf)) > 0)
      if (nsends < 16)
        sends[nsends++] = now;
    uint64_t t = rg_dtls_next_timeout(c);
    if (t == RG_DTLS_NO_TIMEOUT)
      break;
    assert_int_equal(rg_dtls_handle_timeout(c, t - 1), RG_OK); /* early: nothing */
    assert_int_equal(rg_dtls_poll_datagram(c, buf, sizeof buf), 0);
    now = t;
    rg_dtls_handle_timeout(c, now);
  }
  assert_int_equal(nsends, 7);
  for (int i = 0; i < 7; i++)
    assert_int_equal(sends[i], expect[i] * 1000000u);
  assert_int_equal(now, 39 * 1000000u);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_FAILED);
  t_collect(c, &e);
  assert_int_equal(t_find(&e, RG_DTLS_EV_FAILED)->err, RG_ERR_TIMEOUT);
  rg_dtls_free(c);
}

static void server_flight_lost_every_time_fails_with_timeout(void **state)
{
  struct t_pump p = {0};
  struct t_events e = {0};
  p.drop = drop_all_from_b;
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, RG_HASH_SHA256);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_FAILED);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_FAILED);
  t_collect(s, &e);
  assert_int_equal(t_find(&e, RG_DTLS_EV_FAILED)->err, RG_ERR_TIMEOUT);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void small_mtu_bounds_every_datagram(void **state)
{
  struct rg_dtls_config cc, sc;
  struct rg_fingerprint fa, fb;
  struct t_pump p = {0};
  rg_dtls_config_init(&cc, RG_DTLS_CLIENT);
  rg_dtls_config_init(&sc, RG_DTLS_SERVER);
  fp_of(rsa_b, RG_HASH_SHA256, &fb);
  fp_of(rsa_a, RG_HASH_SHA256, &fa);
  rg_dtls_config_add_fingerprint(&cc, &fb);
  rg_dtls_config_add_fingerprint(&sc, &fa);
  cc.mtu = 300;
  sc.mtu = 300;
  /* RSA certificates (~800 bytes each) must be split over datagrams. */
  struct rg_dtls *c = make_cfg(ctx_rsa_a, &cc), *s = make_cfg(ctx_rsa_b, &sc);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  assert_true(p.max_len[0] <= 300);
  assert_true(p.max_len[1] <= 300);
  assert_true(p.sent[1] >= 6); /* the server's certificate flight was split */
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void default_mtu_bounds_every_datagram(void **state)
{
  struct t_pump p = {0};
  struct rg_dtls *c = make(ctx_rsa_a, RG_DTLS_CLIENT, rsa_b, RG_HASH_SHA256);
  struct rg_dtls *s = make(ctx_rsa_b, RG_DTLS_SERVER, rsa_a, RG_HASH_SHA256);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  assert_true(p.max_len[0] <= RG_DTLS_MTU_DEFAULT);
  assert_true(p.max_len[1] <= RG_DTLS_MTU_DEFAULT);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

/* Garbage is either refused before OpenSSL (not a DTLS content type) or
 * dropped by OpenSSL's record layer; a later valid handshake still works. */
static void garbage_before_client_hello_does_not_break_handshake(void **state)
{
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, RG_HASH_SHA256);
  struct rg_dtls_stats st;
  struct t_pump p = {0};
  uint8_t junk[200];
  uint32_t x = 12345;
  const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  const uint8_t rtp[] = {0x80, 0x60, 0x00, 0x01};
  /* a record header claiming more bytes than the datagram holds */
  const uint8_t short_rec[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00, 1, 2};
  /* an application-data record in epoch 3: dropped by the record layer */
  const uint8_t bad_epoch[] = {23, 0xfe, 0xfd, 0, 3, 0, 0, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4};
  assert_int_equal(rg_dtls_handle_datagram(s, 0, stun, sizeof stun), RG_ERR_MALFORMED);
  assert_int_equal(rg_dtls_handle_datagram(s, 0, rtp, sizeof rtp), RG_ERR_MALFORMED);
  assert_int_equal(rg_dtls_handle_datagram(s, 0, junk, 0), RG_ERR_MALFORMED);
  assert_int_equal(rg_dtls_handle_datagram(s, 0, short_rec, sizeof short_rec), RG_OK);
  assert_int_equal(rg_dtls_handle_datagram(s, 0, bad_epoch, sizeof bad_epoch), RG_OK);
  for (int i = 0; i < 50; i++) {
    for (size_t j = 0; j < sizeof junk; j++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      junk[j] = (uint8_t)x;
    }
    junk[0] = (uint8_t)(20 + i % 44);
    if (junk[0] == 22) /* a well-formed handshake record is another matter */
      junk[0] = 23;
    rg_dtls_handle_datagram(s, 0, junk, sizeof junk);
  }
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_HANDSHAKING);
  assert_int_equal(rg_dtls_poll_datagram(s, junk, sizeof junk), 0);
  rg_dtls_get_stats(s, &st);
  assert_int_equal(st.dropped_in, 3);
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void close_notify_reaches_peer_as_closed_event(void **state)
{
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  struct rg_dtls *s = make(ctx_ec_b, RG_DTLS_SERVER, ec_a, RG_HASH_SHA256);
  struct rg_dtls_srtp_keys k;
  struct t_pump p = {0};
  struct t_events e = {0};
  uint8_t buf[RG_DTLS_MTU_MAX];
  int n;
  rg_dtls_start(c, 0);
  t_pump_run(&p, c, s);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CONNECTED);
  assert_int_equal(rg_dtls_close(c, 5), RG_OK);
  assert_int_equal(rg_dtls_state(c), RG_DTLS_STATE_CLOSED);
  n = rg_dtls_poll_datagram(c, buf, sizeof buf);
  assert_true(n > 13);
  assert_int_equal(buf[0], 21); /* alert record */
  assert_int_equal(buf[3] << 8 | buf[4], 1); /* epoch 1: encrypted */
  assert_int_equal(rg_dtls_poll_datagram(c, buf + 100, sizeof buf - 100), 0);
  assert_int_equal(rg_dtls_handle_datagram(s, 5, buf, (size_t)n), RG_OK);
  assert_int_equal(rg_dtls_state(s), RG_DTLS_STATE_CLOSED);
  t_collect(s, &e);
  assert_non_null(t_find(&e, RG_DTLS_EV_CLOSED));
  assert_int_equal(rg_dtls_export_srtp_keys(s, &k), RG_ERR_STATE);
  assert_int_equal(rg_dtls_export_srtp_keys(c, &k), RG_ERR_STATE);
  assert_int_equal(rg_dtls_close(c, 6), RG_ERR_STATE);
  rg_dtls_free(c);
  rg_dtls_free(s);
}

static void keys_are_refused_before_the_handshake_ends(void **state)
{
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  struct rg_dtls_srtp_keys k;
  assert_int_equal(rg_dtls_export_srtp_keys(c, &k), RG_ERR_STATE);
  rg_dtls_start(c, 0);
  assert_int_equal(rg_dtls_export_srtp_keys(c, &k), RG_ERR_STATE);
  rg_dtls_free(c);
}

static void poll_datagram_keeps_datagram_when_buffer_small(void **state)
{
  struct rg_dtls *c = make(ctx_ec_a, RG_DTLS_CLIENT, ec_b, RG_HASH_SHA256);
  uint8_t buf[RG_DTLS_MTU_MAX];
  rg_dtls_start(c, 0);
  assert_int_equal(rg_dtls_poll_datagram(c, buf, 10), RG_ERR_BUFFER);
  int n = rg_dtls_poll_datagram(c, buf, sizeof buf);
  assert_true(n > 60);
  assert_int_equal(buf[0], 22);
  assert_int_equal(buf[13], 1); /* ClientHello */
  rg_dtls_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(handshake_ecdsa_connects_dtls12_both_ways),
    cmocka_unit_test(handshake_rsa_connects_dtls12_both_ways),
    cmocka_unit_test(handshake_mixed_rsa_client_ecdsa_server_connects),
    cmocka_unit_test(each_srtp_profile_negotiates_with_equal_keys_crosswise),
    cmocka_unit_test(no_common_srtp_profile_fails_without_keys),
    cmocka_unit_test(client_detects_server_fingerprint_mismatch_silently),
    cmocka_unit_test(server_detects_client_fingerprint_mismatch_silently),
    cmocka_unit_test(one_matching_fingerprint_among_several_connects),
    cmocka_unit_test(sha1_sha384_sha512_fingerprints_connect),
    cmocka_unit_test(config_rejects_bad_values),
    cmocka_unit_test(ten_percent_loss_still_connects_on_virtual_clock),
    cmocka_unit_test(lost_client_hello_is_resent_after_one_second),
    cmocka_unit_test(lost_final_server_flight_is_resent_when_client_repeats),
    cmocka_unit_test(unanswered_client_resends_at_1_2_4_8_s_then_fails),
    cmocka_unit_test(server_flight_lost_every_time_fails_with_timeout),
    cmocka_unit_test(small_mtu_bounds_every_datagram),
    cmocka_unit_test(default_mtu_bounds_every_datagram),
    cmocka_unit_test(garbage_before_client_hello_does_not_break_handshake),
    cmocka_unit_test(close_notify_reaches_peer_as_closed_event),
    cmocka_unit_test(keys_are_refused_before_the_handshake_ends),
    cmocka_unit_test(poll_datagram_keeps_datagram_when_buffer_small),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
