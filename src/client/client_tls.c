/* librtcgate-client: server URLs, TCP connect, and TLS with the three ways
 * of trusting the server (system CAs, a CA file, a pinned certificate hash),
 * plus the explicit insecure mode. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"

int cl_url_parse(const char *url, struct cl_url *out)
{
  struct cl_url u;
  const char *p, *host, *host_end, *rest;
  unsigned long port = 443;
  size_t hlen;
  if (!url)
    return RG_ERR_INVAL;
  memset(&u, 0, sizeof u);
  /* TLS only: signalling never goes in clear (DESIGN.md, security contract item 1). */
  if (strncasecmp(url, "wss://", 6) == 0)
    p = url + 6;
  else if (strncasecmp(url, "https://", 8) == 0)
    p = url + 8;
  else
    return RG_ERR_UNSUPPORTED;
  if (*p == '[') {
    host = p + 1;
    host_end = strchr(host, ']');
    if (!host_end)
      return RG_ERR_MALFORMED;
    rest = host_end + 1;
  } else {
    host = p;
    host_end = host + strcspn(host, ":/?#");
    rest = host_end;
  }
  hlen = (size_t)(host_end - host);
  if (hlen == 0 || hlen >= sizeof u.host)
    return RG_ERR_MALFORMED;
  memcpy(u.host, host, hlen);
  if (*rest == ':') {
    char *end;
    errno = 0;
    port = strtoul(rest + 1, &end, 10);
    if (end == rest + 1 || errno || port == 0 || port > 65535)
      return RG_ERR_MALFORMED;
    rest = end;
  }
  if (*rest && *rest != '/')
    return RG_ERR_MALFORMED;
  if (strlen(rest) >= sizeof u.path)
    return RG_ERR_TOO_LARGE;
  for (const char *q = rest; *q; q++)
    if ((unsigned char)*q <= 0x20 || *q == 0x7f)
      return RG_ERR_MALFORMED; /* it goes into a request line */
  snprintf(u.path, sizeof u.path, "%s", rest);
  u.port = (uint16_t)port;
  {
    struct in6_addr a6;
    u.host_is_ip = inet_pton(AF_INET, u.host, &a6) == 1 || inet_pton(AF_INET6, u.host, &a6) == 1;
  }
  for (const char *q = u.host; *q; q++)
    if ((unsigned char)*q <= 0x20 || *q == '/' || *q == '@')
      return RG_ERR_MALFORMED;
  *out = u;
  return RG_OK;
}

static int hexval(char ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

int cl_pin_parse(const char *text, uint8_t out[32])
{
  uint8_t v[32];
  size_t n = 0;
  int hi = -1;
  if (!text)
    return RG_ERR_INVAL;
  /* Accept "sha-256 AB:CD:..." as a=fingerprint writes it, too. */
  if (strncasecmp(text, "sha-256 ", 8) == 0)
    text += 8;
  for (const char *p = text; *p; p++) {
    int x;
    if (*p == ':')
      continue;
    x = hexval(*p);
    if (x < 0 || n >= sizeof v)
      return RG_ERR_MALFORMED;
    if (hi < 0) {
      hi = x;
    } else {
      v[n++] = (uint8_t)(hi << 4 | x);
      hi = -1;
    }
  }
  if (n != sizeof v || hi >= 0)
    return RG_ERR_MALFORMED;
  memcpy(out, v, sizeof v);
  return RG_OK;
}

/* Index of the SSL ex_data slot holding the pin. OpenSSL hands such indexes
 * out per process, so this is the one piece of process-wide state here,
 * written once under pthread_once. */
static int g_pin_idx = -1;
static pthread_once_t g_pin_once = PTHREAD_ONCE_INIT;

static void pin_index_init(void)
{
  g_pin_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int pin_index(void)
{
  pthread_once(&g_pin_once, pin_index_init);
  return g_pin_idx;
}

/* Pinning: only the leaf certificate counts, and only its exact SHA-256; the
 * chain and the name are not consulted (the pin is the stronger statement). */
static int pin_verify_cb(int preverify_ok, X509_STORE_CTX *sx)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data(sx, SSL_get_ex_data_X509_STORE_CTX_idx());
  const uint8_t *pin = ssl ? SSL_get_ex_data(ssl, pin_index()) : NULL;
  X509 *leaf = X509_STORE_CTX_get0_cert(sx);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  (void)preverify_ok;
  if (!pin || !leaf)
    return 0;
  if (X509_STORE_CTX_get_error_depth(sx) > 0)
    return 1; /* intermediate or root: decided at depth 0 */
  if (X509_STORE_CTX_get_current_cert(sx) != leaf)
    return 1;
  if (!X509_digest(leaf, EVP_sha256(), md, &mdlen) || mdlen != 32)
    return 0;
  if (CRYPTO_memcmp(md, pin, 32) != 0) {
    X509_STORE_CTX_set_error(sx, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(sx, X509_V_OK);
  return 1;
}

int cl_tls_ctx_new(const struct rg_client_tls *tls, SSL_CTX **out, char *err, size_t err_cap)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    snprintf(err, err_cap, "SSL_CTX_new failed");
    return RG_ERR_CRYPTO;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  switch (tls->verify) {
  case RG_CLIENT_VERIFY_SYSTEM:
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      snprintf(err, err_cap, "cannot load the system CA store");
      goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    break;
  case RG_CLIENT_VERIFY_CA_FILE:
    if (!tls->ca_file || SSL_CTX_load_verify_locations(ctx, tls->ca_file, NULL) != 1) {
      snprintf(err, err_cap, "cannot load CA file %s", tls->ca_file ? tls->ca_file : "(none)");
      goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    break;
  case RG_CLIENT_VERIFY_PIN:
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, pin_verify_cb);
    break;
  case RG_CLIENT_VERIFY_INSECURE:
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    break;
  default:
    snprintf(err, err_cap, "unknown verify mode %d", tls->verify);
    goto fail;
  }
  *out = ctx;
  return RG_OK;
fail:
  SSL_CTX_free(ctx);
  return RG_ERR_INVAL;
}

int cl_tls_ssl_new(SSL_CTX *ctx, const struct rg_client_tls *tls, const struct cl_url *u, const uint8_t *pin,
                   int fd, SSL **out)
{
  SSL *ssl = SSL_new(ctx);
  if (!ssl)
    return RG_ERR_NOMEM;
  if (!u->host_is_ip && SSL_set_tlsext_host_name(ssl, u->host) != 1)
    goto fail;
  if (tls->verify == RG_CLIENT_VERIFY_SYSTEM || tls->verify == RG_CLIENT_VERIFY_CA_FILE) {
    X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
    int ok = u->host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, u->host) : X509_VERIFY_PARAM_set1_host(vp, u->host, 0);
    if (ok != 1)
      goto fail;
  }
  if (tls->verify == RG_CLIENT_VERIFY_PIN && (!pin || SSL_set_ex_data(ssl, pin_index(), (void *)pin) != 1))
    goto fail;
  if (SSL_set_fd(ssl, fd) != 1)
    goto fail;
  *out = ssl;
  return RG_OK;
fail:
  SSL_free(ssl);
  return RG_ERR_CRYPTO;
}

int cl_tcp_connect(const struct cl_url *u, int *fd_out)
{
  struct addrinfo hints, *res = NULL, *ai;
  char port[8];
  int fd = -1, rc = RG_ERR_NOT_FOUND;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = u->host_is_ip ? AI_NUMERICHOST : 0;
  snprintf(port, sizeof port, "%u", (unsigned)u->port);
  if (getaddrinfo(u->host, port, &hints, &res) != 0 || !res)
    return RG_ERR_NOT_FOUND;
  for (ai = res; ai; ai = ai->ai_next) {
    int one = 1;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      rc = RG_OK;
      break;
    }
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (rc == RG_OK)
    *fd_out = fd;
  return rc;
}

void cl_tls_error_text(SSL *ssl, int ret, char *buf, size_t cap)
{
  long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  unsigned long e = ERR_peek_last_error();
  (void)ret;
  if (vr != X509_V_OK)
    snprintf(buf, cap, "server certificate refused: %s", X509_verify_cert_error_string(vr));
  else if (e)
    snprintf(buf, cap, "TLS handshake failed: %s", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
  else
    snprintf(buf, cap, "TLS handshake failed (connection closed)");
  ERR_clear_error();
}
