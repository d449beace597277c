/* Fuzzes the IP literal parser: any bytes give a parsed address or an error. */
#include <stddef.h>
#include <stdint.h>

#include "rtcgate/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct rg_addr a;
  char buf[RG_ADDR_STRLEN];
  if (rg_addr_parse_ip(&a, (const char *)data, size, 1) == 0)
    rg_addr_format(&a, buf, sizeof buf);
  return 0;
}
