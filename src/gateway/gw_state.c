/* rtcgate gateway — the state directory: TLS certificate and application key.
 *
 * On first start the gateway makes a self-signed ECDSA P-256 certificate for
 * localhost / 127.0.0.1 (subjectAltName DNS:localhost, IP:127.0.0.1, because
 * browsers ignore the CN) and a 256-bit application key, both written with
 * mode 0600 into a 0700 directory. The key is printed once, when it is made;
 * RTCGATE_APP_KEY overrides it. Only its SHA-256 stays in memory, which
 * makes the constant-time comparison independent of the presented length.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/gw_internal.h"
#include "rtcgate/error.h"

#define GW_CERT_DAYS 365
#define GW_APP_KEY_MIN_LEN 16 /* an RTCGATE_APP_KEY shorter than this is refused */
#define GW_APP_KEY_FILE_MAX 256

static int write_private(const char *path, const char *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      close(fd);
      unlink(path);
      return -1;
    }
    off += (size_t)n;
  }
  return close(fd);
}

static int add_ext(X509 *cert, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!ext)
    return -1;
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok ? 0 : -1;
}

static char *bio_text(BIO *bio, size_t *len)
{
  char *p = NULL;
  long n = BIO_get_mem_data(bio, &p);
  *len = n > 0 ? (size_t)n : 0;
  return p;
}

static int make_cert(const char *cert_path, const char *key_path)
{
  int rc = -1;
  EVP_PKEY *key = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
  uint8_t serial[8];
  if (!key || !cert || !cb || !kb || RAND_bytes(serial, sizeof(serial)) != 1)
    goto out;
  serial[0] &= 0x7f; /* positive */
  BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert))) {
    BN_free(bn);
    goto out;
  }
  BN_free(bn);
  X509_NAME *name = X509_get_subject_name(cert);
  if (!X509_set_version(cert, 2) ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0) ||
      !X509_set_issuer_name(cert, name) || !X509_gmtime_adj(X509_getm_notBefore(cert), -86400) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert), (long)GW_CERT_DAYS * 86400) || !X509_set_pubkey(cert, key))
    goto out;
  if (add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
      add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ||
      add_ext(cert, NID_key_usage, "critical,digitalSignature") ||
      add_ext(cert, NID_ext_key_usage, "serverAuth") || add_ext(cert, NID_subject_key_identifier, "hash"))
    goto out;
  if (!X509_sign(cert, key, EVP_sha256()))
    goto out;
  if (!PEM_write_bio_X509(cb, cert) || !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
    goto out;
  size_t clen, klen;
  char *ctext = bio_text(cb, &clen), *ktext = bio_text(kb, &klen);
  if (write_private(key_path, ktext, klen) != 0)
    goto out;
  if (write_private(cert_path, ctext, clen) != 0) {
    unlink(key_path);
    goto out;
  }
  rc = 0;
out:
  EVP_PKEY_free(key);
  X509_free(cert);
  BIO_free(cb);
  BIO_free_all(kb);
  return rc;
}

static int load_or_make_app_key(struct gw *gw, const char *dir)
{
  const char *env = getenv("RTCGATE_APP_KEY");
  if (env && *env) {
    if (strlen(env) < GW_APP_KEY_MIN_LEN) {
      fprintf(stderr, "rtcgate: gateway: RTCGATE_APP_KEY is shorter than %d characters\n", GW_APP_KEY_MIN_LEN);
      return -1;
    }
    gw_sha256(env, strlen(env), gw->app_key_hash);
    fprintf(stderr, "rtcgate: gateway: application key from RTCGATE_APP_KEY\n");
    return 0;
  }
  char path[RG_GW_PATH_MAX + 16];
  snprintf(path, sizeof(path), "%s/app.key", dir);
  char text[GW_APP_KEY_FILE_MAX];
  FILE *f = fopen(path, "re");
  if (f) {
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
      n--;
    if (n < GW_APP_KEY_MIN_LEN) {
      fprintf(stderr, "rtcgate: gateway: %s is too short\n", path);
      return -1;
    }
    gw_sha256(text, n, gw->app_key_hash);
    OPENSSL_cleanse(text, sizeof(text));
    return 0;
  }
  uint8_t raw[GW_APP_KEY_BYTES];
  if (RAND_bytes(raw, sizeof(raw)) != 1)
    return -1;
  size_t n = gw_b64url(raw, sizeof(raw), text, sizeof(text) - 1);
  OPENSSL_cleanse(raw, sizeof(raw));
  text[n] = '\n';
  if (write_private(path, text, n + 1) != 0) {
    fprintf(stderr, "rtcgate: gateway: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  gw_sha256(text, n, gw->app_key_hash);
  text[n] = '\0';
  /* Printed once, on the start that made it: the operator copies it into the application's back end. */
  printf("rtcgate: application key (shown once; stored in %s): %s\n", path, text);
  fflush(stdout);
  OPENSSL_cleanse(text, sizeof(text));
  return 0;
}

int gw_state_prepare(struct gw *gw, char *cert_path, char *key_path, size_t cap)
{
  const char *dir = gw->cfg.state_dir;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "rtcgate: gateway: cannot create state dir %s: %s\n", dir, strerror(errno));
    return -1;
  }
  if (gw->cfg.cert_file[0] || gw->cfg.key_file[0]) {
    if (!gw->cfg.cert_file[0] || !gw->cfg.key_file[0]) {
      fprintf(stderr, "rtcgate: gateway: --cert and --key go together\n");
      return -1;
    }
    snprintf(cert_path, cap, "%s", gw->cfg.cert_file);
    snprintf(key_path, cap, "%s", gw->cfg.key_file);
  } else {
    snprintf(cert_path, cap, "%s/cert.pem", dir);
    snprintf(key_path, cap, "%s/key.pem", dir);
    if (access(cert_path, R_OK) != 0 || access(key_path, R_OK) != 0) {
      unlink(cert_path);
      unlink(key_path);
      if (make_cert(cert_path, key_path) != 0) {
        fprintf(stderr, "rtcgate: gateway: cannot create the TLS certificate in %s\n", dir);
        return -1;
      }
      fprintf(stderr, "rtcgate: gateway: made a self-signed TLS certificate for localhost in %s\n", cert_path);
    }
  }
  return load_or_make_app_key(gw, dir);
}
