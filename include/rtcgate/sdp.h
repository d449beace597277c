/* rtcgate — SDP model, parser, writer and builder (RFC 8866, offer/answer
 * RFC 3264, the JSEP / Unified Plan subset that browsers send).
 *
 * rg_sdp_parse() turns SDP text (CRLF or LF line ends) into a model; the
 * writer turns the model back into text with CRLF. Attributes the model knows
 * are parsed into typed fields; every other attribute is kept verbatim and in
 * order, so parse -> write gives back the lines of a browser SDP unchanged.
 *
 * Memory: each struct rg_sdp owns one arena, capped at RG_SDP_ARENA_MAX; all
 * strings and arrays of the model live in it and go with rg_sdp_free(). The
 * builder allocates from the same arena (removed attributes are not reclaimed
 * until the SDP is freed), so a long chain of rewrites eventually reports
 * RG_ERR_TOO_LARGE rather than growing without bound.
 *
 * All strings in the model are NUL-terminated and contain no CR, LF or NUL.
 */
#ifndef RTCGATE_SDP_H
#define RTCGATE_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/addr.h"
#include "rtcgate/fingerprint.h"

/* Limits. Browser SDPs are a few KiB; these leave wide room for large
 * group calls while bounding the work and memory one input can cause. */
#define RG_SDP_MAX_SIZE          65536u /* bytes of SDP text */
#define RG_SDP_MAX_LINE          4096u  /* bytes of one line, without CR LF */
#define RG_SDP_MAX_LINES         8192u  /* lines in one SDP */
#define RG_SDP_MAX_MEDIA         64u    /* m-sections */
#define RG_SDP_MAX_ATTRS         512u   /* a= lines per section (session or media) */
#define RG_SDP_MAX_CANDIDATES    64u    /* a=candidate per section */
#define RG_SDP_MAX_FINGERPRINTS  8u     /* a=fingerprint per section */
#define RG_SDP_MAX_SSRC_LINES    256u   /* a=ssrc lines per section */
#define RG_SDP_MAX_SSRCS         32u    /* distinct SSRC ids per section */
#define RG_SDP_MAX_SSRC_GROUP_IDS 16u   /* ids in one a=ssrc-group */
#define RG_SDP_MAX_GROUP_MIDS    RG_SDP_MAX_MEDIA /* mids in one a=group */
#define RG_SDP_MAX_FORMATS       128u   /* formats on one m= line */
#define RG_SDP_MAX_BANDWIDTHS    8u     /* b= lines per section */
#define RG_SDP_MAX_EXTRA_LINES   16u    /* i= u= e= p= r= z= k= (and further t=) per section */
#define RG_SDP_MAX_TOKEN         256u   /* one space-separated token (ice-pwd may be 256) */
#define RG_SDP_ARENA_MAX         (2u * 1024u * 1024u) /* model memory per SDP */
#define RG_SDP_REASON_MAX        192u

/* Where and why parsing (or a check) failed. line is 1-based; 0 when the
 * error is not tied to a line (size of the whole input, a missing line, an
 * SDP made by the builder). */
struct rg_sdp_error {
  unsigned line;
  int code;  /* the negative rg_err that was returned */
  int check; /* enum rg_sdp_check for rg_sdp_check_webrtc(), else 0 */
  char reason[RG_SDP_REASON_MAX];
};

enum rg_sdp_media_kind {
  RG_SDP_MEDIA_OTHER = 0,
  RG_SDP_MEDIA_AUDIO,
  RG_SDP_MEDIA_VIDEO,
  RG_SDP_MEDIA_APPLICATION,
};

enum rg_sdp_dir {
  RG_SDP_DIR_NONE = 0, /* no direction attribute (sendrecv is implied) */
  RG_SDP_DIR_SENDRECV,
  RG_SDP_DIR_SENDONLY,
  RG_SDP_DIR_RECVONLY,
  RG_SDP_DIR_INACTIVE,
};

enum rg_sdp_setup {
  RG_SDP_SETUP_NONE = 0, /* no a=setup */
  RG_SDP_SETUP_ACTPASS,
  RG_SDP_SETUP_ACTIVE,
  RG_SDP_SETUP_PASSIVE,
  RG_SDP_SETUP_HOLDCONN,
  RG_SDP_SETUP_UNKNOWN, /* a=setup with another value; the text is in attr->value */
};

enum rg_sdp_attr_kind {
  RG_SDP_ATTR_OTHER = 0,        /* kept verbatim: name, value */
  RG_SDP_ATTR_GROUP,            /* a=group:BUNDLE 0 1 */
  RG_SDP_ATTR_MSID_SEMANTIC,    /* a=msid-semantic: WMS * (value verbatim) */
  RG_SDP_ATTR_ICE_LITE,
  RG_SDP_ATTR_ICE_OPTIONS,      /* value verbatim, e.g. "trickle" */
  RG_SDP_ATTR_ICE_UFRAG,        /* u.str */
  RG_SDP_ATTR_ICE_PWD,          /* u.str */
  RG_SDP_ATTR_FINGERPRINT,      /* u.fingerprint; hash NONE = unsupported, text in value */
  RG_SDP_ATTR_SETUP,            /* u.setup */
  RG_SDP_ATTR_EXTMAP_ALLOW_MIXED,
  RG_SDP_ATTR_MID,              /* u.str */
  RG_SDP_ATTR_DIRECTION,        /* u.dir: a=sendrecv / sendonly / recvonly / inactive */
  RG_SDP_ATTR_RTCP_MUX,
  RG_SDP_ATTR_RTCP_RSIZE,
  RG_SDP_ATTR_RTCP,             /* u.rtcp */
  RG_SDP_ATTR_CANDIDATE,        /* u.candidate */
  RG_SDP_ATTR_END_OF_CANDIDATES,
  RG_SDP_ATTR_SSRC,             /* u.ssrc */
  RG_SDP_ATTR_SSRC_GROUP,       /* u.ssrc_group */
  RG_SDP_ATTR_RTPMAP,           /* u.rtpmap */
  RG_SDP_ATTR_FMTP,             /* u.fmtp */
  RG_SDP_ATTR_RTCP_FB,          /* u.rtcp_fb */
  RG_SDP_ATTR_EXTMAP,           /* u.extmap */
  RG_SDP_ATTR_MSID,             /* u.msid */
  RG_SDP_ATTR_CRYPTO,           /* u.crypto (SDES; ignored by rtcgate, droppable) */
  RG_SDP_ATTR_KIND_COUNT
};

struct rg_sdp_group {
  const char *semantics; /* "BUNDLE", "LS", ... */
  size_t n_mids;
  const char **mids;
};

/* a=candidate (RFC 8839 §5.1). */
struct rg_sdp_candidate {
  const char *foundation;
  uint32_t component;
  const char *transport; /* as written: "udp", "UDP", "tcp" */
  uint32_t priority;
  const char *address;   /* IP literal or an mDNS name (xxx.local) */
  struct rg_addr addr;   /* address + port when address is an IP literal; family NONE otherwise */
  uint16_t port;
  const char *type;      /* "host", "srflx", "prflx", "relay" */
  const char *raddr;     /* NULL when there is no raddr/rport */
  uint16_t rport;
  const char *rest;      /* extension attributes verbatim ("generation 0 ..."), or NULL */
};

struct rg_sdp_ssrc {
  uint32_t id;
  const char *attribute; /* "cname", "msid", ... */
  const char *value;     /* after the ':' (may hold spaces), NULL when there is none */
};

struct rg_sdp_ssrc_group {
  const char *semantics; /* "FID", "SIM", ... */
  size_t n_ids;
  uint32_t ids[RG_SDP_MAX_SSRC_GROUP_IDS];
};

struct rg_sdp_rtpmap {
  uint8_t pt;
  const char *encoding;
  uint32_t clock_rate;
  uint16_t channels; /* 0 when not written */
};

struct rg_sdp_fmtp {
  const char *format; /* payload type (or other format token) */
  const char *params; /* verbatim */
};

struct rg_sdp_rtcp_fb {
  const char *format; /* payload type or "*" */
  const char *value;  /* "nack pli", "transport-cc", ... verbatim */
};

struct rg_sdp_extmap {
  uint16_t id;
  int direction;     /* enum rg_sdp_dir; NONE when not written */
  const char *uri;
  const char *extra; /* extension attributes verbatim, or NULL */
};

struct rg_sdp_msid {
  const char *id;
  const char *appdata; /* NULL when absent */
};

struct rg_sdp_crypto {
  uint32_t tag;
  const char *suite;
  const char *params; /* key params and session params verbatim */
};

struct rg_sdp_rtcp {
  uint16_t port;
  const char *nettype;  /* NULL when the line has the port only */
  const char *addrtype;
  const char *address;
};

struct rg_sdp_attr {
  struct rg_sdp_attr *next;
  int kind;          /* enum rg_sdp_attr_kind */
  const char *name;  /* attribute name ("candidate", or the unknown name as written) */
  /* Raw value text after the ':' (NULL when there was no ':'). It is the
   * model for OTHER, ICE_OPTIONS and MSID_SEMANTIC, and for SETUP_UNKNOWN and
   * unsupported fingerprints; NULL for the other typed kinds. */
  const char *value;
  unsigned line;     /* 1-based source line; 0 when made by the builder */
  union {
    const char *str;
    int dir;
    int setup;
    struct rg_fingerprint fingerprint;
    struct rg_sdp_group group;
    struct rg_sdp_rtcp rtcp;
    struct rg_sdp_candidate candidate;
    struct rg_sdp_ssrc ssrc;
    struct rg_sdp_ssrc_group ssrc_group;
    struct rg_sdp_rtpmap rtpmap;
    struct rg_sdp_fmtp fmtp;
    struct rg_sdp_rtcp_fb rtcp_fb;
    struct rg_sdp_extmap extmap;
    struct rg_sdp_msid msid;
    struct rg_sdp_crypto crypto;
  } u;
};

/* Ordered attributes of one section; the counts are kept by the library. */
struct rg_sdp_attrs {
  struct rg_sdp_attr *head, *tail;
  size_t n;
  uint16_t count[RG_SDP_ATTR_KIND_COUNT];
  size_t n_ssrcs; /* distinct ids from a=ssrc and a=ssrc-group, in first-seen order */
  uint32_t ssrcs[RG_SDP_MAX_SSRCS];
};

struct rg_sdp_conn {
  const char *nettype;  /* "IN" */
  const char *addrtype; /* "IP4", "IP6" */
  const char *address;  /* as written (may carry /ttl) */
};

struct rg_sdp_bandwidth {
  const char *type; /* "AS", "TIAS", ... */
  uint32_t value;
};

/* A line the model does not interpret (i=, u=, e=, p=, r=, z=, k=, further
 * t=), kept verbatim at its place in RFC 8866 order. */
struct rg_sdp_line {
  struct rg_sdp_line *next;
  char type;
  const char *value;
};

struct rg_sdp_media {
  unsigned line;        /* line of the m= (0 when built) */
  int kind;             /* enum rg_sdp_media_kind */
  const char *media;    /* "audio", "video", "application", ... as written */
  uint16_t port;
  uint16_t port_count;  /* "port/count"; 0 when not written */
  const char *proto;    /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
  size_t n_formats;
  const char **formats;
  bool has_conn;
  struct rg_sdp_conn conn;
  size_t n_bandwidths;
  struct rg_sdp_bandwidth bandwidths[RG_SDP_MAX_BANDWIDTHS];
  size_t n_extra;
  struct rg_sdp_line *extra, *extra_tail;
  struct rg_sdp_attrs attrs;
};

struct rg_sdp_origin {
  const char *username;
  const char *sess_id; /* digits, kept as text: some agents exceed 64 bits */
  uint64_t sess_version;
  const char *nettype, *addrtype, *address;
};

struct rg_sdp_arena_block;

struct rg_sdp {
  struct rg_sdp_origin origin;
  const char *name; /* s= */
  bool has_conn;
  struct rg_sdp_conn conn;
  size_t n_bandwidths;
  struct rg_sdp_bandwidth bandwidths[RG_SDP_MAX_BANDWIDTHS];
  uint64_t t_start, t_stop;
  size_t n_extra;
  struct rg_sdp_line *extra, *extra_tail;
  struct rg_sdp_attrs attrs; /* session-level attributes */
  size_t n_media;
  struct rg_sdp_media *media[RG_SDP_MAX_MEDIA];
  /* private: the arena */
  struct rg_sdp_arena_block *arena_;
  size_t arena_used_;
};

/* ---- parse / write ---------------------------------------------------- */

enum rg_sdp_parse_flags {
  RG_SDP_PARSE_DROP_CRYPTO = 1u << 0, /* skip a=crypto lines unread (rtcgate ignores SDES) */
};

/* Parses len bytes of SDP text. On success *out is a new SDP (free it with
 * rg_sdp_free). On failure returns a negative rg_err (MALFORMED, TOO_LARGE,
 * NOMEM) and, when err is not NULL, fills it with the line and reason. */
int rg_sdp_parse(const char *text, size_t len, unsigned flags, struct rg_sdp **out,
                 struct rg_sdp_error *err);
void rg_sdp_free(struct rg_sdp *sdp);

/* Length of the text rg_sdp_write() produces (CRLF line ends, no NUL). */
size_t rg_sdp_write_len(const struct rg_sdp *sdp);
/* Writes the SDP and a terminating NUL into buf; *out_len gets the length
 * without the NUL. RG_ERR_BUFFER when cap < rg_sdp_write_len() + 1. */
int rg_sdp_write(const struct rg_sdp *sdp, char *buf, size_t cap, size_t *out_len);

/* ---- lookup and resolved views ---------------------------------------- */

const char *rg_sdp_attr_kind_name(int kind); /* "candidate", ... ("" for OTHER) */
/* Next attribute of kind after prev (NULL: the first) in a list. */
const struct rg_sdp_attr *rg_sdp_attr_find(const struct rg_sdp_attrs *attrs, int kind,
                                           const struct rg_sdp_attr *prev);
/* First OTHER attribute with this name, e.g. "sctp-port". */
const struct rg_sdp_attr *rg_sdp_attr_find_name(const struct rg_sdp_attrs *attrs, const char *name);
const char *rg_sdp_media_mid(const struct rg_sdp_media *m);  /* NULL when none */
int rg_sdp_media_direction(const struct rg_sdp_media *m);    /* enum rg_sdp_dir, NONE when none */
/* Index of the section with this mid, or -1. */
int rg_sdp_find_mid(const struct rg_sdp *sdp, const char *mid);

/* Transport parameters of a media section after media-level attributes
 * override session-level ones (RFC 8839 §5.4, RFC 8122 §5, RFC 4145 §4). */
struct rg_sdp_transport {
  const char *ice_ufrag, *ice_pwd; /* NULL when absent */
  const char *ice_options;         /* NULL when absent */
  bool ice_lite;                   /* session-level a=ice-lite */
  int setup;                       /* enum rg_sdp_setup */
  size_t n_fingerprints;           /* supported hashes only */
  struct rg_fingerprint fingerprints[RG_SDP_MAX_FINGERPRINTS];
  size_t n_unsupported_fingerprints; /* md5, md2, unknown names */
  bool rtcp_mux;
};
int rg_sdp_media_transport(const struct rg_sdp *sdp, size_t index, struct rg_sdp_transport *out);

/* SSRCs (a=ssrc and a=ssrc-group) of one section / of the whole SDP, distinct,
 * in first-seen order. RG_ERR_BUFFER when cap is too small (*n gets the need). */
int rg_sdp_media_ssrcs(const struct rg_sdp_media *m, uint32_t *out, size_t cap, size_t *n);
int rg_sdp_ssrcs(const struct rg_sdp *sdp, uint32_t *out, size_t cap, size_t *n);

/* What rg_sdp_check_webrtc() refused (struct rg_sdp_error.check). */
enum rg_sdp_check {
  RG_SDP_CHECK_OK = 0,
  RG_SDP_CHECK_NO_MEDIA,
  RG_SDP_CHECK_PLAIN_RTP,      /* RTP/AVP(F): no encryption */
  RG_SDP_CHECK_SDES_ONLY,      /* a=crypto and no a=fingerprint */
  RG_SDP_CHECK_BAD_PROTO,      /* a proto rtcgate does not carry */
  RG_SDP_CHECK_NO_FINGERPRINT,
  RG_SDP_CHECK_BAD_HASH,       /* only unsupported hashes (md5, ...) */
  RG_SDP_CHECK_NO_SETUP,
  RG_SDP_CHECK_BAD_SETUP,
  RG_SDP_CHECK_NO_ICE,         /* no ice-ufrag or ice-pwd */
  RG_SDP_CHECK_BAD_ICE,        /* ice-ufrag/pwd length or characters (RFC 8839 §5.4) */
  RG_SDP_CHECK_NO_RTCP_MUX,
};
/* Security contract item 2 (docs/sdp.md): every active (port != 0) section
 * carries a supported fingerprint, a valid a=setup, ICE credentials and, on
 * RTP sections, rtcp-mux; plain RTP and SDES-only sections are refused.
 * Returns 0 or RG_ERR_UNSUPPORTED with err filled (line of the m=). */
int rg_sdp_check_webrtc(const struct rg_sdp *sdp, struct rg_sdp_error *err);

/* ---- builder ---------------------------------------------------------- */

/* A new SDP: v=0, o=- <sess_id> 1 IN IP4 0.0.0.0, s=-, t=0 0; sess_id is
 * digits (NULL: "0"). */
int rg_sdp_new(struct rg_sdp **out, const char *sess_id);
int rg_sdp_set_origin(struct rg_sdp *sdp, const char *username, const char *sess_id,
                      uint64_t sess_version, const char *address);
/* m is NULL for session level. address e.g. "0.0.0.0"; IP6 when it has ':'. */
int rg_sdp_set_conn(struct rg_sdp *sdp, struct rg_sdp_media *m, const char *address);
/* Appends an m-section "m=<media> <port> <proto> <formats...>". */
int rg_sdp_add_media(struct rg_sdp *sdp, const char *media, uint16_t port, const char *proto,
                     const char *const *formats, size_t n_formats, struct rg_sdp_media **out);
/* Appends "a=<name>[:<value>]" (value NULL: none) to a section (m NULL:
 * session), parsed exactly as the parser would: a typed attribute when the
 * name is known. Malformed values and CR/LF/NUL are refused. */
int rg_sdp_add_attr(struct rg_sdp *sdp, struct rg_sdp_media *m, const char *name, const char *value);
int rg_sdp_add_fingerprint(struct rg_sdp *sdp, struct rg_sdp_media *m, const struct rg_fingerprint *fp);
int rg_sdp_add_candidate(struct rg_sdp *sdp, struct rg_sdp_media *m, const struct rg_sdp_candidate *c);
/* Removes every attribute of kind from a section; returns how many. */
size_t rg_sdp_remove_attrs(struct rg_sdp *sdp, struct rg_sdp_media *m, int kind);
/* Sets the direction attribute of a section (replacing any). */
int rg_sdp_set_direction(struct rg_sdp *sdp, struct rg_sdp_media *m, int dir);
/* Removes every a=crypto from the session and all sections; returns how many. */
size_t rg_sdp_drop_crypto(struct rg_sdp *sdp);

/* The transport of one section as the broker puts it in its own SDP. */
struct rg_sdp_transport_spec {
  const char *ice_ufrag, *ice_pwd;
  const char *ice_options;          /* NULL: none */
  size_t n_fingerprints;
  const struct rg_fingerprint *fingerprints;
  int setup;                        /* enum rg_sdp_setup (not NONE/UNKNOWN) */
  size_t n_candidates;
  const struct rg_sdp_candidate *candidates;
  bool end_of_candidates;
};
/* Replaces ice-ufrag, ice-pwd, ice-options, fingerprints, setup, candidates
 * and end-of-candidates of section m with spec. Session-level attributes are
 * left alone: the media-level ones written here override them. The new lines
 * go where the first old one was (or first in the section). On error the
 * section may be left without its transport: the caller discards the SDP. */
int rg_sdp_set_transport(struct rg_sdp *sdp, struct rg_sdp_media *m,
                         const struct rg_sdp_transport_spec *spec);

#endif
