#ifndef WHARF_CLINUX_SHIM_H
#define WHARF_CLINUX_SHIM_H
// Linux system calls and constants Swift's Glibc module does not export (it is built
// without _GNU_SOURCE and does not include <sys/epoll.h>). Static inline only: nothing
// to link. Used by WharfHTTP (epoll event loops) and WharfStorage (statx, O_DIRECT).
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/prctl.h>
// Names the calling thread (at most 15 bytes; longer names are cut), as `ps -T` and
// /proc/<pid>/task/*/comm show it: the filesystem driver's blocking-I/O threads.
static inline void wharf_name_current_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
// statx(2) with AT_STATX_FORCE_SYNC for the filesystem driver's file stamps (glibc declares
// statx only under _GNU_SOURCE, which Swift's Glibc module does not set). Fills
// out[0..5] = device, inode, size, ctime ns, mtime ns; returns 0 for a regular file, -1 otherwise.
#include <linux/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
#ifndef AT_STATX_FORCE_SYNC
#define AT_STATX_FORCE_SYNC 0x2000
#endif
static inline int wharf_file_stamp(const char *path, long long out[5]) {
    struct statx st;
    if (syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_STATX_FORCE_SYNC,
                STATX_TYPE | STATX_INO | STATX_SIZE | STATX_CTIME | STATX_MTIME, &st) != 0) return -1;
    if ((st.stx_mode & 0170000) != 0100000) return -1;
    out[0] = (long long)(((unsigned long long)st.stx_dev_major << 32) | st.stx_dev_minor);
    out[1] = (long long)st.stx_ino;
    out[2] = (long long)st.stx_size;
    out[3] = (long long)st.stx_ctime.tv_sec * 1000000000LL + st.stx_ctime.tv_nsec;
    out[4] = (long long)st.stx_mtime.tv_sec * 1000000000LL + st.stx_mtime.tv_nsec;
    return 0;
}
// O_DIRECT for the filesystem driver's upload writes: glibc's <fcntl.h> defines it only
// under _GNU_SOURCE, and its value depends on the architecture.
static inline int wharf_o_direct(void) {
#if defined(O_DIRECT)
    return O_DIRECT;
#elif defined(__aarch64__) || defined(__arm__)
    return 0200000;
#elif defined(__powerpc__) || defined(__powerpc64__)
    return 0400000;
#else
    return 040000; /* x86 and asm-generic (riscv, s390x, loongarch) */
#endif
}
#endif
#endif
