/* Fixed-size jitter buffer for 20 ms audio frames, driven by the caller's tick.
 *
 * Slots are indexed by sequence number modulo RG_JB_SLOTS (a power of two, so
 * the index stays consistent across the 16-bit wrap); the window of accepted
 * sequence numbers is RG_JB_WINDOW, so the buffer never holds more than 200 ms
 * and never allocates. Playout starts (and restarts
 * after running dry) a fixed delay after the first packet, which absorbs
 * jitter up to that delay; a frame that is missing when its turn comes while
 * later frames are present is declared lost and concealed by the decoder.
 */
#include "media_internal.h"
#include "rtcgate/error.h"

#include <string.h>

#define US_PER_MS 1000u

int rg_jb_init(struct rg_jb *jb, unsigned delay_ms)
{
  if (jb == NULL || delay_ms > RG_JB_MAX_DELAY_MS)
    return RG_ERR_INVAL;
  memset(jb, 0, sizeof(*jb));
  jb->delay_us = (uint64_t)delay_ms * US_PER_MS;
  return RG_OK;
}

static struct rg_jb_slot *slot_of(struct rg_jb *jb, uint16_t seq)
{
  return &jb->slots[seq % RG_JB_SLOTS];
}

static void drop_slot(struct rg_jb *jb, struct rg_jb_slot *s)
{
  if (s->used) {
    s->used = false;
    jb->count--;
  }
}

static void flush(struct rg_jb *jb)
{
  unsigned i;
  for (i = 0; i < RG_JB_SLOTS; i++)
    drop_slot(jb, &jb->slots[i]);
}

/* Moves the window forward so that seq is its last slot; frames that fall out
 * are dropped (the consumer is too slow or the sender skipped ahead). */
static void slide_to(struct rg_jb *jb, uint16_t seq)
{
  uint16_t new_next = (uint16_t)(seq - (RG_JB_WINDOW - 1));
  while (jb->next_seq != new_next) {
    struct rg_jb_slot *s = slot_of(jb, jb->next_seq);
    if (s->used && s->seq == jb->next_seq) {
      drop_slot(jb, s);
      jb->c.overflow++;
    }
    jb->next_seq++;
  }
}

/* Earliest used sequence relative to next_seq; RG_JB_WINDOW when empty. */
static unsigned first_used(struct rg_jb *jb)
{
  unsigned d;
  for (d = 0; d < RG_JB_WINDOW; d++) {
    struct rg_jb_slot *s = slot_of(jb, (uint16_t)(jb->next_seq + d));
    if (s->used && s->seq == (uint16_t)(jb->next_seq + d))
      return d;
  }
  return RG_JB_WINDOW;
}

/* Furthest used offset from next_seq, or -1 when empty. */
static int last_used(struct rg_jb *jb)
{
  int d;
  for (d = RG_JB_WINDOW - 1; d >= 0; d--) {
    struct rg_jb_slot *s = slot_of(jb, (uint16_t)(jb->next_seq + d));
    if (s->used && s->seq == (uint16_t)(jb->next_seq + d))
      return d;
  }
  return -1;
}

int rg_jb_push(struct rg_jb *jb, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload,
               size_t len, uint64_t now_us)
{
  struct rg_jb_slot *s;
  int16_t delta;
  if (jb == NULL || (payload == NULL && len > 0))
    return RG_ERR_INVAL;
  if (len > RG_AUDIO_MAX_PAYLOAD) {
    jb->c.too_large++;
    return RG_ERR_TOO_LARGE;
  }
  if (!jb->started) {
    jb->started = true;
    jb->next_seq = seq;
  }
  if (!jb->playing && !jb->priming) {
    jb->priming = true;
    jb->prime_until_us = now_us + jb->delay_us;
  }
  delta = (int16_t)(uint16_t)(seq - jb->next_seq);
  if (delta < 0) {
    /* Before the first playout, an earlier packet (reordered) may still take
     * the head if the window allows; later, the head has been handed out. */
    if (!jb->playing && jb->c.played + jb->c.lost == 0 && -(int)delta + last_used(jb) < RG_JB_WINDOW) {
      jb->next_seq = seq;
      delta = 0;
    } else {
      jb->c.late++;
      return RG_ERR_REPLAY;
    }
  }
  if (delta >= RG_JB_RESYNC_JUMP) {
    flush(jb); /* a new sequence (sender restart): start over from this packet */
    jb->next_seq = seq;
    jb->c.resyncs++;
  } else if (delta >= RG_JB_WINDOW) {
    slide_to(jb, seq);
  }
  s = slot_of(jb, seq);
  if (s->used) {
    jb->c.duplicate++;
    return RG_ERR_REPLAY;
  }
  s->used = true;
  s->seq = seq;
  s->ts = ts;
  s->marker = marker;
  s->len = (uint16_t)len;
  if (len > 0)
    memcpy(s->data, payload, len);
  jb->count++;
  jb->c.pushed++;
  return RG_OK;
}

int rg_jb_pop(struct rg_jb *jb, uint64_t now_us, struct rg_jb_frame *out)
{
  struct rg_jb_slot *s;
  if (jb == NULL || out == NULL)
    return RG_ERR_INVAL;
  if (!jb->started)
    return RG_ERR_AGAIN;
  if (!jb->playing) {
    if (!jb->priming || now_us < jb->prime_until_us)
      return RG_ERR_AGAIN;
    jb->playing = true;
    jb->priming = false;
  }
  if (jb->count == 0) {
    /* Ran dry: wait for the next packet and buffer the playout delay again. */
    jb->playing = false;
    jb->c.underruns++;
    return RG_ERR_AGAIN;
  }
  memset(out, 0, sizeof(*out));
  out->seq = jb->next_seq;
  s = slot_of(jb, jb->next_seq);
  if (first_used(jb) == 0) {
    s->used = false;
    jb->count--;
    out->marker = s->marker;
    out->ts = s->ts;
    out->data = s->data;
    out->len = s->len;
    jb->c.played++;
  } else {
    out->lost = true;
    jb->c.lost++;
  }
  jb->next_seq++;
  return RG_OK;
}
