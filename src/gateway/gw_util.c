/* rtcgate gateway — small helpers: clocks, name syntax, base64url, hashes. */
#include <openssl/evp.h>
#include <string.h>
#include <time.h>

#include "gateway/gw_internal.h"

uint64_t gw_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t gw_unix_now(void)
{
  return (int64_t)time(NULL);
}

/* [A-Za-z0-9._-]{1,64} */
bool gw_valid_user(const char *s, size_t len)
{
  if (len < 1 || len > GW_USER_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    char ch = s[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-';
    if (!ok)
      return false;
  }
  return true;
}

/* [A-Za-z0-9_-]{8,64} */
bool gw_valid_call_id(const char *s, size_t len)
{
  if (len < 8 || len > RG_CALL_ID_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    char ch = s[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-';
    if (!ok)
      return false;
  }
  return true;
}

/* RFC 4648 §5 without padding; returns the text length or 0 if cap is short. */
size_t gw_b64url(const uint8_t *in, size_t len, char *out, size_t cap)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t need = (len * 4 + 2) / 3;
  if (cap < need + 1)
    return 0;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < len)
      v |= in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    if (i + 1 < len)
      out[o++] = alphabet[(v >> 6) & 63];
    if (i + 2 < len)
      out[o++] = alphabet[v & 63];
  }
  out[o] = '\0';
  return o;
}

void gw_sha256(const void *data, size_t len, uint8_t out[32])
{
  unsigned int n = 32;
  if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
    memset(out, 0, 32); /* cannot happen with the default provider; an all-zero hash matches nothing issued */
}

void gw_rfc3339(int64_t t, char out[32])
{
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool gw_reason_valid(const char *r)
{
  static const char *const reasons[] = {"normal", "rejected", "busy", "not_found",
                                        "forbidden", "media_failed", "timeout", "gone"};
  for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
    if (strcmp(r, reasons[i]) == 0)
      return true;
  return false;
}
