/* Pins the error table: every code has a distinct name and text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rtcgate/addr.h"
#include "rtcgate/error.h"

static void every_error_has_distinct_name_and_text(void **state)
{
  static const int codes[] = {
#define C(name, code, text) RG_ERR_##name,
    RG_ERR_MAP(C)
#undef C
  };
  size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    assert_true(codes[i] < 0);
    assert_string_not_equal(rg_err_name(codes[i]), "UNKNOWN");
    for (size_t j = i + 1; j < n; j++) {
      assert_int_not_equal(codes[i], codes[j]);
      assert_string_not_equal(rg_strerror(codes[i]), rg_strerror(codes[j]));
    }
  }
  assert_string_equal(rg_err_name(RG_ERR_AUTH), "AUTH");
  assert_string_equal(rg_strerror(12345), "unknown error");
}

static void addr_parses_and_formats_v4_and_v6(void **state)
{
  struct rg_addr a, b;
  char buf[RG_ADDR_STRLEN];
  assert_int_equal(rg_addr_parse_ip(&a, "127.0.0.1", 9, 10000), RG_OK);
  assert_string_equal(rg_addr_format(&a, buf, sizeof buf), "127.0.0.1:10000");
  assert_int_equal(rg_addr_parse_ip(&b, "::1", 3, 5), RG_OK);
  assert_string_equal(rg_addr_format(&b, buf, sizeof buf), "[::1]:5");
  assert_false(rg_addr_equal(&a, &b));
  b = a;
  assert_true(rg_addr_equal(&a, &b));
  b.port++;
  assert_false(rg_addr_equal(&a, &b));
  assert_int_equal(rg_addr_parse_ip(&a, "1.2.3", 5, 1), RG_ERR_MALFORMED);
  assert_int_equal(rg_addr_parse_ip(&a, "", 0, 1), RG_ERR_MALFORMED);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_error_has_distinct_name_and_text),
    cmocka_unit_test(addr_parses_and_formats_v4_and_v6),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
