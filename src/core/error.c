/* Strings for the rg_err codes, generated from the same X-macro list. */
#include "rtcgate/error.h"

const char *rg_strerror(int err)
{
  switch (err) {
  case RG_OK: return "ok";
#define RG_ERR_TEXT(name, code, text) case RG_ERR_##name: return text;
  RG_ERR_MAP(RG_ERR_TEXT)
#undef RG_ERR_TEXT
  }
  return "unknown error";
}

const char *rg_err_name(int err)
{
  switch (err) {
  case RG_OK: return "OK";
#define RG_ERR_NAME(name, code, text) case RG_ERR_##name: return #name;
  RG_ERR_MAP(RG_ERR_NAME)
#undef RG_ERR_NAME
  }
  return "UNKNOWN";
}
