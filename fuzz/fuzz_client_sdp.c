/* Fuzzes the client's reading of the broker's SDP (src/client/client_sdp.c,
 * compiled into this target with the core's SDP parser and builder): the
 * input is read as the broker's offer or answer (cl_sdp_read); when it is
 * accepted, the client's answer to it is built (cl_sdp_build with the offer,
 * as cl_call_answer does) and read back.
 * Properties: any input is read or refused with a reason, never a crash,
 * leak or over-read (the input is not NUL-terminated); what is accepted is
 * bounded and usable (a candidate, ICE credentials, a known codec, the audio
 * section among <= CL_SDP_MAX_SECTIONS); and the answer mirrors the offer:
 * it reads back with as many m-sections, the same one in use, our codec,
 * payload type, credentials and port. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "rtcgate/error.h"
#include "rtcgate/sdp.h"

#define FUZZ_PORT 40000
#define FUZZ_UFRAG "abcdEFGH"
#define FUZZ_PWD "0123456789abcdefghijklmn"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* client_core.c's cl_rand is not linked here; the SDP only uses it for the
 * session id, so a fixed value keeps runs reproducible. */
void cl_rand(void *buf, size_t len)
{
  memset(buf, 0x5a, len);
}

static void check_read(const struct cl_remote_media *rm)
{
  if (rm->n_sections == 0 || rm->n_sections > CL_SDP_MAX_SECTIONS || rm->used >= rm->n_sections ||
      rm->n_codecs == 0 || rm->n_codecs > 4 || rm->n_fps > RG_DTLS_MAX_FINGERPRINTS ||
      rm->n_ssrcs > RG_TRANSPORT_MAX_SSRCS || rm->cand.family == RG_AF_NONE ||
      strlen(rm->ufrag) > RG_ICE_MAX_UFRAG || strlen(rm->pwd) > RG_ICE_MAX_PWD ||
      strlen(rm->mid) >= sizeof rm->mid)
    abort();
  for (size_t i = 0; i < rm->n_codecs; i++)
    if ((rm->codecs[i] != RG_CLIENT_CODEC_OPUS && rm->codecs[i] != RG_CLIENT_CODEC_PCMU) || rm->pts[i] > 127)
      abort();
  if (strcmp(rm->sections[rm->used].media, "audio") != 0)
    abort();
}

static void answer(const struct cl_remote_media *offer)
{
  struct rg_fingerprint fp;
  struct rg_addr addr;
  struct cl_local_media lm;
  struct cl_remote_media back;
  char *sdp = NULL, err[RG_CLIENT_TEXT_MAX];
  int rc;
  memset(&fp, 0, sizeof fp);
  fp.hash = RG_HASH_SHA256;
  fp.len = 32;
  for (int i = 0; i < 32; i++)
    fp.value[i] = (uint8_t)i;
  if (rg_addr_parse_ip(&addr, "127.0.0.1", 9, FUZZ_PORT) != RG_OK)
    abort();
  memset(&lm, 0, sizeof lm);
  lm.ufrag = FUZZ_UFRAG;
  lm.pwd = FUZZ_PWD;
  lm.fp = &fp;
  lm.setup = offer->setup == RG_SDP_SETUP_ACTIVE ? RG_SDP_SETUP_PASSIVE : RG_SDP_SETUP_ACTIVE;
  lm.addr = &addr;
  lm.ip = "127.0.0.1";
  lm.ssrc = 0x11223344u;
  lm.cname = "rtcgate";
  lm.msid_stream = "rtcgate";
  lm.msid_track = "audio-" FUZZ_UFRAG;
  lm.codec_first = offer->codecs[0];
  lm.pt_first = offer->pts[0];
  lm.both_codecs = false;
  lm.mid = offer->mid;
  lm.offer = offer;
  err[0] = '\0';
  rc = cl_sdp_build(&lm, &sdp, err, sizeof err);
  if (rc != RG_OK) {
    if (err[0] == '\0')
      abort();
    return;
  }
  err[0] = '\0';
  rc = cl_sdp_read(sdp, strlen(sdp), &back, err, sizeof err);
  if (rc != RG_OK)
    abort(); /* the broker would be sent an answer it cannot read */
  if (back.n_sections != offer->n_sections || back.used != offer->used || back.codecs[0] != offer->codecs[0] ||
      back.pts[0] != offer->pts[0] || back.n_codecs != 1 || back.cand.port != FUZZ_PORT ||
      strcmp(back.ufrag, FUZZ_UFRAG) != 0 || strcmp(back.pwd, FUZZ_PWD) != 0 || back.setup != lm.setup ||
      back.n_fps != 1 || strcmp(back.mid, offer->mid) != 0)
    abort();
  for (size_t i = 0; i < offer->n_sections; i++)
    if (i != offer->used && (strcmp(back.sections[i].media, offer->sections[i].media) != 0 ||
                             strcmp(back.sections[i].mid, offer->sections[i].mid) != 0))
      abort();
  free(sdp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct cl_remote_media rm;
  char err[RG_CLIENT_TEXT_MAX];
  int rc;
  err[0] = '\0';
  rc = cl_sdp_read((const char *)data, size, &rm, err, sizeof err);
  if (rc != RG_OK) {
    if (rc > 0 || err[0] == '\0')
      abort(); /* refused: an error code and a reason */
    return 0;
  }
  check_read(&rm);
  answer(&rm);
  return 0;
}
