/* Fuzzes the broker's SDP work (src/broker/broker_sdp.c, compiled into this
 * target with the core): a client's offer or answer is read and checked
 * (rg_broker_sdp_read_), then rewritten into the broker's own SDP for the
 * other client (rg_broker_sdp_rewrite_), as rg_broker_offer (offer -> the
 * callee's actpass offer) and rg_broker_answer (answer -> the caller's
 * active answer) do.
 * Properties: any input is read or refused with a reason, never a crash or
 * leak; what is accepted is bounded (SSRCs, fingerprints, kinds); and the
 * broker's SDP written from it reads back with the same m-sections, kinds
 * and SSRCs (the other client must be able to use what the broker sends). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker_internal.h"
#include "rtcgate/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The few broker fields the rewrite uses: media address, port, fingerprint. */
static struct rg_broker *test_broker(void)
{
  static struct rg_broker b;
  static bool ready;
  if (!ready) {
    strcpy(b.media_ip, "127.0.0.1");
    if (rg_addr_parse_ip(&b.bound, b.media_ip, strlen(b.media_ip), 10000) != RG_OK)
      abort();
    b.fp.hash = RG_HASH_SHA256;
    b.fp.len = 32;
    for (int i = 0; i < 32; i++)
      b.fp.value[i] = (uint8_t)(i * 7 + 1);
    ready = true;
  }
  return &b;
}

static void check_remote(const struct rg_broker_remote *r)
{
  if (!r->ufrag || !r->pwd || r->n_fps == 0 || r->n_fps > RG_DTLS_MAX_FINGERPRINTS ||
      r->n_ssrcs > RG_TRANSPORT_MAX_SSRCS || r->n_rtcp_senders > RG_BROKER_MAX_RTCP_SENDERS || r->kinds == 0 ||
      r->kinds > 3 || r->n_media == 0 || r->n_media > RG_SDP_MAX_MEDIA)
    abort();
}

/* One side: read as offer (answer=false) or answer, rewrite, read back. */
static void one(const uint8_t *data, size_t size, bool answer)
{
  struct rg_broker *b = test_broker();
  struct rg_broker_leg leg;
  struct rg_broker_remote r, back;
  struct rg_sdp *s = NULL, *s2 = NULL;
  char err[RG_BROKER_ERR_MAX];
  char *text = NULL;
  int rc;
  memset(err, 0, sizeof err);
  if (rg_broker_sdp_read_((const char *)data, size, answer, &s, &r, err, sizeof err) != RG_OK) {
    if (s || err[0] == '\0')
      abort(); /* refused: nothing kept, and a reason given */
    return;
  }
  check_remote(&r);
  memset(&leg, 0, sizeof leg);
  memset(leg.ufrag, 'u', RG_BROKER_UFRAG_LEN);
  memset(leg.pwd, 'p', RG_BROKER_PWD_LEN);
  rc = rg_broker_sdp_rewrite_(b, s, &leg, answer ? RG_SDP_SETUP_ACTIVE : RG_SDP_SETUP_ACTPASS, &text);
  if (rc != RG_OK) {
    /* Only size limits may stop the rewrite (a long BUNDLE line). */
    if (rc != RG_ERR_TOO_LARGE && rc != RG_ERR_NOMEM)
      abort();
    rg_sdp_free(s);
    return;
  }
  size_t len = strlen(text);
  /* The broker's SDP is read as the other client would send it back:
   * the callee's offer as an offer, the caller's answer as an answer. */
  rc = rg_broker_sdp_read_(text, len, answer, &s2, &back, err, sizeof err);
  if (rc != RG_OK && len <= RG_SDP_MAX_SIZE)
    abort();
  if (rc == RG_OK) {
    if (back.n_media != r.n_media || back.kinds != r.kinds || back.n_ssrcs != r.n_ssrcs ||
        back.setup != (answer ? RG_SDP_SETUP_ACTIVE : RG_SDP_SETUP_ACTPASS) || back.n_fps != 1 ||
        strcmp(back.ufrag, leg.ufrag) != 0 || strcmp(back.pwd, leg.pwd) != 0 ||
        memcmp(back.fps[0].value, b->fp.value, 32) != 0)
      abort();
    for (size_t i = 0; i < r.n_ssrcs; i++)
      if (back.ssrcs[i].ssrc != r.ssrcs[i].ssrc || back.ssrcs[i].kind != r.ssrcs[i].kind)
        abort();
    rg_sdp_free(s2);
  }
  free(text);
  rg_sdp_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  one(data, size, false);
  one(data, size, true);
  return 0;
}
