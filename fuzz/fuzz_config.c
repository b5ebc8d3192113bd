/* libFuzzer target for the config file parser: arbitrary bytes as an in-memory duckd.ini
 * (fmemopen) through inih and the settings table's validation, then --print-config on the
 * result. Every input must end in a clean configuration or a clean error, without leaks. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "config/config_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    cfg_t cfg;
    uerr_t err = UERR_INIT;
    FILE *f = size ? fmemopen((void *)data, size, "r") : NULL; /* fmemopen rejects size 0 */
    if (!sink)
        sink = fopen("/dev/null", "w");
    if (!f)
        goto out;
    if (cfg__load_file_stream(&cfg, f, "fuzz.ini", &err) == CFG_ACTION_RUN && sink)
        cfg_print_effective(&cfg, sink);
    fclose(f);
    cfg_free(&cfg);
out:
    uerr_clear(&err);
    return 0;
}
