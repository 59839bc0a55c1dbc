// zlib (Debian package zlib1g-dev): inflate for gzip layers (`wharf scrub` checks diff_ids).
#ifndef WHARF_CZLIB_SHIM_H
#define WHARF_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro, which Swift does not import: gzip or zlib headers, auto-detected.
static inline int wharf_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}
#endif
