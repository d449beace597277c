/* bench_host: how fast this shared host is right now, in ~0.5 s.
 *
 * The relay benchmark's figures move with the host: on this 2-core VM the
 * same binaries have measured 6.2 and 8.4 µs of broker CPU per relayed
 * packet an hour apart (docs/benchmarks.md, "Relay"). scripts/bench-relay
 * prints these two probes beside each step so a reader can tell a slow host
 * from slow code:
 *
 *   gcm_kpps  AES-128-GCM seals of a 172-byte packet per second of this
 *             thread's CPU time, one hot OpenSSL context (compute speed);
 *   chase_ns  nanoseconds per dependent load while walking a random cycle
 *             through 64 MB (memory latency past the caches: what the relay,
 *             touching thousands of legs' state, waits for).
 *
 * Each is the best of five slices, so a slice spoiled by a neighbour is
 * dropped. Output, one line:
 *   host: gcm_kpps=N chase_ns=X
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLICES 5
#define GCM_OPS 20000          /* per slice */
#define CHASE_BYTES (64u << 20) /* well past the L2 (2 MB per core here) */
#define CHASE_STEPS 1000000u   /* per slice */

static double cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best (highest) seals per second over the slices, or -1. */
static double gcm_kpps(void)
{
  static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  uint8_t iv[12] = {0}, pkt[172] = {0}, tag[16];
  EVP_CIPHER *alg = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  double best = -1;
  int outl;
  if (!alg || !ctx || EVP_EncryptInit_ex2(ctx, alg, key, NULL, NULL) != 1)
    goto done;
  for (int s = 0; s < SLICES; s++) {
    double t0 = cpu_s(), dt;
    for (uint32_t i = 0; i < GCM_OPS; i++) {
      iv[11] = (uint8_t)i;
      if (EVP_EncryptInit_ex2(ctx, NULL, NULL, iv, NULL) != 1 ||
          EVP_EncryptUpdate(ctx, NULL, &outl, pkt, 12) != 1 ||
          EVP_EncryptUpdate(ctx, pkt + 12, &outl, pkt + 12, (int)sizeof pkt - 12) != 1 ||
          EVP_EncryptFinal_ex(ctx, tag, &outl) != 1 ||
          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
        goto done;
    }
    dt = cpu_s() - t0;
    if (dt > 0 && GCM_OPS / dt / 1000.0 > best)
      best = GCM_OPS / dt / 1000.0;
  }
done:
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(alg);
  return best;
}

/* Best (lowest) ns per step of a pointer chase over a random cycle, or -1. */
static double chase_ns(void)
{
  size_t n = CHASE_BYTES / sizeof(uint32_t);
  uint32_t *next = malloc(CHASE_BYTES);
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  double best = -1;
  uint32_t at = 0;
  if (!next)
    return -1;
  /* Sattolo's algorithm: one cycle through every slot, in random order, so
   * no prefetcher can guess the next line. */
  for (size_t i = 0; i < n; i++)
    next[i] = (uint32_t)i;
  for (size_t i = n - 1; i > 0; i--) {
    size_t j;
    uint32_t t;
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    j = (size_t)(rng % i);
    t = next[i], next[i] = next[j], next[j] = t;
  }
  for (int s = 0; s < SLICES; s++) {
    double t0 = cpu_s(), dt;
    for (uint32_t i = 0; i < CHASE_STEPS; i++)
      at = next[at];
    dt = cpu_s() - t0;
    if (dt > 0 && (best < 0 || dt * 1e9 / CHASE_STEPS < best))
      best = dt * 1e9 / CHASE_STEPS;
  }
  free(next);
  return at == UINT32_MAX ? -2 : best; /* uses `at`, so the walk is not optimised away */
}

int main(void)
{
  double g = gcm_kpps(), c = chase_ns();
  printf("host: gcm_kpps=%.0f chase_ns=%.1f\n", g, c);
  return g > 0 && c > 0 ? 0 : 1;
}
