/* Pins certificate generation, PEM round trips and fingerprints (RFC 8122 §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert_internal.h"
#include "rtcgate/error.h"

#define NOW 1767225600u /* 2026-01-01T00:00:00Z */

static int cmp_time(const ASN1_TIME *t, time_t expect)
{
  ASN1_TIME *e = ASN1_TIME_set(NULL, expect);
  int r = ASN1_TIME_compare(t, e);
  ASN1_TIME_free(e);
  return r;
}

static void generate_ecdsa_makes_p256_self_signed_with_given_times(void **state)
{
  struct rg_cert *c = NULL;
  char cn[RG_CERT_CN_MAX + 1];
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, "rtcgate", 7, NOW, 0), RG_OK);
  assert_int_equal(rg_cert_key_type(c), RG_CERT_ECDSA_P256);
  assert_int_equal(EVP_PKEY_get_bits(c->pkey), 256);
  assert_int_equal(X509_get_version(c->x509), 2);
  assert_int_equal(X509_verify(c->x509, c->pkey), 1); /* self-signed */
  assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(c->x509), NID_commonName, cn,
                                             sizeof cn), 7);
  assert_string_equal(cn, "rtcgate");
  assert_int_equal(X509_NAME_cmp(X509_get_subject_name(c->x509), X509_get_issuer_name(c->x509)), 0);
  assert_int_equal(cmp_time(X509_get0_notBefore(c->x509), (time_t)NOW - RG_CERT_BACKDATE_S), 0);
  assert_int_equal(cmp_time(X509_get0_notAfter(c->x509),
                            (time_t)NOW + RG_CERT_VALIDITY_DAYS_DEFAULT * 86400), 0);
  assert_int_equal(X509_get_signature_nid(c->x509), NID_ecdsa_with_SHA256);
  rg_cert_free(c);
}

static void generate_uses_random_positive_serials(void **state)
{
  struct rg_cert *a = NULL, *b = NULL;
  assert_int_equal(rg_cert_generate(&a, RG_CERT_ECDSA_P256, "x", 1, NOW, 1), RG_OK);
  assert_int_equal(rg_cert_generate(&b, RG_CERT_ECDSA_P256, "x", 1, NOW, 1), RG_OK);
  const ASN1_INTEGER *sa = X509_get0_serialNumber(a->x509), *sb = X509_get0_serialNumber(b->x509);
  assert_int_not_equal(ASN1_INTEGER_cmp(sa, sb), 0);
  assert_int_equal(ASN1_STRING_type(sa), V_ASN1_INTEGER); /* not V_ASN1_NEG_INTEGER */
  assert_int_equal(ASN1_STRING_length(sa), 8);
  assert_int_equal(cmp_time(X509_get0_notAfter(a->x509), (time_t)NOW + 86400), 0);
  rg_cert_free(a);
  rg_cert_free(b);
}

static void generate_rsa_makes_2048_bit_key(void **state)
{
  struct rg_cert *c = NULL;
  assert_int_equal(rg_cert_generate(&c, RG_CERT_RSA_2048, "rsa", 3, NOW, 10), RG_OK);
  assert_int_equal(rg_cert_key_type(c), RG_CERT_RSA_2048);
  assert_int_equal(EVP_PKEY_get_bits(c->pkey), 2048);
  assert_int_equal(X509_verify(c->x509, c->pkey), 1);
  assert_int_equal(X509_get_signature_nid(c->x509), NID_sha256WithRSAEncryption);
  rg_cert_free(c);
}

static void generate_rejects_bad_arguments(void **state)
{
  struct rg_cert *c = NULL;
  char longcn[RG_CERT_CN_MAX + 1];
  memset(longcn, 'a', sizeof longcn);
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, "", 0, NOW, 0), RG_ERR_INVAL);
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, longcn, sizeof longcn, NOW, 0), RG_ERR_INVAL);
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, "a\0b", 3, NOW, 0), RG_ERR_INVAL);
  assert_int_equal(rg_cert_generate(&c, 7, "a", 1, NOW, 0), RG_ERR_UNSUPPORTED);
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, "a", 1, NOW, RG_CERT_VALIDITY_DAYS_MAX + 1),
                   RG_ERR_INVAL);
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, "a", 1, 5, 0), RG_ERR_INVAL);
  assert_null(c);
}

static void fingerprint_is_hash_of_der_for_every_hash(void **state)
{
  struct rg_cert *c = NULL;
  const int hashes[] = {RG_HASH_SHA1, RG_HASH_SHA224, RG_HASH_SHA256, RG_HASH_SHA384, RG_HASH_SHA512};
  const char *names[] = {"SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
  unsigned char *der = NULL;
  int der_len;
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, "fp", 2, NOW, 0), RG_OK);
  der_len = i2d_X509(c->x509, &der);
  assert_true(der_len > 0);
  for (int i = 0; i < 5; i++) {
    struct rg_fingerprint fp;
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t md_len = 0;
    assert_int_equal(rg_cert_fingerprint(c, hashes[i], &fp), RG_OK);
    assert_int_equal(fp.hash, hashes[i]);
    assert_int_equal(fp.len, rg_hash_len(hashes[i]));
    /* independent: the digest of the DER bytes, through EVP_Q_digest */
    assert_int_equal(EVP_Q_digest(NULL, names[i], NULL, der, (size_t)der_len, md, &md_len), 1);
    assert_int_equal(md_len, fp.len);
    assert_memory_equal(md, fp.value, md_len);
  }
  struct rg_fingerprint fp;
  assert_int_equal(rg_cert_fingerprint(c, RG_HASH_NONE, &fp), RG_ERR_INVAL);
  OPENSSL_free(der);
  rg_cert_free(c);
}

static void pem_round_trip_keeps_certificate_and_key(void **state)
{
  struct rg_cert *c = NULL, *back = NULL;
  struct rg_fingerprint f1, f2;
  char pem[8192];
  int n;
  assert_int_equal(rg_cert_generate(&c, RG_CERT_ECDSA_P256, "pem", 3, NOW, 0), RG_OK);
  n = rg_cert_write_pem(c, pem, sizeof pem);
  assert_true(n > 0);
  assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
  assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
  assert_int_equal(rg_cert_write_pem(c, pem, 10), RG_ERR_BUFFER);
  n = rg_cert_write_pem(c, pem, sizeof pem);
  assert_int_equal(rg_cert_load_pem(&back, pem, (size_t)n), RG_OK);
  rg_cert_fingerprint(c, RG_HASH_SHA256, &f1);
  rg_cert_fingerprint(back, RG_HASH_SHA256, &f2);
  assert_true(rg_fingerprint_equal(&f1, &f2));
  assert_int_equal(EVP_PKEY_eq(c->pkey, back->pkey), 1);
  rg_cert_free(back);
  back = NULL;

  /* key block first, certificate second */
  char *cut = strstr(pem, "-----BEGIN PRIVATE KEY-----");
  char swapped[8192];
  size_t cert_len = (size_t)(cut - pem), key_len = strlen(cut);
  memcpy(swapped, cut, key_len);
  memcpy(swapped + key_len, pem, cert_len);
  assert_int_equal(rg_cert_load_pem(&back, swapped, key_len + cert_len), RG_OK);
  rg_cert_free(back);
  rg_cert_free(c);
}

static void load_pem_rejects_garbage_mismatch_and_oversize(void **state)
{
  struct rg_cert *a = NULL, *b = NULL, *out = NULL;
  char pa[8192], pb[8192], mixed[16384];
  assert_int_equal(rg_cert_load_pem(&out, "hello", 5), RG_ERR_MALFORMED);
  assert_int_equal(rg_cert_generate(&a, RG_CERT_ECDSA_P256, "a", 1, NOW, 0), RG_OK);
  assert_int_equal(rg_cert_generate(&b, RG_CERT_ECDSA_P256, "b", 1, NOW, 0), RG_OK);
  int na = rg_cert_write_pem(a, pa, sizeof pa), nb = rg_cert_write_pem(b, pb, sizeof pb);
  assert_true(na > 0 && nb > 0);
  /* a's certificate with b's key */
  size_t ca = (size_t)(strstr(pa, "-----BEGIN PRIVATE KEY-----") - pa);
  const char *kb = strstr(pb, "-----BEGIN PRIVATE KEY-----");
  memcpy(mixed, pa, ca);
  memcpy(mixed + ca, kb, strlen(kb));
  assert_int_equal(rg_cert_load_pem(&out, mixed, ca + strlen(kb)), RG_ERR_INVAL);
  /* certificate only */
  assert_int_equal(rg_cert_load_pem(&out, pa, ca), RG_ERR_MALFORMED);
  assert_int_equal(rg_cert_load_pem(&out, pa, RG_CERT_PEM_MAX + 1), RG_ERR_TOO_LARGE);
  assert_null(out);
  rg_cert_free(a);
  rg_cert_free(b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(generate_ecdsa_makes_p256_self_signed_with_given_times),
    cmocka_unit_test(generate_uses_random_positive_serials),
    cmocka_unit_test(generate_rsa_makes_2048_bit_key),
    cmocka_unit_test(generate_rejects_bad_arguments),
    cmocka_unit_test(fingerprint_is_hash_of_der_for_every_hash),
    cmocka_unit_test(pem_round_trip_keeps_certificate_and_key),
    cmocka_unit_test(load_pem_rejects_garbage_mismatch_and_oversize),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
