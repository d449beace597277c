/* rtcgate gateway — static files: the SDK (always) and the demo (--demo).
 *
 *   GET /sdk/<file>          -> <web_dir>/<file>          (rtcgate.js, ...)
 *   GET /                    -> <web_dir>/demo/index.html (--demo only)
 *   GET /demo/<path>, /<path> -> <web_dir>/demo/<path>    (--demo only)
 *
 * Path segments must match [A-Za-z0-9_-][A-Za-z0-9._-]* (no dot files, no
 * "..") and the resolved real path must still lie under the web directory,
 * so neither a crafted URI nor a symlink leads outside it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/gw_internal.h"

#define GW_STATIC_DEPTH_MAX 8

static const char *mime_of(const char *path)
{
  static const struct {
    const char *ext, *type;
  } table[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".map", "application/json"},
      {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"}, {".md", "text/plain; charset=utf-8"},
  };
  const char *dot = strrchr(path, '.');
  if (dot)
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
      if (strcmp(dot, table[i].ext) == 0)
        return table[i].type;
  return "application/octet-stream";
}

static bool safe_rel_path(const char *p)
{
  unsigned depth = 0;
  if (!*p)
    return false;
  while (*p) {
    const char *seg = p;
    while (*p && *p != '/') {
      char ch = *p;
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                ch == '-' || ch == '.';
      if (!ok)
        return false;
      p++;
    }
    if (p == seg || seg[0] == '.' || ++depth > GW_STATIC_DEPTH_MAX)
      return false;
    if (*p == '/')
      p++;
    if (!*p && p[-1] == '/')
      return false;
  }
  return true;
}

static int serve(struct gw *gw, struct lws *wsi, struct gw_http_req *req, const char *sub, const char *rel)
{
  char path[RG_GW_PATH_MAX * 2], real[PATH_MAX], root[PATH_MAX], base[RG_GW_PATH_MAX + 16];
  snprintf(base, sizeof(base), "%s%s", gw->cfg.web_dir, sub);
  snprintf(path, sizeof(path), "%s/%s", base, rel);
  struct stat st;
  if (!realpath(base, root) || !realpath(path, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode))
    return gw_http_error(wsi, req, 404, "not_found", "no such file");
  size_t rl = strlen(root);
  if (strncmp(real, root, rl) != 0 || real[rl] != '/')
    return gw_http_error(wsi, req, 404, "not_found", "no such file");
  static const char extra[] = "x-content-type-options: nosniff\r\ncache-control: no-cache\r\n";
  int n = lws_serve_http_file(wsi, real, mime_of(real), extra, (int)sizeof(extra) - 1);
  if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
    return -1;
  return 0;
}

int gw_route_static(struct gw *gw, struct lws *wsi, struct gw_http_req *req, const char *uri)
{
  if (strncmp(uri, "/sdk/", 5) == 0 && safe_rel_path(uri + 5) && !strchr(uri + 5, '/'))
    return serve(gw, wsi, req, "", uri + 5);
  if (gw->cfg.demo) {
    if (strcmp(uri, "/") == 0 || strcmp(uri, "/demo/") == 0 || strcmp(uri, "/demo") == 0)
      return serve(gw, wsi, req, "/demo", "index.html");
    if (strncmp(uri, "/demo/", 6) == 0 && safe_rel_path(uri + 6))
      return serve(gw, wsi, req, "/demo", uri + 6);
    if (uri[0] == '/' && safe_rel_path(uri + 1))
      return serve(gw, wsi, req, "/demo", uri + 1);
  }
  return gw_http_error(wsi, req, 404, "not_found", "no such resource");
}
