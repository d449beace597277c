/* The shared DTLS context: one SSL_CTX per certificate and policy.
 *
 * Creating an SSL_CTX loads cipher tables and costs far more than an SSL, so
 * every leg of the broker shares one; per-leg settings (role, fingerprints,
 * SRTP order, MTU) go on the SSL. The policy is the security contract's:
 * DTLS 1.2 only, ECDHE with AEAD suites only, X25519 or P-256, the peer must
 * present a certificate, and its identity is the SDP fingerprint, checked in
 * verify_peer() instead of a chain to a trust anchor.
 */
#include "dtls_internal.h"

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cert_internal.h"
#include "rtcgate/error.h"

/* ECDSA first (our default certificate, Chromium's first offer), AES-GCM
 * before ChaCha20 (AES-NI). No CBC, no RSA key exchange, no PSK/anon. */
static const char cipher_list[] =
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
static const char groups_list[] = "X25519:P-256:P-384";

/* Replaces X509_verify_cert: a WebRTC peer's certificate is self-signed and
 * trusted only through its fingerprint. */
static int verify_peer(X509_STORE_CTX *store, void *arg)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct rg_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
  X509 *peer = X509_STORE_CTX_get0_cert(store);
  (void)arg;
  if (!d || !peer || !rgi_dtls_check_peer(d, peer)) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

int rg_dtls_ctx_new(struct rg_dtls_ctx **out, const struct rg_cert *cert)
{
  struct rg_dtls_ctx *c;
  SSL_CTX *s;
  if (!out || !cert)
    return RG_ERR_INVAL;
  c = calloc(1, sizeof *c);
  if (!c)
    return RG_ERR_NOMEM;
  c->ssl_ctx = s = SSL_CTX_new(DTLS_method());
  c->bio_method = rgi_dtls_bio_method_new();
  if (!s || !c->bio_method)
    goto fail;
  /* OpenSSL 3.0 has no DTLS 1.3; the cap still documents and pins it. */
  if (!SSL_CTX_set_min_proto_version(s, DTLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(s, DTLS1_2_VERSION))
    goto fail;
  if (SSL_CTX_set_cipher_list(s, cipher_list) != 1 || SSL_CTX_set1_groups_list(s, groups_list) != 1)
    goto fail;
  /* Our MTU is given, never probed; no tickets, renegotiation or compression;
   * a fresh handshake per leg (no session cache). */
  SSL_CTX_set_options(s, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                           SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate(s, cert->x509) != 1 || SSL_CTX_use_PrivateKey(s, cert->pkey) != 1 ||
      SSL_CTX_check_private_key(s) != 1)
    goto fail;
  /* Server role asks for the client's certificate and refuses a handshake
   * without one; both roles verify by fingerprint. */
  SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  SSL_CTX_set_cert_verify_callback(s, verify_peer, NULL);
  ERR_clear_error();
  *out = c;
  return RG_OK;
fail:
  ERR_clear_error();
  rg_dtls_ctx_free(c);
  return RG_ERR_CRYPTO;
}

void rg_dtls_ctx_free(struct rg_dtls_ctx *ctx)
{
  if (!ctx)
    return;
  SSL_CTX_free(ctx->ssl_ctx);
  BIO_meth_free(ctx->bio_method);
  free(ctx);
}
