/* rtcgate — a transport address as the cores see it.
 *
 * The cores know no sockets; an address is plain data (family, bytes, port).
 * src/io converts between this and struct sockaddr.
 */
#ifndef RTCGATE_ADDR_H
#define RTCGATE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rg_af { RG_AF_NONE = 0, RG_AF_INET4 = 4, RG_AF_INET6 = 6 };

struct rg_addr {
  uint8_t family;  /* enum rg_af */
  uint16_t port;   /* host byte order */
  uint8_t ip[16];  /* IPv4 uses the first 4 bytes; the rest are zero */
};

bool rg_addr_equal(const struct rg_addr *a, const struct rg_addr *b);

/* Formats "1.2.3.4:5" or "[::1]:5" into buf (at least RG_ADDR_STRLEN bytes). */
#define RG_ADDR_STRLEN 48
const char *rg_addr_format(const struct rg_addr *a, char *buf, size_t cap);

/* Parses an IPv4 or IPv6 literal (no port) into a; port is set as given. */
int rg_addr_parse_ip(struct rg_addr *a, const char *ip, size_t len, uint16_t port);

#endif
