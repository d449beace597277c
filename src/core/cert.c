/* Self-signed certificates for DTLS-SRTP (RFC 5763 §5) and their fingerprints
 * (RFC 8122 §5). The caller passes the time; nothing here reads a clock. */
#include "cert_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "rtcgate/error.h"

#define SERIAL_BYTES 8 /* 64 random bits, top bit cleared: a positive INTEGER */
#define RSA_BITS 2048
#define RSA_MIN_BITS 2048

static const EVP_MD *hash_md(int hash)
{
  switch (hash) {
  case RG_HASH_SHA1: return EVP_sha1();
  case RG_HASH_SHA224: return EVP_sha224();
  case RG_HASH_SHA256: return EVP_sha256();
  case RG_HASH_SHA384: return EVP_sha384();
  case RG_HASH_SHA512: return EVP_sha512();
  default: return NULL;
  }
}

int rgi_cert_fingerprint_x509(X509 *x509, int hash, struct rg_fingerprint *out)
{
  const EVP_MD *md = hash_md(hash);
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!md || !x509)
    return RG_ERR_INVAL;
  if (X509_digest(x509, md, buf, &n) != 1 || n != rg_hash_len(hash) || n > RG_FINGERPRINT_MAX)
    return RG_ERR_CRYPTO;
  memset(out, 0, sizeof *out);
  out->hash = (uint8_t)hash;
  out->len = (uint8_t)n;
  memcpy(out->value, buf, n);
  return RG_OK;
}

int rg_cert_fingerprint(const struct rg_cert *cert, int hash, struct rg_fingerprint *out)
{
  if (!cert || !out)
    return RG_ERR_INVAL;
  return rgi_cert_fingerprint_x509(cert->x509, hash, out);
}

static int set_random_serial(X509 *x)
{
  unsigned char raw[SERIAL_BYTES];
  BIGNUM *bn = NULL;
  int ok = 0;
  if (RAND_bytes(raw, sizeof raw) != 1)
    return 0;
  raw[0] &= 0x7f;
  raw[0] |= 0x01 << 6; /* never a short or zero serial */
  bn = BN_bin2bn(raw, sizeof raw, NULL);
  if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
    ok = 1;
  BN_free(bn);
  return ok;
}

static EVP_PKEY *make_key(int key_type)
{
  if (key_type == RG_CERT_ECDSA_P256)
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_BITS);
}

int rg_cert_generate(struct rg_cert **out, int key_type, const char *cn, size_t cn_len,
                     uint64_t now_unix, uint32_t validity_days)
{
  struct rg_cert *c = NULL;
  X509_NAME *name = NULL;
  time_t now;
  int err = RG_ERR_CRYPTO;

  if (!out || !cn || cn_len == 0 || cn_len > RG_CERT_CN_MAX || memchr(cn, 0, cn_len))
    return RG_ERR_INVAL;
  if (key_type != RG_CERT_ECDSA_P256 && key_type != RG_CERT_RSA_2048)
    return RG_ERR_UNSUPPORTED;
  if (validity_days == 0)
    validity_days = RG_CERT_VALIDITY_DAYS_DEFAULT;
  if (validity_days > RG_CERT_VALIDITY_DAYS_MAX || now_unix < RG_CERT_BACKDATE_S ||
      now_unix > (uint64_t)INT64_MAX / 2)
    return RG_ERR_INVAL;
  now = (time_t)now_unix;

  c = calloc(1, sizeof *c);
  if (!c)
    return RG_ERR_NOMEM;
  c->pkey = make_key(key_type);
  c->x509 = X509_new();
  name = X509_NAME_new();
  if (!c->pkey || !c->x509 || !name)
    goto fail;
  if (X509_set_version(c->x509, 2) != 1 || !set_random_serial(c->x509))
    goto fail;
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
                                 (int)cn_len, -1, 0) != 1)
    goto fail;
  if (X509_set_subject_name(c->x509, name) != 1 || X509_set_issuer_name(c->x509, name) != 1)
    goto fail;
  /* X509_time_adj_ex with an explicit base time, not X509_gmtime_adj, which
   * would read the wall clock. */
  if (!X509_time_adj_ex(X509_getm_notBefore(c->x509), 0, -(long)RG_CERT_BACKDATE_S, &now) ||
      !X509_time_adj_ex(X509_getm_notAfter(c->x509), (int)validity_days, 0, &now))
    goto fail;
  if (X509_set_pubkey(c->x509, c->pkey) != 1 || X509_sign(c->x509, c->pkey, EVP_sha256()) <= 0)
    goto fail;
  X509_NAME_free(name);
  *out = c;
  return RG_OK;

fail:
  X509_NAME_free(name);
  rg_cert_free(c);
  return err;
}

static int key_acceptable(EVP_PKEY *pkey)
{
  int id = EVP_PKEY_get_base_id(pkey);
  char group[32];
  /* Only P-256 among curves, so rg_cert_key_type stays truthful. */
  if (id == EVP_PKEY_EC)
    return EVP_PKEY_get_group_name(pkey, group, sizeof group, NULL) == 1 &&
           strcmp(group, "prime256v1") == 0;
  return id == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) >= RSA_MIN_BITS;
}

int rg_cert_load_pem(struct rg_cert **out, const char *pem, size_t len)
{
  struct rg_cert *c = NULL;
  BIO *bio = NULL;
  int err = RG_ERR_MALFORMED;

  if (!out || !pem || len == 0)
    return RG_ERR_INVAL;
  if (len > RG_CERT_PEM_MAX)
    return RG_ERR_TOO_LARGE;
  c = calloc(1, sizeof *c);
  if (!c)
    return RG_ERR_NOMEM;
  /* Two passes over the same text: PEM_read_bio_* skip blocks of other types,
   * so the certificate and the key may come in either order. */
  bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio || !(c->x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
    goto fail;
  BIO_free(bio);
  bio = BIO_new_mem_buf(pem, (int)len);
  /* An empty passphrase: an encrypted key fails here instead of prompting. */
  if (!bio || !(c->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"")))
    goto fail;
  err = RG_ERR_UNSUPPORTED;
  if (!key_acceptable(c->pkey))
    goto fail;
  err = RG_ERR_INVAL;
  if (X509_check_private_key(c->x509, c->pkey) != 1)
    goto fail;
  BIO_free(bio);
  ERR_clear_error();
  *out = c;
  return RG_OK;

fail:
  BIO_free(bio);
  rg_cert_free(c);
  ERR_clear_error(); /* leave OpenSSL's per-thread queue clean for others */
  return err;
}

int rg_cert_write_pem(const struct rg_cert *cert, char *buf, size_t cap)
{
  BIO *bio;
  char *data = NULL;
  long n;
  int ret = RG_ERR_CRYPTO;
  if (!cert || !buf)
    return RG_ERR_INVAL;
  bio = BIO_new(BIO_s_mem());
  if (!bio)
    return RG_ERR_NOMEM;
  if (PEM_write_bio_X509(bio, cert->x509) != 1 ||
      PEM_write_bio_PrivateKey(bio, cert->pkey, NULL, NULL, 0, NULL, NULL) != 1)
    goto done;
  n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || n > INT_MAX - 1)
    goto done;
  if ((size_t)n + 1 > cap) {
    ret = RG_ERR_BUFFER;
    goto done;
  }
  memcpy(buf, data, (size_t)n);
  buf[n] = '\0';
  ret = (int)n;
done:
  BIO_free(bio);
  return ret;
}

int rg_cert_key_type(const struct rg_cert *cert)
{
  int id;
  if (!cert)
    return RG_ERR_INVAL;
  id = EVP_PKEY_get_base_id(cert->pkey);
  if (id == EVP_PKEY_EC)
    return RG_CERT_ECDSA_P256;
  if (id == EVP_PKEY_RSA)
    return RG_CERT_RSA_2048;
  return RG_ERR_UNSUPPORTED;
}

void rg_cert_free(struct rg_cert *cert)
{
  if (!cert)
    return;
  X509_free(cert->x509);
  EVP_PKEY_free(cert->pkey);
  free(cert);
}
