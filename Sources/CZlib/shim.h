#ifndef WHARF_CZLIB_SHIM_H
#define WHARF_CZLIB_SHIM_H
#include <zlib.h>
static inline int wharf_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int wharf_deflateInit2(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
#endif
