/* SDP core internals shared by sdp_*.c: the arena, a byte-span cursor, and
 * the attribute parser/formatter that parser, writer and builder all use. */
#ifndef RTCGATE_SDP_INTERNAL_H
#define RTCGATE_SDP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "rtcgate/sdp.h"

/* ---- arena (sdp_arena.c) ---- */
/* Blocks of at least this size; a parse of a typical browser SDP takes one
 * or two. */
#define RG_SDP_ARENA_BLOCK 16384u

struct rg_sdp *rg_sdp_alloc_(void);
/* Zeroed memory from the SDP's arena, or NULL when the cap is reached. */
void *rg_sdp_arena_alloc_(struct rg_sdp *sdp, size_t n);
/* NUL-terminated copy of (p, n) in the arena, or NULL. */
char *rg_sdp_arena_strndup_(struct rg_sdp *sdp, const char *p, size_t n);

/* ---- spans ---- */
struct rg_span {
  const char *p;
  size_t n;
};

/* Next space-separated token of *s (runs of spaces are one separator);
 * false when none is left. */
bool rg_sdp_next_token_(struct rg_span *s, struct rg_span *tok);
/* The rest of *s with leading spaces skipped. */
struct rg_span rg_sdp_rest_(struct rg_span s);
bool rg_sdp_span_eq_(struct rg_span s, const char *lit);
/* Decimal without sign, at most max; false on any other text. */
bool rg_sdp_parse_u64_(struct rg_span s, uint64_t max, uint64_t *out);

/* Outcome of parsing one piece: the rg_err and a constant reason. */
struct rg_sdp_fail {
  int code;
  const char *reason;
};

/* ---- attributes (sdp_attr.c) ---- */
/* Parses the text after "a=" into a new attribute in sdp's arena. */
int rg_sdp_attr_parse_(struct rg_sdp *sdp, struct rg_span text, unsigned line,
                       struct rg_sdp_attr **out, struct rg_sdp_fail *fail);
/* Appends to a section, enforcing the per-section limits. */
int rg_sdp_attrs_append_(struct rg_sdp_attrs *list, struct rg_sdp_attr *a, struct rg_sdp_fail *fail);
/* Inserts after prev (NULL: at the head), enforcing the limits. */
int rg_sdp_attrs_insert_(struct rg_sdp_attrs *list, struct rg_sdp_attr *prev, struct rg_sdp_attr *a,
                         struct rg_sdp_fail *fail);
/* "sendrecv".. / "actpass".. for a valid value, else NULL. */
const char *rg_sdp_dir_name_(int dir);
const char *rg_sdp_setup_name_(int setup);
/* Kinds written without a value (a=rtcp-mux, a=sendrecv, ...). */
bool rg_sdp_attr_is_flag_(int kind);
/* Rebuilds counts and the SSRC set after removals. */
void rg_sdp_attrs_recount_(struct rg_sdp_attrs *list);

/* ---- output sink (sdp_write.c) ---- */
/* Counts every byte; stores those that fit. */
struct rg_sdp_sink {
  char *buf;
  size_t cap;
  size_t len;
};
void rg_sdp_put_(struct rg_sdp_sink *o, const char *p, size_t n);
void rg_sdp_puts_(struct rg_sdp_sink *o, const char *s);
void rg_sdp_putu_(struct rg_sdp_sink *o, uint64_t v);
/* Writes one whole attribute line, "a=name[:value]" and CR LF. */
void rg_sdp_attr_write_(struct rg_sdp_sink *o, const struct rg_sdp_attr *a);

#endif
