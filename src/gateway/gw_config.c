/* rtcgate gateway — settings: defaults, `key = value` config files, flags.
 *
 * Flags and config lines share rg_gw_config_set, so every flag is a config
 * key and the other way round (docs/config.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "rtcgate/error.h"

#define GW_CONFIG_LINE_MAX 2048
#define GW_CONFIG_LINES_MAX 1000

void rg_gw_config_defaults(struct rg_gw_config *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  snprintf(cfg->listen_ip, sizeof(cfg->listen_ip), "127.0.0.1");
  cfg->listen_port = 8443;
  snprintf(cfg->media_ip, sizeof(cfg->media_ip), "127.0.0.1");
  cfg->media_port = 10000;
  snprintf(cfg->state_dir, sizeof(cfg->state_dir), "./var");
#ifdef RG_SOURCE_DIR
  snprintf(cfg->web_dir, sizeof(cfg->web_dir), "%s/web", RG_SOURCE_DIR);
#else
  snprintf(cfg->web_dir, sizeof(cfg->web_dir), "./web");
#endif
  cfg->auth_timeout_ms = 10000;
  cfg->ring_timeout_ms = 60000;
  cfg->media_timeout_ms = 10000;
  cfg->max_calls = 1000;
  cfg->consent_timeout_ms = 30000; /* RFC 7675 §5.1 */
  cfg->max_unauth_sockets = 1000;  /* GW_WS_UNAUTH_DEFAULT */
  cfg->max_token_ttl_s = 86400;    /* GW_TTL_MAX_S: no cap beyond the ttl_s rule */
  cfg->media_workers = 1;
}

static bool parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
  if (!*v)
    return false;
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || *end || v[0] == '-' || n < min || n > max)
    return false;
  *out = (uint32_t)n;
  return true;
}

static bool valid_ip(const char *v)
{
  unsigned char buf[16];
  return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1;
}

static int set_ip(char *dst, const char *v, char *err, size_t cap, const char *key)
{
  if (strlen(v) >= RG_GW_IP_MAX || !valid_ip(v)) {
    snprintf(err, cap, "%s: not an IP address: %.64s", key, v);
    return RG_ERR_INVAL;
  }
  snprintf(dst, RG_GW_IP_MAX, "%s", v);
  return 0;
}

static int set_path(char *dst, const char *v, char *err, size_t cap, const char *key)
{
  if (!*v || strlen(v) >= RG_GW_PATH_MAX) {
    snprintf(err, cap, "%s: empty or too long path", key);
    return RG_ERR_INVAL;
  }
  snprintf(dst, RG_GW_PATH_MAX, "%s", v);
  return 0;
}

/* ADDR:PORT, [v6]:PORT or ADDR */
static int set_listen(struct rg_gw_config *cfg, const char *v, char *err, size_t cap)
{
  char host[RG_GW_IP_MAX];
  const char *colon = strrchr(v, ':');
  uint32_t port = cfg->listen_port;
  size_t hlen = strlen(v);
  if (v[0] == '[') {
    const char *close = strchr(v, ']');
    if (!close || (close[1] && close[1] != ':'))
      goto bad;
    hlen = (size_t)(close - v - 1);
    v++;
    colon = close[1] ? close + 1 : NULL;
  } else if (colon && strchr(v, ':') == colon) {
    hlen = (size_t)(colon - v);
  } else {
    colon = NULL; /* bare IPv6 address or bare IPv4 */
  }
  if (hlen == 0 || hlen >= sizeof(host))
    goto bad;
  memcpy(host, v, hlen);
  host[hlen] = '\0';
  if (colon && !parse_u32(colon + 1, 0, 65535, &port))
    goto bad;
  if (!valid_ip(host))
    goto bad;
  snprintf(cfg->listen_ip, sizeof(cfg->listen_ip), "%s", host);
  cfg->listen_port = (uint16_t)port;
  return 0;
bad:
  snprintf(err, cap, "listen: expected ADDR:PORT, got %.64s", v);
  return RG_ERR_INVAL;
}

static bool key_is(const char *key, const char *name)
{
  for (; *key && *name; key++, name++) {
    char k = *key == '_' ? '-' : *key;
    if (k != *name)
      return false;
  }
  return *key == '\0' && *name == '\0';
}

static int set_bool(bool *dst, const char *v, char *err, size_t cap, const char *key)
{
  if (!*v || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
    *dst = true;
  else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
    *dst = false;
  else {
    snprintf(err, cap, "%s: expected true or false", key);
    return RG_ERR_INVAL;
  }
  return 0;
}

static int set_u32(uint32_t *dst, const char *v, uint32_t min, uint32_t max, char *err, size_t cap, const char *key)
{
  if (!parse_u32(v, min, max, dst)) {
    snprintf(err, cap, "%s: expected an integer from %u to %u", key, (unsigned)min, (unsigned)max);
    return RG_ERR_INVAL;
  }
  return 0;
}

int rg_gw_config_set(struct rg_gw_config *cfg, const char *key, const char *value, char *err, size_t cap)
{
  uint32_t port;
  if (key_is(key, "listen"))
    return set_listen(cfg, value, err, cap);
  if (key_is(key, "media-address"))
    return set_ip(cfg->media_ip, value, err, cap, "media-address");
  if (key_is(key, "media-port")) {
    if (!parse_u32(value, 0, 65535, &port)) {
      snprintf(err, cap, "media-port: expected 0..65535");
      return RG_ERR_INVAL;
    }
    cfg->media_port = (uint16_t)port;
    return 0;
  }
  if (key_is(key, "cert"))
    return set_path(cfg->cert_file, value, err, cap, "cert");
  if (key_is(key, "key"))
    return set_path(cfg->key_file, value, err, cap, "key");
  if (key_is(key, "state-dir"))
    return set_path(cfg->state_dir, value, err, cap, "state-dir");
  if (key_is(key, "web-dir"))
    return set_path(cfg->web_dir, value, err, cap, "web-dir");
  if (key_is(key, "demo"))
    return set_bool(&cfg->demo, value, err, cap, "demo");
  if (key_is(key, "auth-timeout-ms"))
    return set_u32(&cfg->auth_timeout_ms, value, 100, 600000, err, cap, "auth-timeout-ms");
  if (key_is(key, "ring-timeout-ms"))
    return set_u32(&cfg->ring_timeout_ms, value, 100, 3600000, err, cap, "ring-timeout-ms");
  if (key_is(key, "media-timeout-ms"))
    return set_u32(&cfg->media_timeout_ms, value, 100, 600000, err, cap, "media-timeout-ms");
  if (key_is(key, "media-receive-buffer"))
    return set_u32(&cfg->media_receive_buffer, value, 65536, 268435456, err, cap, "media-receive-buffer");
  if (key_is(key, "media-workers"))
    return set_u32(&cfg->media_workers, value, 1, RG_GW_MEDIA_WORKERS_MAX, err, cap, "media-workers");
  if (key_is(key, "consent-timeout-ms"))
    return set_u32(&cfg->consent_timeout_ms, value, 100, 600000, err, cap, "consent-timeout-ms");
  if (key_is(key, "max-unauthenticated-sockets"))
    return set_u32(&cfg->max_unauth_sockets, value, 1, 10000, err, cap, "max-unauthenticated-sockets");
  if (key_is(key, "max-token-ttl-s"))
    return set_u32(&cfg->max_token_ttl_s, value, 1, 86400, err, cap, "max-token-ttl-s");
  if (key_is(key, "max-calls"))
    return set_u32(&cfg->max_calls, value, 1, 100000, err, cap, "max-calls");
  snprintf(err, cap, "unknown setting \"%.64s\"", key);
  return RG_ERR_NOT_FOUND;
}

static char *trim(char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
  return s;
}

int rg_gw_config_load_file(struct rg_gw_config *cfg, const char *path, char *err, size_t cap)
{
  FILE *f = fopen(path, "re");
  if (!f) {
    snprintf(err, cap, "%.200s: %s", path, strerror(errno));
    return RG_ERR_NOT_FOUND;
  }
  char line[GW_CONFIG_LINE_MAX];
  unsigned lineno = 0;
  int rc = 0;
  while (fgets(line, sizeof(line), f)) {
    lineno++;
    if (lineno > GW_CONFIG_LINES_MAX || (!strchr(line, '\n') && !feof(f))) {
      snprintf(err, cap, "%.200s:%u: line too long or too many lines", path, lineno);
      rc = RG_ERR_TOO_LARGE;
      break;
    }
    char *s = trim(line);
    if (!*s || *s == '#')
      continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      snprintf(err, cap, "%.200s:%u: expected key = value", path, lineno);
      rc = RG_ERR_INVAL;
      break;
    }
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    char e[160];
    rc = rg_gw_config_set(cfg, key, value, e, sizeof(e));
    if (rc) {
      snprintf(err, cap, "%.200s:%u: %s", path, lineno, e);
      break;
    }
  }
  fclose(f);
  return rc;
}
