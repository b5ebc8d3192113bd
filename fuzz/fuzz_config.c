/* libFuzzer target: arbitrary bytes as a duckd.ini file through inih and the settings table
 * validation; every path must end in a clean configuration or a clean error, without leaks. */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/config_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg_t cfg;
    uerr_t err = UERR_INIT;
    if (cfg__load_text(&cfg, (const char *)data, size, &err) >= 0)
        cfg_free(&cfg);
    uerr_clear(&err);
    return 0;
}
