/* rtcgate — what the DTLS core needs from a certificate (private to src/core). */
#ifndef RTCGATE_CERT_INTERNAL_H
#define RTCGATE_CERT_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rtcgate/cert.h"

struct rg_cert {
  X509 *x509;
  EVP_PKEY *pkey;
};

/* Hash of any certificate's DER encoding (a peer's, in the verify callback). */
int rgi_cert_fingerprint_x509(X509 *x509, int hash, struct rg_fingerprint *out);

#endif
