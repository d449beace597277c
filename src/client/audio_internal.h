/* Shared-internal helpers of the client audio files (not part of the public API). */
#ifndef RTCGATE_CLIENT_AUDIO_INTERNAL_H
#define RTCGATE_CLIENT_AUDIO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Writes the canonical 44-byte header of a mono 16-bit WAV of n samples.
 * RG_ERR_TOO_LARGE past RG_WAV_MAX_FILE_BYTES, RG_ERR_INVAL for a bad rate. */
int rg_wav_header(uint8_t *h, size_t n, uint32_t rate);

#endif
