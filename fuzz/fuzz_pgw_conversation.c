/* libFuzzer target for whole client conversations: each input is one connection served by
 * pgw_conn_run over the memory transport, against a real in-memory DuckDB (threads=1, a small
 * memory_limit, the duckd sandbox locked down so fuzzed SQL cannot touch files). Byte 0 holds
 * flags: bits 0-2 pick how reads are chunked, bit 3 makes the client a Unix-socket one, bit 4
 * uses a random SCRAM server nonce instead of the fixed one. The rest is the client's byte
 * stream: startup packets, SSLRequest, CancelRequest, SASL, simple and extended query, COPY.
 * User "raw" is trusted; user "scram" (password "fuzzpass", fixed salt, 4096 iterations) logs
 * in with SCRAM-SHA-256, and with the fixed nonce a precomputed client-final message passes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "pgwire/conn.h"
#include "pgwire/hba.h"
#include "pgwire/scram.h"
#include "pgwire/transport.h"
#include "session/guard.h"
#include "session/gcommit.h"
#include "session/registry.h"
#include "util/buf.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

#define RULES                                                                                      \
    "tcp all raw trust\n"                                                                          \
    "tcp all all scram-sha-256\n"                                                                  \
    "unix - raw trust\n"                                                                           \
    "unix - all peer\n"
#define FUZZ_NONCE "fuzzservernonce"
#define FUZZ_SALT "duckd-fuzz-salt!"

/* DuckDB keeps process-lifetime allocations (see tests/e2e/lsan.supp); duckd's are checked.
 * The fast unwinder often stops at operator new when DuckDB allocates (libduckdb.so has no
 * frame pointers), so the stack never names libduckdb.so: duckd is C and never calls
 * operator new, so an allocation through it is DuckDB's. (Seen with the committer's prepared
 * INSERT ... FROM duckd_rows: a fixed amount per prepared target, gone from the report with
 * fast_unwind_on_malloc=0, which lets the libduckdb.so suppression match.) */
const char *__lsan_default_suppressions(void) { return "leak:libduckdb.so\nleak:libstdc++.so\n"; }

static eng_db_t *fz_db;
static gc_t *fz_gc;
static sess_env_t fz_env;
static pgw_hba_t *fz_hba;
static char fz_users[64];
static pgw_server_cfg_t fz_cfg, fz_cfg_random_nonce;
static bool fz_dump;

static void fz_add_name(void *ctx, const char *name)
{
    const char **names = ctx;
    size_t i = 0;
    while (names[i])
        i++;
    if (i < 255)
        names[i] = name;
}

static void fz_die(const char *what, const uerr_t *err)
{
    fprintf(stderr, "fuzz_pgw_conversation: %s: %s\n", what, err->message ? err->message : "?");
    abort();
}

/* The committer's thread and DuckDB connection hold DuckDB objects that LeakSanitizer, which
 * runs after exit handlers, would count as leaks: stop it first. */
static void fz_stop_gc(void) { gc_close(fz_gc); }

/* Opens the database, locks it down, writes the users file and builds the server config. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    uerr_t err = UERR_INIT;
    ubuf_t v = UBUF_INIT;
    static const char *configs[256];
    eng_option_t opts[] = {{"threads", "1", "fuzz"}, {"memory_limit", "256MB", "fuzz"}};
    ulog_set_level(ULOG_ERROR);
    if (eng_db_open(&fz_db, NULL, false, opts, 2, &err) != 0)
        fz_die("open", &err);
    guard_each_lockable_option(fz_add_name, configs);
    size_t nconfigs = 0;
    while (configs[nconfigs])
        nconfigs++;
    eng_lockdown_t l = {NULL, 0, NULL, 0, configs, nconfigs};
    if (eng_db_lockdown(fz_db, &l, &err) != 0)
        fz_die("lockdown", &err);
    if (pgw_hba_parse(RULES, strlen(RULES), "fuzz", &fz_hba, &err) != 0)
        fz_die("hba", &err);
    if (pgw_scram__make_verifier_salt("fuzzpass", 4096, (const uint8_t *)FUZZ_SALT,
                                      strlen(FUZZ_SALT), &v, &err) != 0)
        fz_die("verifier", &err);
    snprintf(fz_users, sizeof fz_users, "/tmp/duckd-fuzz-users-%d", (int)getpid());
    FILE *f = fopen(fz_users, "w");
    if (!f || fprintf(f, "scram read_write %s\nreader read_only %s\n", v.data, v.data) < 0)
        abort();
    fclose(f);
    ubuf_free(&v);
    fz_env = (sess_env_t){.db = fz_db,
                          .max_copy_row = 1 << 16,
                          .server_version = "15.0",
                          .max_row_size = 1 << 20,
                          .max_prepared_statements = 16,
                          .max_portals = 16,
                          .statement_timeout_ms = 200,
                          .catalog = eng_db_catalog(fz_db)};
    /* group commit too: its deferral, batches, fallbacks and taken-back answers */
    gc_cfg_t gcfg = {fz_db, 1000, 3};
    if (gc_open(&gcfg, &fz_gc, &err) != 0)
        fz_die("group commit", &err);
    fz_env.gc = fz_gc;
    atexit(fz_stop_gc);
    fz_env.conflict_retries = 3;
    fz_cfg = (pgw_server_cfg_t){.env = &fz_env,
                                .max_message_size = 1 << 16,
                                .output_buffer = 4096,
                                .authentication_timeout_ms = 1000,
                                .max_pending_input = 1 << 22,
                                .hba = fz_hba,
                                .users_file = fz_users,
                                .test_scram_nonce = FUZZ_NONCE};
    fz_cfg_random_nonce = fz_cfg;
    fz_cfg_random_nonce.test_scram_nonce = NULL;
    sreg_init(4, 0);
    fz_dump = getenv("FUZZ_CONVERSATION_DUMP") != NULL;
    if (sreg_watchdog_start(20) != 0) /* statement_timeout: fuzzed SQL must not hang */
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t patterns[8][3] = {{0, 0, 0},    {1, 1, 1},   {7, 3, 11}, {64, 5, 1},
                                          {4096, 0, 0}, {2, 300, 9}, {13, 0, 1}, {5, 8, 0}};
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    ubuf_t out = UBUF_INIT;
    pgw_transport_t *t = pgw_transport_memory(data + 1, size - 1, patterns[flags & 7], 3,
                                              (flags & 8) != 0, &out, 1 << 16);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pgw_conn_run(flags & 16 ? &fz_cfg_random_nonce : &fz_cfg, t,
                 (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    pgw_transport_free(t);
    if (fz_dump) /* FUZZ_CONVERSATION_DUMP=1: the server's bytes, to check seeds by hand */
        fwrite(out.data ? out.data : "", 1, out.len, stderr);
    /* Every connection ends: the registry must be empty again. */
    if (sreg_count() != 0)
        abort();
    ubuf_free(&out);
    return 0;
}
