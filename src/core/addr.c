/* Plain-data transport addresses: comparison, formatting and parsing. */
#include "rtcgate/addr.h"
#include "rtcgate/error.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

bool rg_addr_equal(const struct rg_addr *a, const struct rg_addr *b)
{
  if (a->family != b->family || a->port != b->port)
    return false;
  return memcmp(a->ip, b->ip, a->family == RG_AF_INET4 ? 4 : 16) == 0;
}

const char *rg_addr_format(const struct rg_addr *a, char *buf, size_t cap)
{
  char ip[INET6_ADDRSTRLEN];
  if (a->family == RG_AF_INET4 && inet_ntop(AF_INET, a->ip, ip, sizeof ip))
    snprintf(buf, cap, "%s:%u", ip, (unsigned)a->port);
  else if (a->family == RG_AF_INET6 && inet_ntop(AF_INET6, a->ip, ip, sizeof ip))
    snprintf(buf, cap, "[%s]:%u", ip, (unsigned)a->port);
  else
    snprintf(buf, cap, "(none)");
  return buf;
}

int rg_addr_parse_ip(struct rg_addr *a, const char *ip, size_t len, uint16_t port)
{
  char tmp[INET6_ADDRSTRLEN];
  struct rg_addr out;
  if (len == 0 || len >= sizeof tmp)
    return RG_ERR_MALFORMED;
  memcpy(tmp, ip, len);
  tmp[len] = '\0';
  memset(&out, 0, sizeof out);
  out.port = port;
  if (inet_pton(AF_INET, tmp, out.ip) == 1)
    out.family = RG_AF_INET4;
  else if (inet_pton(AF_INET6, tmp, out.ip) == 1)
    out.family = RG_AF_INET6;
  else
    return RG_ERR_MALFORMED;
  *a = out;
  return RG_OK;
}
