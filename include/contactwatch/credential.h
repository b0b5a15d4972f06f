/* credential.h — secrets handed over by systemd (LoadCredential= /
 * SetCredential=) in $CREDENTIALS_DIRECTORY, one file per credential. Read
 * when needed, never cached in config, never logged. */
#pragma once

#include "contactwatch/common.h"

/* Reads $CREDENTIALS_DIRECTORY/<name> (a plain file name: no '/', not "."
 * or ".."; O_NOFOLLOW, at most 64 KiB) into a NUL-terminated buffer; one
 * trailing "\n" or "\r\n" is dropped (editors add one). Binary secrets
 * are kept whole: *ret_len counts any NUL inside. -ENOKEY when
 * CREDENTIALS_DIRECTORY is unset or empty, -ENOENT when the file is missing,
 * -EINVAL for a bad name, -EFBIG when too large, -ELOOP for a symlink,
 * -EISDIR / -EBADFD when not a regular file, other -errno. The caller
 * frees *ret with credential_free(*ret, *ret_len) (which wipes it). */
int credential_read(const char *name, char **ret, size_t *ret_len);
void credential_free(char *secret, size_t len);
