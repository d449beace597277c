/* rtcgate — client SDK audio: PCM buffers, WAV files, resampling, tone
 * generation, dominant-frequency analysis and the audio codecs (PCMU, Opus).
 *
 * No clocks and no sockets here: a frame is 20 ms of samples because the
 * caller says when the 20 ms tick happened. Everything is mono 16-bit PCM.
 * WAV input of any rate and 1 or 2 channels is mixed down to mono and can be
 * resampled to a codec's rate (48 kHz for Opus, 8 kHz for PCMU).
 */
#ifndef RTCGATE_CLIENT_MEDIA_H
#define RTCGATE_CLIENT_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RG_AUDIO_FRAME_MS 20             /* one RTP packet's worth of audio */
#define RG_AUDIO_OPUS_RATE 48000
#define RG_AUDIO_PCMU_RATE 8000
#define RG_AUDIO_MAX_FRAME_SAMPLES 5760  /* 120 ms at 48 kHz: the longest Opus packet */
#define RG_AUDIO_MAX_PAYLOAD 1500        /* bytes of one encoded frame (Opus max 1275) */

#define RG_AUDIO_MIN_RATE 1000           /* accepted WAV / resampler rates */
#define RG_AUDIO_MAX_RATE 192000

/* --- PCM buffer (library-allocated samples) -------------------------------- */

struct rg_pcm {
  int16_t *samples;
  size_t n;          /* samples (mono) */
  uint32_t rate;     /* Hz */
};

void rg_pcm_free(struct rg_pcm *pcm);  /* frees samples and zeroes *pcm; NULL-safe */

/* --- WAV (RIFF/WAVE, PCM 16-bit) ------------------------------------------- */

#define RG_WAV_MAX_FILE_BYTES (64u * 1024u * 1024u) /* larger files are refused */
#define RG_WAV_MAX_CHUNKS 64                         /* chunks walked before "data" */
#define RG_WAV_HEADER_LEN 44                         /* canonical header we write */

/* Parses a whole WAV image buf[0..len): format 1 (PCM) or WAVE_FORMAT_EXTENSIBLE
 * with the PCM sub-format, 16 bits, 1 or 2 channels (stereo is averaged to mono),
 * rate RG_AUDIO_MIN_RATE..RG_AUDIO_MAX_RATE. Unknown chunks are skipped.
 * Errors: RG_ERR_MALFORMED (not RIFF/WAVE, truncated chunk, fmt too short,
 * chunk sizes that do not fit the file, no data), RG_ERR_UNSUPPORTED (not PCM,
 * not 16-bit, > 2 channels, rate out of range), RG_ERR_TOO_LARGE (len above the
 * cap), RG_ERR_NOMEM. *out is written only on success and owns its samples. */
int rg_wav_parse(const uint8_t *buf, size_t len, struct rg_pcm *out);

/* Reads and parses a file; target_rate 0 keeps the file's rate, otherwise the
 * samples are resampled to it. RG_ERR_NOT_FOUND when it cannot be opened. */
int rg_wav_read_file(const char *path, uint32_t target_rate, struct rg_pcm *out);

/* Bytes needed by rg_wav_write for n mono samples (0 when n is over the cap). */
size_t rg_wav_image_len(size_t n);

/* Writes a canonical 44-byte-header mono 16-bit WAV into buf. RG_ERR_BUFFER
 * when cap is too small, RG_ERR_TOO_LARGE over RG_WAV_MAX_FILE_BYTES. */
int rg_wav_write(const int16_t *samples, size_t n, uint32_t rate, uint8_t *buf, size_t cap,
                 size_t *out_len);

int rg_wav_write_file(const char *path, const int16_t *samples, size_t n, uint32_t rate);

/* Streaming recorder: header first, samples appended, sizes patched at close.
 * Stops accepting samples (RG_ERR_TOO_LARGE) at RG_WAV_MAX_FILE_BYTES. */
struct rg_wav_writer {
  FILE *f;
  uint32_t rate;
  size_t n;          /* samples written */
  int err;           /* first write error, sticky */
};

int rg_wav_writer_open(struct rg_wav_writer *w, const char *path, uint32_t rate);
int rg_wav_writer_append(struct rg_wav_writer *w, const int16_t *samples, size_t n);
/* Patches the RIFF and data sizes and closes; returns the first error seen. */
int rg_wav_writer_close(struct rg_wav_writer *w);

/* --- Resampling ------------------------------------------------------------ */

/* Band-limited (windowed-sinc, polyphase) conversion of a whole buffer between
 * rates in RG_AUDIO_MIN_RATE..RG_AUDIO_MAX_RATE. The cut-off sits below the
 * lower Nyquist frequency, so downsampling does not alias. Output has
 * ceil(n * out_rate / in_rate) samples. RG_ERR_INVAL for rates out of range,
 * RG_ERR_TOO_LARGE when the output would pass the WAV cap. */
int rg_pcm_resample(const int16_t *in, size_t n, uint32_t in_rate, uint32_t out_rate,
                    struct rg_pcm *out);

/* --- Tone generator -------------------------------------------------------- */

struct rg_tone {
  double phase;      /* cycles, in [0, 1) */
  double step;       /* cycles per sample */
  double amplitude;  /* peak, in sample units */
};

/* hz in (0, rate/2), amplitude in [0, 1] of full scale. RG_ERR_INVAL otherwise. */
int rg_tone_init(struct rg_tone *t, double hz, double amplitude, uint32_t rate);
/* Next n samples; the phase carries over between calls. */
void rg_tone_fill(struct rg_tone *t, int16_t *out, size_t n);

/* --- Analysis -------------------------------------------------------------- */

#define RG_AUDIO_FFT_MIN 256       /* fewer samples cannot be analysed */
#define RG_AUDIO_FFT_MAX 65536     /* 1.4 s at 48 kHz: bin width 0.73 Hz */

struct rg_audio_peak {
  double hz;         /* interpolated frequency of the strongest bin */
  double share;      /* share of total (non-DC) power within +-3 bins of it, 0..1 */
  double rms;        /* RMS of the whole input, in sample units */
};

/* Dominant frequency: Welch average of Hann-windowed FFTs (size the largest
 * power of two <= n, capped), strongest bin above RG_AUDIO_PEAK_MIN_HZ, refined
 * by parabolic interpolation of the log magnitudes. RG_ERR_INVAL for n below
 * RG_AUDIO_FFT_MIN, RG_ERR_NOT_FOUND for pure silence. */
#define RG_AUDIO_PEAK_MIN_HZ 20.0
int rg_audio_dominant(const int16_t *pcm, size_t n, uint32_t rate, struct rg_audio_peak *out);

/* --- G.711 µ-law ------------------------------------------------------------ */

uint8_t rg_pcmu_encode_sample(int16_t x);
int16_t rg_pcmu_decode_sample(uint8_t u);

/* --- Codecs ---------------------------------------------------------------- */

struct rg_codec;  /* one encoder + decoder state (library-allocated) */

/* A codec is one const table: adding one is one more row. */
struct rg_codec_ops {
  const char *name;          /* SDP encoding name: "PCMU", "opus" */
  uint8_t default_pt;        /* 0 for PCMU (RFC 3551), 111 for opus (the WebRTC habit) */
  uint32_t clock_rate;       /* RTP clock, Hz */
  uint32_t sample_rate;      /* PCM rate the codec takes and gives */
  uint8_t sdp_channels;      /* channels in a=rtpmap (opus says 2, RFC 7587 §7) */
  unsigned frame_samples;    /* samples of one 20 ms frame */
  size_t state_size;         /* bytes of the private state */
  int (*init)(void *state);
  void (*cleanup)(void *state);
  /* Encodes exactly frame_samples samples. */
  int (*encode)(void *state, const int16_t *pcm, uint8_t *out, size_t cap, size_t *out_len);
  /* Decodes one payload; *n_out samples (may differ from frame_samples). */
  int (*decode)(void *state, const uint8_t *in, size_t len, int16_t *pcm, size_t cap,
                size_t *n_out);
  /* Conceals one lost frame of frame_samples samples. */
  int (*plc)(void *state, int16_t *pcm, size_t cap, size_t *n_out);
};

extern const struct rg_codec_ops rg_codec_pcmu;
extern const struct rg_codec_ops rg_codec_opus;

/* Case-insensitive look-up by SDP encoding name; NULL when unknown. */
const struct rg_codec_ops *rg_codec_find(const char *name, size_t len);

int rg_codec_new(const struct rg_codec_ops *ops, struct rg_codec **out);
void rg_codec_free(struct rg_codec *c);
const struct rg_codec_ops *rg_codec_ops_of(const struct rg_codec *c);

/* Wrappers that check arguments (pcm of exactly frame_samples, caps) and call the table. */
int rg_codec_encode(struct rg_codec *c, const int16_t *pcm, size_t n, uint8_t *out, size_t cap,
                    size_t *out_len);
int rg_codec_decode(struct rg_codec *c, const uint8_t *in, size_t len, int16_t *pcm, size_t cap,
                    size_t *n_out);
int rg_codec_plc(struct rg_codec *c, int16_t *pcm, size_t cap, size_t *n_out);

#define RG_OPUS_BITRATE 32000      /* bit/s: wideband voice */
#define RG_OPUS_COMPLEXITY 5       /* half of libopus' range: the load tool runs many encoders */

#endif
