/* libcurl client of duckd's HTTP API for the benchmarks: what pgbench and pqclient do over
 * pgwire, done over POST /v1/query.
 *
 *   httpclient BASE_URL --token-file F MODE [options]
 *
 *   loop --sql Q [--keys N] --seconds S
 *        POST {"sql": Q} in a loop on one kept-alive connection (one curl easy handle) for S
 *        seconds, as one pgbench client does; when Q has $1 it is bound to a random key in
 *        [0, N) ("params": [k]). Every response must be 200 with a JSON body free of "error".
 *        Prints ops, seconds, tps, lat_ms, lat_us, client_cpu_s.
 *   download --sql Q --format json|ndjson|csv|arrow [--rows N]
 *        POST {"sql": Q} to /v1/query?format=F once and discard the body as it streams in.
 *        The body must be complete: curl sees the final chunk, and json ends with its
 *        "row_count", csv/ndjson have one line per row (csv: plus the header), arrow ends with
 *        the end-of-stream marker. rows: counted (json: the server's row_count; csv, ndjson:
 *        lines), for arrow the --rows given (the rows are not counted: no IPC parser here).
 *        Prints rows, bytes, seconds, rows_per_s, mb_per_s, ttfb_ms, client_cpu_s.
 *
 * The token is read from F (one line), not from the command line. Errors: stderr, exit 1.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define TAIL 256 /* bytes of the body's end kept for the completeness check */
#define SMALL (64 * 1024)

typedef struct {
    uint64_t bytes, lines;
    unsigned char tail[TAIL];
    size_t tail_len;
    char small[SMALL + 1]; /* loop mode: the response body (it is small) */
    size_t small_len;
    bool keep_small;
} sink_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "httpclient: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static uint64_t rnd(uint64_t *s)
{ /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* libcurl's write callback: counts bytes and newlines, keeps the last TAIL bytes. */
static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    sink_t *s = ctx;
    size_t len = size * n;
    const char *q = p, *end = p + len;
    s->bytes += len;
    while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
        s->lines++;
        q++;
    }
    if (len >= TAIL) {
        memcpy(s->tail, end - TAIL, TAIL);
        s->tail_len = TAIL;
    } else {
        size_t keep = s->tail_len + len > TAIL ? TAIL - len : s->tail_len;
        memmove(s->tail, s->tail + s->tail_len - keep, keep);
        memcpy(s->tail + keep, p, len);
        s->tail_len = keep + len;
    }
    if (s->keep_small) {
        size_t room = SMALL - s->small_len, c = len < room ? len : room;
        memcpy(s->small + s->small_len, p, c);
        s->small_len += c;
        s->small[s->small_len] = '\0';
    }
    return len;
}

static char *read_token(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[512];
    if (!f || !fgets(buf, sizeof buf, f))
        die("cannot read the token file", path);
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    char *h = malloc(strlen(buf) + 32);
    if (!h)
        die("out of memory", NULL);
    sprintf(h, "Authorization: Bearer %s", buf);
    return h;
}

/* One easy handle (its connection is kept alive between requests) with the common options. */
static CURL *handle(const char *url, struct curl_slist *hdrs, sink_t *s)
{
    CURL *c = curl_easy_init();
    if (!c)
        die("curl_easy_init failed", NULL);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    return c;
}

/* The request body {"sql": q} or {"sql": q, "params": [k]} (caller frees). */
static char *body(const char *q, bool param, uint64_t k)
{
    json_t *o = param ? json_pack("{s:s, s:[I]}", "sql", q, "params", (json_int_t)k)
                      : json_pack("{s:s}", "sql", q);
    char *b = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!b)
        die("cannot build the request body", q);
    return b;
}

/* Performs the request; dies unless it completed with status 200. */
static void perform(CURL *c, sink_t *s, const char *what)
{
    char err[CURL_ERROR_SIZE] = "";
    long status = 0;
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        die(what, err[0] ? err : curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        fprintf(stderr, "httpclient: %s: HTTP %ld: %.*s\n", what, status, (int)s->tail_len,
                (const char *)s->tail);
        exit(1);
    }
}

static int mode_loop(const char *base, struct curl_slist *hdrs, int argc, char **argv)
{
    const char *q = opt(argc, argv, "--sql", NULL);
    uint64_t keys = strtoull(opt(argc, argv, "--keys", "1000000000"), NULL, 10);
    double seconds = atof(opt(argc, argv, "--seconds", "5"));
    char url[512];
    static sink_t s;
    uint64_t seed = (uint64_t)time(NULL) * 1000003ULL + (uint64_t)getpid();
    uint64_t ops = 0;
    long conns = 0;
    double lat = 0;
    if (!q)
        die("loop needs --sql", NULL);
    bool param = strstr(q, "$1") != NULL;
    snprintf(url, sizeof url, "%s/v1/query", base);
    s.keep_small = true;
    CURL *c = handle(url, hdrs, &s);
    double c0 = cpu_s(), t0 = now_s(), end = t0;
    while (now_s() - t0 < seconds) {
        char *b = body(q, param, keys ? rnd(&seed) % keys : 0);
        double r0 = now_s();
        s.small_len = 0;
        s.tail_len = 0;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, b);
        perform(c, &s, "query failed");
        end = now_s();
        free(b);
        long nc = 0;
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nc);
        conns += nc;
        if (strstr(s.small, "\"error\""))
            die("query failed", s.small);
        lat += end - r0;
        ops++;
    }
    double el = end - t0;
    curl_easy_cleanup(c);
    if (!ops)
        die("no request completed", NULL);
    /* connects: TCP connections opened (1 when keep-alive held for the whole run) */
    printf("ops=%llu seconds=%.4f tps=%.3f lat_ms=%.4f lat_us=%.2f client_cpu_s=%.4f "
           "connects=%ld\n",
           (unsigned long long)ops, el, ops / el, lat / ops * 1e3, lat / ops * 1e6, cpu_s() - c0,
           conns);
    return 0;
}

static int mode_download(const char *base, struct curl_slist *hdrs, int argc, char **argv)
{
    const char *q = opt(argc, argv, "--sql", NULL), *fmt = opt(argc, argv, "--format", "json");
    long long want = atoll(opt(argc, argv, "--rows", "-1"));
    char url[512];
    static sink_t s;
    long long rows = -1;
    double ttfb = 0;
    if (!q)
        die("download needs --sql", NULL);
    snprintf(url, sizeof url, "%s/v1/query?format=%s", base, fmt);
    CURL *c = handle(url, hdrs, &s);
    char *b = body(q, false, 0);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, b);
    double c0 = cpu_s(), t0 = now_s();
    perform(c, &s, "download failed");
    double el = now_s() - t0;
    curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME, &ttfb);
    curl_easy_cleanup(c);
    free(b);

    char tail[TAIL + 1];
    memcpy(tail, s.tail, s.tail_len);
    tail[s.tail_len] = '\0';
    if (strcmp(fmt, "json") == 0) {
        const char *rc = strstr(tail, "\"row_count\":");
        if (!rc || strstr(tail, "\"error\""))
            die("the JSON result is incomplete or has an error", tail);
        rows = atoll(rc + 12);
    } else if (strcmp(fmt, "ndjson") == 0 || strcmp(fmt, "csv") == 0) {
        if (s.tail_len == 0 || s.tail[s.tail_len - 1] != '\n' || strstr(tail, "{\"error\""))
            die("the result is incomplete or has an error", tail);
        rows = (long long)s.lines - (strcmp(fmt, "csv") == 0 ? 1 : 0);
    } else if (strcmp(fmt, "arrow") == 0) {
        static const unsigned char eos[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
        if (s.tail_len < 8 || memcmp(s.tail + s.tail_len - 8, eos, 8) != 0)
            die("the Arrow stream has no end-of-stream marker", NULL);
        rows = want;
    } else {
        die("unknown --format", fmt);
    }
    if (want >= 0 && rows != want) {
        fprintf(stderr, "httpclient: expected %lld rows, got %lld\n", want, rows);
        return 1;
    }
    printf("rows=%lld bytes=%llu seconds=%.4f rows_per_s=%.1f mb_per_s=%.2f ttfb_ms=%.2f "
           "client_cpu_s=%.4f\n",
           rows, (unsigned long long)s.bytes, el, rows / el, (double)s.bytes / el / 1e6, ttfb * 1e3,
           cpu_s() - c0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[2], "--token-file") != 0) {
        fprintf(stderr, "usage: httpclient BASE_URL --token-file F loop|download [options]\n");
        return 2;
    }
    const char *base = argv[1], *mode = argv[4];
    int rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        die("curl_global_init failed", NULL);
    char *auth = read_token(argv[3]);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (strcmp(mode, "loop") == 0)
        rc = mode_loop(base, hdrs, argc - 4, argv + 4);
    else if (strcmp(mode, "download") == 0)
        rc = mode_download(base, hdrs, argc - 4, argv + 4);
    else
        die("unknown mode", mode);
    curl_slist_free_all(hdrs);
    free(auth);
    curl_global_cleanup();
    return rc;
}
