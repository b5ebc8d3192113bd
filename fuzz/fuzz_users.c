/* libFuzzer target for the users-file parser: arbitrary bytes as a users file. A parsed table
 * must hold only valid names, and every entry must be found by its own name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire/scram.h"
#include "auth/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    pgw_users_t *t = NULL;
    uerr_t err = UERR_INIT;
    if (pgw_users_parse(text, size, "fuzz", &t, &err) == 0) {
        for (size_t i = 0; i < t->n; i++) {
            const pgw_user_t *u = &t->users[i];
            pgw_scram_verifier_t v;
            if (!pgw_user_name_valid(u->name, strlen(u->name)) || pgw_users_find(t, u->name) != u ||
                (unsigned)u->role > GUARD_ROLE_ADMIN || !pgw_scram_parse_verifier(u->verifier, &v))
                abort();
            pgw_scram_verifier_free(&v);
        }
    } else if (t != NULL || err.message == NULL) {
        abort();
    }
    pgw_users_free(t);
    uerr_clear(&err);
    free(text);
    return 0;
}
