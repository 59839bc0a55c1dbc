// libcrypt (libxcrypt on Debian, package libcrypt-dev): crypt_r and crypt_gensalt_rn for bcrypt.
#ifndef WHARF_CCRYPT_SHIM_H
#define WHARF_CCRYPT_SHIM_H
#include <crypt.h>
#endif
