/* rtcgate-load's split of calls over worker processes (cl_load_share):
 * every call exactly once, every worker at least one, shares within one of
 * each other — also when --procs asks for more workers than the descriptor
 * limit needs (a review found 100 calls over 16 workers gave the last worker
 * a wrapped-around count). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "client/client_load_internal.h"

static void shares_cover_every_call_once_and_differ_by_at_most_one(void **state)
{
  static const uint32_t cases[][2] = {{1, 1}, {10, 8}, {100, 16}, {1000, 2}, {1000, 3}, {5000, 16}, {7, 7}, {65537, 16}};
  (void)state;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    uint32_t calls = cases[c][0], np = cases[c][1], next = 0, lo = UINT32_MAX, hi = 0;
    for (uint32_t i = 0; i < np; i++) {
      uint32_t first, n;
      cl_load_share(calls, np, i, &first, &n);
      assert_int_equal(first, next); /* contiguous, in order, no overlap */
      assert_true(n >= 1);
      next = first + n;
      lo = n < lo ? n : lo;
      hi = n > hi ? n : hi;
    }
    assert_int_equal(next, calls); /* every call, none past the end */
    assert_true(hi - lo <= 1);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shares_cover_every_call_once_and_differ_by_at_most_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
