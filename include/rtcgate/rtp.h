/* rtcgate — RTP packet view (RFC 3550 §5.1) and header extensions (RFC 8285).
 *
 * The parser is zero-copy: struct rg_rtp_view points into the caller's bytes
 * and is valid as long as they are. It runs on plaintext (after SRTP unprotect
 * or before SRTP protect); the SRTP trailer is not part of the input.
 * The setters rewrite SSRC / sequence / timestamp / payload type in place, as
 * the broker does when it relays a packet between legs.
 */
#ifndef RTCGATE_RTP_H
#define RTCGATE_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_RTP_VERSION 2
#define RG_RTP_FIXED_HEADER_LEN 12 /* V..SSRC, RFC 3550 §5.1 */
#define RG_RTP_MAX_CSRC 15         /* CC is 4 bits */
#define RG_RTP_EXT_HEADER_LEN 4    /* "defined by profile" + length in 32-bit words */
#define RG_RTP_EXT_ONE_BYTE_PROFILE 0xBEDEu  /* RFC 8285 §4.2 */
#define RG_RTP_EXT_TWO_BYTE_PROFILE 0x1000u  /* RFC 8285 §4.3: 0x100 + 4 "appbits" */
#define RG_RTP_EXT_TWO_BYTE_MASK 0xFFF0u
#define RG_RTP_EXT_ONE_BYTE_ID_MAX 14     /* ID 15 ends processing, ID 0 is padding */
#define RG_RTP_EXT_ONE_BYTE_DATA_MAX 16   /* L + 1 with a 4-bit L */
#define RG_RTP_EXT_ONE_BYTE_ID_STOP 15
#define RG_RTP_PT_MAX 127

/* A parsed RTP packet. Every pointer points into the parsed buffer. */
struct rg_rtp_view {
  const uint8_t *buf;       /* whole packet */
  size_t len;               /* whole packet length */
  uint8_t version;          /* always 2 after a successful parse */
  bool padding;             /* P bit */
  bool extension;           /* X bit */
  uint8_t csrc_count;       /* CC */
  bool marker;              /* M bit */
  uint8_t payload_type;     /* 0..127 */
  uint16_t seq;
  uint32_t timestamp;
  uint32_t ssrc;
  uint16_t ext_profile;     /* "defined by profile" field; 0 when !extension */
  const uint8_t *ext_data;  /* extension body after its 4-byte header; NULL when !extension */
  size_t ext_len;           /* bytes of ext_data (4 * length field) */
  size_t header_len;        /* fixed header + CSRCs + extension = payload offset */
  size_t payload_len;       /* bytes between header and padding */
  uint8_t padding_len;      /* trailing padding bytes incl. the count byte; 0 when !padding */
};

/* Parses buf[0..len). Returns RG_OK and fills *out, or RG_ERR_MALFORMED for a
 * version other than 2, a truncated header/CSRC list/extension, or padding
 * that is zero or longer than the payload. *out is untouched on error. */
int rg_rtp_parse(const uint8_t *buf, size_t len, struct rg_rtp_view *out);

/* The i-th CSRC (i < view->csrc_count). */
uint32_t rg_rtp_csrc(const struct rg_rtp_view *v, unsigned i);

static inline const uint8_t *rg_rtp_payload(const struct rg_rtp_view *v)
{
  return v->buf + v->header_len;
}

/* --- RFC 8285 header extension elements --------------------------------- */

enum rg_rtp_ext_form {
  RG_RTP_EXT_FORM_NONE = 0,   /* no X bit */
  RG_RTP_EXT_FORM_ONE_BYTE,   /* 0xBEDE */
  RG_RTP_EXT_FORM_TWO_BYTE,   /* 0x100x */
  RG_RTP_EXT_FORM_PROFILE,    /* any other profile-defined extension: opaque */
};

enum rg_rtp_ext_form rg_rtp_ext_form(const struct rg_rtp_view *v);

struct rg_rtp_ext_elem {
  uint8_t id;            /* 1..14 (one-byte) or 1..255 (two-byte) */
  uint8_t len;           /* data bytes: 1..16 (one-byte), 0..255 (two-byte) */
  const uint8_t *data;
};

struct rg_rtp_ext_iter {
  const uint8_t *p;
  size_t len;
  size_t off;
  uint8_t form;          /* enum rg_rtp_ext_form */
};

/* Starts iteration over the elements of a one- or two-byte extension.
 * RG_ERR_NOT_FOUND when the packet has no extension, RG_ERR_UNSUPPORTED when
 * it is a profile-defined (non RFC 8285) extension. */
int rg_rtp_ext_iter_init(struct rg_rtp_ext_iter *it, const struct rg_rtp_view *v);

/* Returns 1 and fills *out with the next element, 0 at the end (including an
 * ID 15 stop marker in the one-byte form), RG_ERR_MALFORMED when an element
 * runs past the extension. Padding bytes (ID 0) are skipped. */
int rg_rtp_ext_next(struct rg_rtp_ext_iter *it, struct rg_rtp_ext_elem *out);

/* The first element with this id: RG_OK, RG_ERR_NOT_FOUND, or an iteration error. */
int rg_rtp_ext_find(const struct rg_rtp_view *v, uint8_t id, struct rg_rtp_ext_elem *out);

/* --- In-place rewriting (the broker's SSRC/sequence translation) -------- */

/* Each returns RG_ERR_MALFORMED when len < 12 (nothing written), else RG_OK.
 * They touch only their own field: marker bit and the rest are kept. */
int rg_rtp_set_ssrc(uint8_t *buf, size_t len, uint32_t ssrc);
int rg_rtp_set_seq(uint8_t *buf, size_t len, uint16_t seq);
int rg_rtp_set_timestamp(uint8_t *buf, size_t len, uint32_t ts);
/* RG_ERR_INVAL when pt > 127. */
int rg_rtp_set_payload_type(uint8_t *buf, size_t len, uint8_t pt);

#endif
