/* Internal entry points of the config module, for its unit tests and fuzzer only. */
#ifndef DUCKD_CONFIG_INTERNAL_H
#define DUCKD_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config/config.h"

/* Loads a configuration whose file content is text[0..len) (named "fuzz.ini" in messages),
 * with no flags and no environment. Same contract as cfg_load. */
int cfg__load_text(cfg_t *cfg, const char *text, size_t len, uerr_t *err);

#endif
