/* secret.h — the per-installation secret: 32 random bytes in
 * <StateDirectory>/secret (mode 0600), the HMAC key of the keyed contact
 * hashes that tell new contacts from old without keeping the contacts.
 * Never logged, never exported. Pure: no logging; -errno says what failed. */
#pragma once

#include "contactwatch/common.h"

#define SECRET_FILE_NAME "secret"
#define SECRET_SIZE 32

/* Reads the secret. -ENOENT: there is none yet; -EBADMSG: not exactly
 * SECRET_SIZE bytes; -EPERM: readable or writable by group or others (it
 * would no longer be secret); -ELOOP: a symlink; -EBADFD: not a regular
 * file; other -errno. ret is untouched on failure. */
int secret_load(const char *state_dir, uint8_t ret[static SECRET_SIZE]);
/* As secret_load, but creates the secret first when there is none (mode
 * 0600, random bytes from getrandom(2), written to a temporary file, synced
 * and linked into place so that no reader ever sees a partial secret), then
 * reads it back. An existing secret is never replaced: every baseline hash
 * depends on it. */
int secret_load_or_create(const char *state_dir, uint8_t ret[static SECRET_SIZE]);
