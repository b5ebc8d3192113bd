/* status: `duckd status [--config FILE] [--SETTING VALUE ...]`, the command that asks a
 * running server how it is: it reads the same configuration as the server (file, environment,
 * flags) to find its Unix socket or TCP port, connects with libpq (the OS user on the socket
 * is admin by peer authentication; over TCP the user and password come from PGUSER and
 * PGPASSWORD or ~/.pgpass, as for psql), and prints duckd_info() and duckd_tables(). */
#ifndef DUCKD_CLI_STATUS_H
#define DUCKD_CLI_STATUS_H

/* Exit codes of `duckd status`. */
enum {
    CLI_STATUS_OK = 0,    /* the server answered */
    CLI_STATUS_ERROR = 1, /* bad arguments or configuration, or the server refused us */
    CLI_STATUS_DOWN = 3,  /* no server answers where the configuration says (as pg_ctl) */
};

/* Runs the subcommand; argv[0] is "status". Returns the process exit code. */
int cli_status_main(int argc, char **argv);

#endif
