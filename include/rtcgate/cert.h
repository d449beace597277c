/* rtcgate — a key pair and its self-signed X.509 certificate (RFC 5763 §5, RFC 8122).
 *
 * In WebRTC the certificate carries no identity of its own: the peer trusts it
 * because its hash equals the a=fingerprint of the signalled SDP. So the
 * certificate is self-signed, short-lived and cheap to make.
 *
 * Lifetime: the caller owns a struct rg_cert. A DTLS context built from it
 * (rg_dtls_ctx_new) takes its own OpenSSL references to the key and the
 * certificate (atomic refcounts inside OpenSSL), so the rg_cert may be freed
 * at any time after that; many DTLS sessions share the one context.
 */
#ifndef RTCGATE_CERT_H
#define RTCGATE_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "rtcgate/fingerprint.h"

struct rg_cert;

enum rg_cert_key {
  RG_CERT_ECDSA_P256 = 0, /* default: what browsers make too */
  RG_CERT_RSA_2048 = 1,
};

#define RG_CERT_CN_MAX 64                /* X.520 ub-common-name */
#define RG_CERT_VALIDITY_DAYS_DEFAULT 30 /* used when validity_days is 0 */
#define RG_CERT_VALIDITY_DAYS_MAX 3650
/* notBefore lies this far before now_unix so a peer whose clock is a little
 * behind does not see a certificate from the future. */
#define RG_CERT_BACKDATE_S 86400
#define RG_CERT_PEM_MAX 65536 /* largest PEM text accepted by rg_cert_load_pem */

/* Makes a fresh key pair and a self-signed v3 certificate: random positive
 * 64-bit serial, subject = issuer = CN=cn, signed with SHA-256, valid from
 * now_unix - RG_CERT_BACKDATE_S for validity_days (0: the default). The core
 * reads no clock: now_unix (seconds since 1970) comes from the caller. */
int rg_cert_generate(struct rg_cert **out, int key_type, const char *cn, size_t cn_len,
                     uint64_t now_unix, uint32_t validity_days);

/* Loads a certificate and its private key from PEM text holding both blocks
 * (any order; "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY"). The key
 * must match the certificate and be EC P-256 or RSA of at least 2048 bits. */
int rg_cert_load_pem(struct rg_cert **out, const char *pem, size_t len);

/* Writes the certificate PEM followed by the unencrypted PKCS#8 key PEM,
 * NUL-terminated; returns the length without the NUL or a negative rg_err. */
int rg_cert_write_pem(const struct rg_cert *cert, char *buf, size_t cap);

void rg_cert_free(struct rg_cert *cert);

/* Hash of the DER certificate with the given enum rg_hash, as a=fingerprint
 * carries it. */
int rg_cert_fingerprint(const struct rg_cert *cert, int hash, struct rg_fingerprint *out);

/* enum rg_cert_key of the certificate's key, or RG_ERR_UNSUPPORTED. */
int rg_cert_key_type(const struct rg_cert *cert);

#endif
