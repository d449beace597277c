/* Big-endian field access shared by the RTP, RTCP and SSRC-policy cores.
 * Byte-wise so it is alignment-safe on any input pointer. */
#ifndef RTCGATE_RTP_BYTES_INTERNAL_H
#define RTCGATE_RTP_BYTES_INTERNAL_H

#include <stdint.h>

static inline uint16_t rg_be16(const uint8_t *p)
{
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rg_be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void rg_put_be16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void rg_put_be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#endif
