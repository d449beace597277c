/* rtcgate — sorting a datagram on the shared UDP port by its first byte
 * (RFC 7983 §7, as updated by RFC 9443 §3), RTP vs RTCP by the second (RFC 5761 §4).
 *
 *   first byte   0..3    STUN
 *               16..19   ZRTP           -> OTHER (not spoken here)
 *               20..63   DTLS
 *               64..79   TURN channel   -> OTHER (no TURN server here)
 *              128..191  RTP or RTCP: RTCP when the second byte is 192..223
 *   everything else, an empty datagram, or a 1-byte 128..191 -> OTHER
 */
#ifndef RTCGATE_DEMUX_H
#define RTCGATE_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum rg_demux_kind {
  RG_DEMUX_OTHER = 0,
  RG_DEMUX_STUN,
  RG_DEMUX_DTLS,
  RG_DEMUX_RTP,
  RG_DEMUX_RTCP,
};

enum rg_demux_kind rg_demux_classify(const uint8_t *buf, size_t len);

/* "stun", "dtls", "rtp", "rtcp", "other". */
const char *rg_demux_kind_name(enum rg_demux_kind k);

#endif
