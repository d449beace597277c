/* Monotonic and wall clocks for src/io (see io_clock.h). */
#include "io/io_clock.h"

#include <time.h>

uint64_t rg_io_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  /* +1 keeps 0 free as "never" for callers that use it so. */
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u + 1u;
}

uint64_t rg_io_unix_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec > 0 ? (uint64_t)ts.tv_sec : 0;
}
