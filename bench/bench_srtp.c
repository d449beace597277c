/* SRTP benchmark: rtcgate beside Debian's libsrtp2 and beside a raw OpenSSL
 * EVP loop that does only the cipher + MAC work of a packet (the limit any
 * SRTP code on OpenSSL can reach).
 *
 * Cases: 4 profiles x payload 160/1200 B x 1/10,000 SSRCs (round-robin),
 * protect and unprotect. Each case is measured in short slices alternating
 * between the implementations, so machine noise hits all of them alike; a
 * side's figure is its best slice (thread CPU time), which filters out the
 * slices another process's load spoiled on this shared machine.
 * Unprotect is timed over batches that were protected (untimed) just before.
 * The last line is machine-readable (see docs/benchmarks.md).
 *
 * Run: make bench-srtp   (or build/bin/bench_srtp [seconds-per-side])
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1 /* the EVP-limit loop uses SHA1_* like the core */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <srtp2/srtp.h>

#include "rtcgate/error.h"
#include "rtcgate/srtp.h"

#define BATCH 256          /* packets per timed batch */
#define ROUNDS 8           /* alternating slices per implementation and case */
#define MANY_SSRC 10000u
#define MAX_PKT 1300
#define NPROF 4
#define NSIZE 2
#define NIMPL 3

static const int profiles[NPROF] = {RG_SRTP_AES128_CM_SHA1_80, RG_SRTP_AES128_CM_SHA1_32,
                                    RG_SRTP_AEAD_AES_128_GCM, RG_SRTP_AEAD_AES_256_GCM};
static const char *const profile_names[NPROF] = {"CM-80", "CM-32", "GCM-128", "GCM-256"};
static const size_t payloads[NSIZE] = {160, 1200};
enum { IMPL_RTCGATE, IMPL_LIBSRTP, IMPL_EVP };
static const char *const impl_names[NIMPL] = {"rtcgate", "libsrtp2", "evp-limit"};

/* Timed sections use this thread's CPU time: the machine is shared, and
 * wall time would also count the moments other processes held the core. */
static double cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void master(int profile, uint8_t *key, uint8_t *salt)
{
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
  for (int i = 0; i < info->key_len; i++)
    key[i] = (uint8_t)(i * 13 + 1);
  for (int i = 0; i < info->salt_len; i++)
    salt[i] = (uint8_t)(i * 7 + 3);
}

/* ---- the raw EVP loop: per packet set the IV, cipher, MAC; nothing else ---- */
struct evp_limit {
  const struct rg_srtp_profile_info *info;
  EVP_CIPHER *alg;
  EVP_CIPHER_CTX *ctx;
  SHA_CTX inner, outer;
  uint8_t salt[14];
  bool seal;
};

static struct evp_limit *evp_new(int profile, bool seal)
{
  struct evp_limit *e = calloc(1, sizeof *e);
  uint8_t key[32], salt[14], pad[64];
  e->info = rg_srtp_profile_info(profile);
  e->seal = seal;
  master(profile, key, salt);
  memcpy(e->salt, salt, sizeof salt);
  const char *name = e->info->aead ? (e->info->key_len == 32 ? "AES-256-GCM" : "AES-128-GCM")
                                   : "AES-128-CTR";
  e->alg = EVP_CIPHER_fetch(NULL, name, NULL);
  e->ctx = EVP_CIPHER_CTX_new();
  EVP_CipherInit_ex2(e->ctx, e->alg, key, NULL, e->info->aead ? seal : 1, NULL);
  memset(pad, 0x36, 64);
  for (int i = 0; i < 20; i++)
    pad[i] ^= key[i];
  SHA1_Init(&e->inner);
  SHA1_Update(&e->inner, pad, 64);
  memset(pad, 0x5c, 64);
  for (int i = 0; i < 20; i++)
    pad[i] ^= key[i];
  SHA1_Init(&e->outer);
  SHA1_Update(&e->outer, pad, 64);
  return e;
}

static void evp_free(struct evp_limit *e)
{
  EVP_CIPHER_CTX_free(e->ctx);
  EVP_CIPHER_free(e->alg);
  free(e);
}

static void evp_hmac(struct evp_limit *e, const uint8_t *p, size_t len, uint8_t *out)
{
  SHA_CTX c = e->inner;
  uint8_t ih[20], roc[4] = {0};
  SHA1_Update(&c, p, len);
  SHA1_Update(&c, roc, 4);
  SHA1_Final(ih, &c);
  c = e->outer;
  SHA1_Update(&c, ih, 20);
  SHA1_Final(out, &c);
}

/* Seal: IV + cipher + MAC. Open: MAC + compare + IV + cipher (the result of
 * the tag check is ignored: its cost does not depend on it). */
static int evp_packet(struct evp_limit *e, uint8_t *p, size_t len)
{
  uint8_t iv[16], mac[20], none[16];
  int outl;
  size_t tag = e->info->rtp_tag_len;
  if (!e->seal)
    len -= tag;
  memcpy(iv, e->salt, 14);
  iv[14] = iv[15] = 0;
  iv[11] ^= p[11];
  iv[13] ^= p[3];
  if (e->info->aead) {
    EVP_CipherInit_ex2(e->ctx, NULL, NULL, iv, -1, NULL);
    EVP_CipherUpdate(e->ctx, NULL, &outl, p, 12);
    EVP_CipherUpdate(e->ctx, p + 12, &outl, p + 12, (int)(len - 12));
    if (e->seal) {
      EVP_CipherFinal_ex(e->ctx, none, &outl);
      EVP_CIPHER_CTX_ctrl(e->ctx, EVP_CTRL_AEAD_GET_TAG, 16, p + len);
    } else {
      EVP_CIPHER_CTX_ctrl(e->ctx, EVP_CTRL_AEAD_SET_TAG, 16, p + len);
      (void)EVP_CipherFinal_ex(e->ctx, none, &outl);
    }
  } else if (e->seal) {
    EVP_EncryptInit_ex2(e->ctx, NULL, NULL, iv, NULL);
    EVP_EncryptUpdate(e->ctx, p + 12, &outl, p + 12, (int)(len - 12));
    evp_hmac(e, p, len, mac);
    memcpy(p + len, mac, tag);
  } else {
    evp_hmac(e, p, len, mac);
    (void)CRYPTO_memcmp(mac, p + len, tag);
    EVP_EncryptInit_ex2(e->ctx, NULL, NULL, iv, NULL);
    EVP_EncryptUpdate(e->ctx, p + 12, &outl, p + 12, (int)(len - 12));
  }
  return (int)(e->seal ? len + tag : len);
}

/* ---- one implementation behind one interface ---- */
struct side {
  int impl;
  void *ctx;
};

static srtp_t libsrtp_new(int profile, bool inbound)
{
  const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
  uint8_t key[32], salt[14], keysalt[46];
  master(profile, key, salt);
  memcpy(keysalt, key, info->key_len);
  memcpy(keysalt + info->key_len, salt, info->salt_len);
  srtp_policy_t p;
  memset(&p, 0, sizeof p);
  switch (profile) {
  case RG_SRTP_AES128_CM_SHA1_80:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    break;
  case RG_SRTP_AES128_CM_SHA1_32:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    break;
  case RG_SRTP_AEAD_AES_128_GCM:
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
    break;
  default:
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
  }
  p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  p.key = keysalt;
  p.window_size = RG_SRTP_REPLAY_WINDOW_DEFAULT;
  srtp_t s = NULL;
  if (srtp_create(&s, &p) != srtp_err_status_ok) {
    fprintf(stderr, "bench_srtp: libsrtp2 srtp_create failed\n");
    exit(1);
  }
  return s;
}

static struct side side_new(int impl, int profile, bool protect)
{
  struct side s = {impl, NULL};
  if (impl == IMPL_RTCGATE) {
    const struct rg_srtp_profile_info *info = rg_srtp_profile_info(profile);
    uint8_t key[32], salt[14];
    master(profile, key, salt);
    struct rg_srtp_config cfg = {
      .profile = profile, .direction = protect ? RG_SRTP_PROTECT : RG_SRTP_UNPROTECT,
      .master_key = key, .master_key_len = info->key_len,
      .master_salt = salt, .master_salt_len = info->salt_len,
      .max_streams = MANY_SSRC, .replay_window = 0};
    if (rg_srtp_new(&cfg, (struct rg_srtp **)&s.ctx) != RG_OK) {
      fprintf(stderr, "bench_srtp: rg_srtp_new failed\n");
      exit(1);
    }
  } else if (impl == IMPL_LIBSRTP) {
    s.ctx = libsrtp_new(profile, !protect);
  } else {
    s.ctx = evp_new(profile, protect);
  }
  return s;
}

static void side_free(struct side *s)
{
  if (s->impl == IMPL_RTCGATE)
    rg_srtp_free(s->ctx);
  else if (s->impl == IMPL_LIBSRTP)
    srtp_dealloc(s->ctx);
  else
    evp_free(s->ctx);
}

static int side_protect(struct side *s, uint8_t *p, size_t len)
{
  if (s->impl == IMPL_RTCGATE)
    return rg_srtp_protect_rtp(s->ctx, p, len, MAX_PKT);
  if (s->impl == IMPL_EVP)
    return evp_packet(s->ctx, p, len);
  int n = (int)len;
  return srtp_protect(s->ctx, p, &n) == srtp_err_status_ok ? n : -1;
}

static int side_unprotect(struct side *s, uint8_t *p, size_t len)
{
  if (s->impl == IMPL_RTCGATE)
    return rg_srtp_unprotect_rtp(s->ctx, p, len);
  if (s->impl == IMPL_EVP)
    return evp_packet(s->ctx, p, len);
  int n = (int)len;
  return srtp_unprotect(s->ctx, p, &n) == srtp_err_status_ok ? n : -1;
}

/* ---- one case: the packet stream every implementation sees ---- */
struct stream {
  uint64_t k; /* packets so far: SSRC k % nssrc, sequence number k / nssrc */
  uint32_t nssrc;
};

static size_t next_packet(struct stream *st, uint8_t *p, size_t payload)
{
  uint32_t ssrc = 0x10000000u + (uint32_t)(st->k % st->nssrc) * 2654435761u;
  uint16_t seq = (uint16_t)(st->k / st->nssrc);
  st->k++;
  p[0] = 0x80;
  p[1] = 96;
  p[2] = (uint8_t)(seq >> 8);
  p[3] = (uint8_t)seq;
  memset(p + 4, 0, 4);
  p[8] = (uint8_t)(ssrc >> 24);
  p[9] = (uint8_t)(ssrc >> 16);
  p[10] = (uint8_t)(ssrc >> 8);
  p[11] = (uint8_t)ssrc;
  return 12 + payload;
}

struct runner {
  struct side prot;           /* measured protect */
  struct side utx, urx;       /* unprotect: utx feeds urx untimed */
  struct stream sp, su;
  double p_best, u_best; /* best packets/s of any slice */
};

static uint8_t batch[BATCH][MAX_PKT];
static size_t batch_len[BATCH];

static void fail_packet(const char *what, int impl)
{
  fprintf(stderr, "bench_srtp: %s failed (%s)\n", what, impl_names[impl]);
  exit(1);
}

static void slice_protect(struct runner *r, size_t payload, double secs)
{
  static uint8_t buf[MAX_PKT];
  memset(buf, 0x5a, sizeof buf);
  double t0 = cpu_s(), t = t0;
  uint64_t n = 0;
  do {
    for (int b = 0; b < BATCH; b++) {
      size_t len = next_packet(&r->sp, buf, payload);
      if (side_protect(&r->prot, buf, len) < 0)
        fail_packet("protect", r->prot.impl);
    }
    n += BATCH;
    t = cpu_s();
  } while (t - t0 < secs);
  if ((double)n / (t - t0) > r->p_best)
    r->p_best = (double)n / (t - t0);
}

static void slice_unprotect(struct runner *r, size_t payload, double secs)
{
  double timed = 0;
  uint64_t n = 0;
  while (timed < secs) {
    for (int b = 0; b < BATCH; b++) { /* untimed: make the packets */
      memset(batch[b] + 12, 0x5a, payload);
      size_t len = next_packet(&r->su, batch[b], payload);
      int out = side_protect(&r->utx, batch[b], len);
      if (out < 0)
        fail_packet("protect for unprotect", r->utx.impl);
      batch_len[b] = (size_t)out;
    }
    double t0 = cpu_s();
    for (int b = 0; b < BATCH; b++)
      if (side_unprotect(&r->urx, batch[b], batch_len[b]) < 0 && r->urx.impl != IMPL_EVP)
        fail_packet("unprotect", r->urx.impl);
    timed += cpu_s() - t0;
    n += BATCH;
  }
  if ((double)n / timed > r->u_best)
    r->u_best = (double)n / timed;
}

/* One packet per SSRC through every context first, so stream creation (a
 * list insert and key set-up per SSRC in libsrtp2) is not what is timed. */
static void warm_up(struct runner *r, size_t payload)
{
  static uint8_t buf[MAX_PKT];
  for (uint32_t i = 0; i < r->sp.nssrc; i++) {
    size_t len = next_packet(&r->sp, buf, payload);
    if (side_protect(&r->prot, buf, len) < 0)
      fail_packet("warm-up protect", r->prot.impl);
    len = next_packet(&r->su, buf, payload);
    int out = side_protect(&r->utx, buf, len);
    if (out < 0 || (side_unprotect(&r->urx, buf, (size_t)out) < 0 && r->urx.impl != IMPL_EVP))
      fail_packet("warm-up unprotect", r->urx.impl);
  }
}

struct result {
  double p, u; /* packets per second */
};

static struct result results[NIMPL][NPROF][NSIZE][2];

/* One profile: rtcgate, libsrtp2 and the EVP limit at 1 SSRC and rtcgate and
 * libsrtp2 at 10,000 SSRCs, all five measured in alternating slices, both
 * payload sizes on the same contexts (libsrtp2's slow set-up of 10,000
 * streams is paid once per profile). */
static void run_profile(int pi, double secs_per_side)
{
  enum { NRUN = 5 };
  const int impl[NRUN] = {IMPL_RTCGATE, IMPL_LIBSRTP, IMPL_EVP, IMPL_RTCGATE, IMPL_LIBSRTP};
  const int many[NRUN] = {0, 0, 0, 1, 1};
  struct runner rs[NRUN];
  memset(rs, 0, sizeof rs);
  for (int i = 0; i < NRUN; i++) {
    rs[i].prot = side_new(impl[i], profiles[pi], true);
    /* rtcgate makes every implementation's packets for the unprotect runs
     * (it interoperates with libsrtp2, see test_srtp_libsrtp.c); that keeps
     * the untimed part of those runs short. */
    rs[i].utx = side_new(IMPL_RTCGATE, profiles[pi], true);
    rs[i].urx = side_new(impl[i], profiles[pi], false);
    rs[i].sp.nssrc = rs[i].su.nssrc = many[i] ? MANY_SSRC : 1;
    warm_up(&rs[i], payloads[0]);
  }
  double slice = secs_per_side / ROUNDS;
  for (int si = 0; si < NSIZE; si++) {
    for (int round = 0; round < ROUNDS; round++) {
      for (int j = 0; j < NRUN; j++) {
        int i = (j + round) % NRUN; /* rotate who goes first */
        slice_protect(&rs[i], payloads[si], slice);
        slice_unprotect(&rs[i], payloads[si], slice);
      }
    }
    for (int i = 0; i < NRUN; i++) {
      results[impl[i]][pi][si][many[i]].p = rs[i].p_best;
      results[impl[i]][pi][si][many[i]].u = rs[i].u_best;
      rs[i].p_best = rs[i].u_best = 0;
    }
  }
  for (int i = 0; i < NRUN; i++) {
    side_free(&rs[i].prot);
    side_free(&rs[i].utx);
    side_free(&rs[i].urx);
  }
}

/* ---- HMAC-SHA1 variants, to justify the core's choice ---- */
static double hmac_variant(int variant, double secs)
{
  static uint8_t msg[172];
  uint8_t key[20] = {1, 2, 3}, out[EVP_MAX_MD_SIZE];
  unsigned int outl;
  size_t mlen = 0;
  SHA_CTX in, outer;
  EVP_MD *md = EVP_MD_fetch(NULL, "SHA1", NULL);
  EVP_MD_CTX *ei = EVP_MD_CTX_new(), *eo = EVP_MD_CTX_new(), *w = EVP_MD_CTX_new();
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *mc = EVP_MAC_CTX_new(mac);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA1", 0), OSSL_PARAM_END};
  uint8_t pad[64];
  memset(pad, 0x36, 64);
  for (int i = 0; i < 20; i++)
    pad[i] ^= key[i];
  SHA1_Init(&in);
  SHA1_Update(&in, pad, 64);
  EVP_DigestInit_ex2(ei, md, NULL);
  EVP_DigestUpdate(ei, pad, 64);
  memset(pad, 0x5c, 64);
  for (int i = 0; i < 20; i++)
    pad[i] ^= key[i];
  SHA1_Init(&outer);
  SHA1_Update(&outer, pad, 64);
  EVP_DigestInit_ex2(eo, md, NULL);
  EVP_DigestUpdate(eo, pad, 64);
  EVP_MAC_init(mc, key, sizeof key, params);

  double t0 = cpu_s(), t;
  uint64_t n = 0;
  do {
    for (int b = 0; b < BATCH; b++) {
      if (variant == 0) { /* SHA_CTX copies (the core's way) */
        SHA_CTX c = in;
        SHA1_Update(&c, msg, sizeof msg);
        SHA1_Final(out, &c);
        c = outer;
        SHA1_Update(&c, out, 20);
        SHA1_Final(out, &c);
      } else if (variant == 1) { /* EVP_MD_CTX_copy_ex of the ipad/opad states */
        EVP_MD_CTX_copy_ex(w, ei);
        EVP_DigestUpdate(w, msg, sizeof msg);
        EVP_DigestFinal_ex(w, out, &outl);
        EVP_MD_CTX_copy_ex(w, eo);
        EVP_DigestUpdate(w, out, 20);
        EVP_DigestFinal_ex(w, out, &outl);
      } else { /* EVP_MAC re-init with the same key */
        EVP_MAC_init(mc, NULL, 0, NULL);
        EVP_MAC_update(mc, msg, sizeof msg);
        EVP_MAC_final(mc, out, &mlen, sizeof out);
      }
    }
    n += BATCH;
    t = cpu_s();
  } while (t - t0 < secs);
  EVP_MAC_CTX_free(mc);
  EVP_MAC_free(mac);
  EVP_MD_CTX_free(ei);
  EVP_MD_CTX_free(eo);
  EVP_MD_CTX_free(w);
  EVP_MD_free(md);
  return (t - t0) / (double)n * 1e6;
}

static double avg_ratio(struct result a, struct result b)
{
  return (a.p / b.p + a.u / b.u) / 2;
}

int main(int argc, char **argv)
{
  double secs = argc > 1 ? atof(argv[1]) : 0.2; /* per implementation, op and case */
  if (secs <= 0 || secs > 10)
    secs = 0.2;
  if (srtp_init() != srtp_err_status_ok)
    return 1;
  double t_start = wall_s();
  printf("bench_srtp: %.2f s of thread CPU time per implementation x op x case, best of %d "
         "alternating slices\n", secs, ROUNDS);
  printf("HMAC-SHA1 over 172 B, us per MAC: SHA_CTX copy %.3f | EVP_MD_CTX_copy_ex %.3f | "
         "EVP_MAC_init reuse %.3f\n",
         hmac_variant(0, 0.2), hmac_variant(1, 0.2), hmac_variant(2, 0.2));
  for (int pi = 0; pi < NPROF; pi++)
    run_profile(pi, secs);

  printf("\n%-8s %5s %6s | %-21s | %-21s | %-21s | %s\n", "profile", "bytes", "SSRCs",
         "rtcgate kpps (P/U)", "libsrtp2 kpps (P/U)", "evp-limit kpps (P/U)",
         "vs libsrtp2, vs limit");
  for (int many = 0; many < 2; many++)
    for (int pi = 0; pi < NPROF; pi++)
      for (int si = 0; si < NSIZE; si++) {
        struct result g = results[IMPL_RTCGATE][pi][si][many];
        struct result l = results[IMPL_LIBSRTP][pi][si][many];
        struct result e = results[IMPL_EVP][pi][si][0];
        char lim[32] = "-", vs_lim[16] = "-";
        if (!many) {
          snprintf(lim, sizeof lim, "%7.0f / %7.0f", e.p / 1e3, e.u / 1e3);
          snprintf(vs_lim, sizeof vs_lim, "%.2f", avg_ratio(g, e));
        }
        printf("%-8s %5zu %6u | %7.0f / %7.0f     | %7.0f / %7.0f     | %-21s | %5.2fx, %s\n",
               profile_names[pi], payloads[si], many ? MANY_SSRC : 1, g.p / 1e3, g.u / 1e3,
               l.p / 1e3, l.u / 1e3, lim, avg_ratio(g, l), vs_lim);
      }

  double worst = 1e9;
  for (int pi = 0; pi < NPROF; pi++)
    for (int si = 0; si < NSIZE; si++) {
      double r = avg_ratio(results[IMPL_RTCGATE][pi][si][0], results[IMPL_EVP][pi][si][0]);
      if (r < worst)
        worst = r;
    }
  double cm80 = avg_ratio(results[IMPL_RTCGATE][0][0][0], results[IMPL_LIBSRTP][0][0][0]);
  double ssrc10k = avg_ratio(results[IMPL_RTCGATE][0][0][1], results[IMPL_LIBSRTP][0][0][1]);
  double over1 = avg_ratio(results[IMPL_RTCGATE][0][0][1], results[IMPL_RTCGATE][0][0][0]);
  printf("\nP = protect, U = unprotect; ratios average the P and U ratios. %.1f s in all.\n",
         wall_s() - t_start);
  srtp_shutdown();
  printf("srtp-bench: cm80_160_vs_libsrtp2=%.2f ssrc10k_vs_libsrtp2=%.2f "
         "worst_vs_evp_limit=%.2f ssrc10k_over_1=%.2f\n",
         cm80, ssrc10k, worst, over1);
  return 0;
}
