/* The per-SDP arena: every string and array of one SDP model lives here and
 * is released at once by rg_sdp_free(). A cap (RG_SDP_ARENA_MAX) bounds what
 * one input, or one long chain of builder edits, can make us allocate. */
#include <stdlib.h>
#include <string.h>

#include "sdp_internal.h"

struct rg_sdp_arena_block {
  struct rg_sdp_arena_block *next;
  size_t size, used;
  _Alignas(max_align_t) unsigned char data[];
};

#define ALIGN ((size_t)_Alignof(max_align_t))

struct rg_sdp *rg_sdp_alloc_(void)
{
  return calloc(1, sizeof(struct rg_sdp));
}

void *rg_sdp_arena_alloc_(struct rg_sdp *sdp, size_t n)
{
  struct rg_sdp_arena_block *b = sdp->arena_;
  size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
  if (n == 0 || n > RG_SDP_ARENA_MAX)
    return NULL;
  if (!b || b->size - b->used < need) {
    size_t size = need > RG_SDP_ARENA_BLOCK ? need : RG_SDP_ARENA_BLOCK;
    /* The cap counts whole blocks, so it is what malloc really gave us. */
    if (sdp->arena_used_ + size > RG_SDP_ARENA_MAX)
      return NULL;
    b = malloc(sizeof *b + size);
    if (!b)
      return NULL;
    b->size = size;
    b->used = 0;
    b->next = sdp->arena_;
    sdp->arena_ = b;
    sdp->arena_used_ += size;
  }
  void *p = b->data + b->used;
  b->used += need;
  memset(p, 0, need);
  return p;
}

char *rg_sdp_arena_strndup_(struct rg_sdp *sdp, const char *p, size_t n)
{
  char *s = rg_sdp_arena_alloc_(sdp, n + 1);
  if (!s)
    return NULL;
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

void rg_sdp_free(struct rg_sdp *sdp)
{
  if (!sdp)
    return;
  struct rg_sdp_arena_block *b = sdp->arena_;
  while (b) {
    struct rg_sdp_arena_block *next = b->next;
    free(b);
    b = next;
  }
  free(sdp);
}
