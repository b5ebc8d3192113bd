/* `duckd status` (see status.h): find the server the configuration describes, connect with
 * libpq, print duckd_info() as "name: value" lines (byte counts also in KiB/MiB/GiB) and the
 * tables of duckd_tables(). */
#include "cli/status.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/err.h"

extern char **environ;

/* "12288" -> "12.0 KiB"; n bytes of out. */
static void human_bytes(const char *v, char *out, size_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double x = strtod(v, NULL);
    size_t u = 0;
    while (x >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        x /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, n, "%s B", v);
    else
        snprintf(out, n, "%.1f %s", x, units[u]);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void print_info(PGresult *res)
{
    int ncols = PQnfields(res);
    int width = 0;
    for (int c = 0; c < ncols; c++)
        if ((int)strlen(PQfname(res, c)) > width)
            width = (int)strlen(PQfname(res, c));
    for (int c = 0; c < ncols && PQntuples(res) > 0; c++) {
        const char *name = PQfname(res, c);
        if (PQgetisnull(res, 0, c)) {
            printf("%-*s  -\n", width, name);
        } else if (ends_with(name, "_bytes")) {
            char h[64];
            human_bytes(PQgetvalue(res, 0, c), h, sizeof h);
            printf("%-*s  %s (%s)\n", width, name, h, PQgetvalue(res, 0, c));
        } else {
            printf("%-*s  %s\n", width, name, PQgetvalue(res, 0, c));
        }
    }
}

static void print_tables(PGresult *res)
{
    int n = PQntuples(res);
    printf("\n%d table%s\n", n, n == 1 ? "" : "s");
    for (int r = 0; r < n; r++)
        printf("  %s.%s  %s rows, %s columns\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
               PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
}

/* Where to connect: the Unix socket first (peer authentication: the OS user running duckd is
 * admin), then TCP. */
typedef struct target {
    const char *host;
    char port[16];
} target_t;

static PGconn *connect_to(const target_t *t)
{
    const char *keys[] = {"host", "port", "dbname", "application_name", "connect_timeout", NULL};
    const char *vals[] = {t->host, t->port, "duckd", "duckd status", "5", NULL};
    return PQconnectdbParams(keys, vals, 0);
}

static PGPing ping(const target_t *t)
{
    const char *keys[] = {"host", "port", "dbname", "connect_timeout", NULL};
    const char *vals[] = {t->host, t->port, "duckd", "5", NULL};
    return PQpingParams(keys, vals, 0);
}

int cli_status_main(int argc, char **argv)
{
    cfg_t cfg;
    uerr_t err = UERR_INIT;
    target_t targets[2];
    size_t nt = 0;
    PGconn *conn = NULL;
    PGresult *info = NULL, *tables = NULL;
    int rc = CLI_STATUS_ERROR;

    int action = cfg_load(&cfg, argc, argv, environ, &err);
    if (action < 0) {
        fprintf(stderr, "duckd status: %s\n", err.message);
        goto out;
    }
    if (action != CFG_ACTION_RUN) {
        printf("usage: duckd status [--config FILE] [--port N] [--socket-dir DIR] "
               "[--listen ADDR]\n"
               "Prints the running server's duckd_info() and duckd_tables(). Exit codes: 0 "
               "running, 1 error, 3 not running.\n");
        rc = action == CFG_ACTION_HELP ? CLI_STATUS_OK : CLI_STATUS_ERROR;
        goto out;
    }
    if (cfg.socket_dir && *cfg.socket_dir) {
        targets[nt].host = cfg.socket_dir;
        snprintf(targets[nt++].port, sizeof targets[0].port, "%d", cfg.port);
    }
    if (cfg.listen && *cfg.listen) {
        targets[nt].host = strcmp(cfg.listen, "*") == 0 ? "127.0.0.1" : cfg.listen;
        snprintf(targets[nt++].port, sizeof targets[0].port, "%d", cfg.port);
    }
    rc = CLI_STATUS_DOWN;
    for (size_t i = 0; i < nt && !conn; i++) {
        if (ping(&targets[i]) == PQPING_NO_RESPONSE)
            continue;
        conn = connect_to(&targets[i]);
        if (PQstatus(conn) != CONNECTION_OK) {
            fprintf(stderr, "duckd status: %s port %s: %s", targets[i].host, targets[i].port,
                    PQerrorMessage(conn));
            PQfinish(conn);
            conn = NULL;
            rc = CLI_STATUS_ERROR;
        }
    }
    if (!conn) {
        if (rc == CLI_STATUS_DOWN)
            fprintf(stderr, "duckd status: no server is running on %s%s%s port %d\n",
                    nt > 0 ? targets[0].host : "(nothing configured)", nt > 1 ? " or " : "",
                    nt > 1 ? targets[1].host : "", cfg.port);
        goto out;
    }
    rc = CLI_STATUS_ERROR;
    info = PQexec(conn, "SELECT * FROM duckd_info()");
    if (PQresultStatus(info) != PGRES_TUPLES_OK) {
        fprintf(stderr, "duckd status: %s", PQerrorMessage(conn));
        goto out;
    }
    tables = PQexec(conn, "SELECT * FROM duckd_tables()");
    if (PQresultStatus(tables) != PGRES_TUPLES_OK) {
        fprintf(stderr, "duckd status: %s", PQerrorMessage(conn));
        goto out;
    }
    printf("duckd is running (%s port %s)\n\n", PQhost(conn), PQport(conn));
    print_info(info);
    print_tables(tables);
    rc = CLI_STATUS_OK;
out:
    PQclear(tables);
    PQclear(info);
    PQfinish(conn);
    cfg_free(&cfg);
    uerr_clear(&err);
    return rc;
}
