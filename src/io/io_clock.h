/* rtcgate — the one clock of the media plane: monotonic microseconds.
 *
 * Cores take time as a uint64_t argument; src/io is where it is read. The
 * monotonic clock never jumps with NTP or an operator, so timers built on it
 * neither fire early nor stall.
 */
#ifndef RTCGATE_IO_CLOCK_H
#define RTCGATE_IO_CLOCK_H

#include <stdint.h>

/* Microseconds since an arbitrary fixed point (CLOCK_MONOTONIC). Never 0. */
uint64_t rg_io_now_us(void);

/* Seconds since 1970 (CLOCK_REALTIME), for certificate validity only. */
uint64_t rg_io_unix_now(void);

#endif
