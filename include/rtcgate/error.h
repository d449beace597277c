/* rtcgate — one error enum for the whole library.
 *
 * Every fallible function returns 0 (RG_OK) or a negative rg_err. The list is
 * one X-macro so the codes and their strings cannot drift apart (libuv's
 * UV_ERRNO_MAP does the same).
 */
#ifndef RTCGATE_ERROR_H
#define RTCGATE_ERROR_H

#define RG_ERR_MAP(X)                                                        \
  X(MALFORMED,    -1,  "malformed input")                                    \
  X(TOO_LARGE,    -2,  "input or output exceeds a limit")                    \
  X(AUTH,         -3,  "authentication failed")                              \
  X(REPLAY,       -4,  "replayed or too old packet")                         \
  X(STATE,        -5,  "operation not allowed in the current state")        \
  X(NOMEM,        -6,  "out of memory")                                      \
  X(INVAL,        -7,  "invalid argument")                                   \
  X(UNSUPPORTED,  -8,  "unsupported feature or parameter")                   \
  X(NOT_FOUND,    -9,  "not found")                                          \
  X(BUFFER,       -10, "caller's buffer is too small")                       \
  X(CRYPTO,       -11, "cryptographic library failure")                      \
  X(FINGERPRINT,  -12, "peer certificate does not match the fingerprint")    \
  X(AGAIN,        -13, "nothing to do now; try again later")                 \
  X(CLOSED,       -14, "closed by the peer or after a fatal error")          \
  X(UNKNOWN_SSRC, -15, "SSRC was not negotiated")                            \
  X(TIMEOUT,      -16, "timed out")

enum rg_err {
  RG_OK = 0,
#define RG_ERR_ENUM(name, code, text) RG_ERR_##name = (code),
  RG_ERR_MAP(RG_ERR_ENUM)
#undef RG_ERR_ENUM
};

/* Short constant English text for an rg_err (or "unknown error"). */
const char *rg_strerror(int err);

/* The symbolic name without prefix, e.g. "MALFORMED" (or "UNKNOWN"). */
const char *rg_err_name(int err);

#endif
