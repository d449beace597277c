/* The one first-byte table for the shared media port (RFC 7983 §7, RFC 9443 §3). */
#include "rtcgate/demux.h"
#include "rtcgate/rtcp.h"

/* Kinds before the RTP/RTCP split; RTP_OR_RTCP is resolved by the second byte. */
enum first_byte_class { FB_OTHER = 0, FB_STUN, FB_DTLS, FB_RTP_OR_RTCP };

struct first_byte_range {
  uint8_t first, last;
  uint8_t cls; /* enum first_byte_class */
};

/* Ranges not listed (4..15, 16..19 ZRTP, 64..79 TURN channel, 80..127 and
 * 192..255 QUIC per RFC 9443) are OTHER: nothing here speaks them. */
static const struct first_byte_range first_byte_table[] = {
  {0, 3, FB_STUN},
  {20, 63, FB_DTLS},
  {128, 191, FB_RTP_OR_RTCP},
};

static enum first_byte_class classify_first(uint8_t b)
{
  for (size_t i = 0; i < sizeof first_byte_table / sizeof first_byte_table[0]; i++) {
    if (b >= first_byte_table[i].first && b <= first_byte_table[i].last)
      return (enum first_byte_class)first_byte_table[i].cls;
  }
  return FB_OTHER;
}

enum rg_demux_kind rg_demux_classify(const uint8_t *buf, size_t len)
{
  if (buf == NULL || len == 0)
    return RG_DEMUX_OTHER;
  switch (classify_first(buf[0])) {
  case FB_STUN:
    return RG_DEMUX_STUN;
  case FB_DTLS:
    return RG_DEMUX_DTLS;
  case FB_RTP_OR_RTCP:
    if (len < 2)
      return RG_DEMUX_OTHER;
    /* RFC 5761 §4: RTCP packet types 192..223 occupy the second byte where RTP
     * has M + PT 64..95, which is why those RTP payload types are not used. */
    return buf[1] >= RG_RTCP_TYPE_MIN && buf[1] <= RG_RTCP_TYPE_MAX ? RG_DEMUX_RTCP : RG_DEMUX_RTP;
  default:
    return RG_DEMUX_OTHER;
  }
}

const char *rg_demux_kind_name(enum rg_demux_kind k)
{
  switch (k) {
  case RG_DEMUX_STUN: return "stun";
  case RG_DEMUX_DTLS: return "dtls";
  case RG_DEMUX_RTP: return "rtp";
  case RG_DEMUX_RTCP: return "rtcp";
  default: return "other";
  }
}
