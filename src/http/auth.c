/* http auth: bearer tokens and HTTP Basic against duckd's users and access rules; see
 * auth.h. */
#include "http/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/tokens.h"
#include "pgwire/scram.h"

#define BASIC_MAX 1024 /* decoded "user:password" bytes */

bool http_auth_password_ok(const char *verifier, const char *password)
{
    pgw_scram_verifier_t v;
    uint8_t salted[PGW_SCRAM_KEY_LEN], client_key[PGW_SCRAM_KEY_LEN], stored[PGW_SCRAM_KEY_LEN];
    unsigned int len = 0;
    bool ok = false;
    char *prepped;
    if (!verifier || !pgw_scram_parse_verifier(verifier, &v))
        return false;
    prepped = pgw_scram_saslprep(password);
    if (PKCS5_PBKDF2_HMAC(prepped, (int)strlen(prepped), v.salt, (int)v.salt_len, v.iterations,
                          EVP_sha256(), sizeof salted, salted) == 1 &&
        HMAC(EVP_sha256(), salted, sizeof salted, (const unsigned char *)"Client Key", 10,
             client_key, &len) != NULL) {
        SHA256(client_key, sizeof client_key, stored);
        ok = CRYPTO_memcmp(stored, v.stored_key, sizeof stored) == 0;
    }
    OPENSSL_cleanse(prepped, strlen(prepped));
    free(prepped);
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    pgw_scram_verifier_free(&v);
    return ok;
}

/* A verifier no password matches, with PostgreSQL's default cost, so an unknown user takes
 * as long to refuse as a wrong password. */
static const char mock_verifier[] =
    "SCRAM-SHA-256$4096:AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

static int load_users(const http_auth_cfg_t *c, pgw_users_t **users, uerr_t *err)
{
    *users = NULL;
    if (!c->users_file || !*c->users_file || access(c->users_file, F_OK) != 0)
        return 0;
    return pgw_users_load(c->users_file, users, err);
}

/* The access rules' verdict for user; 0, or -1 with 403 when a rule rejects. */
static int check_rules(const http_auth_cfg_t *c, const struct sockaddr *peer, bool tls,
                       const char *user, pgw_hba_method_t *m, int *status, uerr_t *err)
{
    *m = pgw_hba_match(c->hba, PGW_LISTENER_TCP, peer, tls, user);
    if (*m == PGW_HBA_REJECT || *m == PGW_HBA_PEER) {
        uerr_set(err, "28000", "no access rule allows user \"%s\" from this address over HTTP%s",
                 user, tls ? "S" : "");
        *status = 403;
        return -1;
    }
    return 0;
}

static int auth_bearer(const http_auth_cfg_t *c, const char *token, const struct sockaddr *peer,
                       bool tls, http_who_t *who, int *status, uerr_t *err)
{
    pgw_users_t *users = NULL;
    const pgw_user_t *u;
    pgw_hba_method_t m;
    int rc = -1, found;
    *status = 500;
    found = tok_lookup(c->tokens_file, token, strlen(token), who->user, sizeof who->user, err);
    if (found < 0)
        goto out;
    if (found == 0) {
        uerr_set(err, "28P01", "invalid bearer token");
        *status = 401;
        goto out;
    }
    if (load_users(c, &users, err) != 0)
        goto out;
    u = pgw_users_find(users, who->user);
    if (!u) {
        uerr_set(err, "28000", "role \"%s\" of the token does not exist in the users file",
                 who->user);
        *status = 401;
        goto out;
    }
    if (check_rules(c, peer, tls, who->user, &m, status, err) != 0)
        goto out;
    who->role = u->role;
    who->method = "bearer";
    rc = 0;
out:
    pgw_users_free(users);
    return rc;
}

static int auth_basic(const http_auth_cfg_t *c, const char *b64, const struct sockaddr *peer,
                      bool tls, http_who_t *who, int *status, uerr_t *err)
{
    uint8_t raw[BASIC_MAX + 1];
    pgw_users_t *users = NULL;
    const pgw_user_t *u;
    pgw_hba_method_t m;
    int rc = -1;
    long n;
    char *colon;
    *status = 401;
    if (!tls) {
        uerr_set(err, "28000", "HTTP Basic authentication is only accepted over TLS");
        goto out;
    }
    n = pgw_b64_decode(b64, strlen(b64), raw, BASIC_MAX);
    if (n < 0 || memchr(raw, '\0', (size_t)n)) {
        uerr_set(err, "28000", "malformed Basic credentials");
        goto out;
    }
    raw[n] = '\0';
    colon = strchr((char *)raw, ':');
    if (!colon || !pgw_user_name_valid((char *)raw, (size_t)(colon - (char *)raw))) {
        uerr_set(err, "28000", "malformed Basic credentials");
        goto out;
    }
    *colon = '\0';
    memcpy(who->user, raw, (size_t)(colon - (char *)raw) + 1); /* a valid name: <= 63 bytes */
    if (load_users(c, &users, err) != 0) {
        *status = 500;
        goto out;
    }
    if (check_rules(c, peer, tls, who->user, &m, status, err) != 0)
        goto out;
    u = pgw_users_find(users, who->user);
    if (m == PGW_HBA_TRUST) {
        who->role = u ? u->role : GUARD_ROLE_READ_WRITE;
        who->method = "trust";
        rc = 0;
        goto out;
    }
    if (!http_auth_password_ok(u ? u->verifier : mock_verifier, colon + 1) || !u) {
        uerr_set(err, "28P01", "password authentication failed for user \"%s\"", who->user);
        goto out;
    }
    who->role = u->role;
    who->method = "basic";
    rc = 0;
out:
    OPENSSL_cleanse(raw, sizeof raw);
    pgw_users_free(users);
    return rc;
}

int http_auth(const http_auth_cfg_t *c, const char *authorization, const struct sockaddr *peer,
              bool tls, http_who_t *who, int *status, uerr_t *err)
{
    memset(who, 0, sizeof *who);
    if (authorization) {
        while (*authorization == ' ')
            authorization++;
        if (!strncasecmp(authorization, "Bearer ", 7))
            return auth_bearer(c, authorization + 7, peer, tls, who, status, err);
        if (!strncasecmp(authorization, "Basic ", 6))
            return auth_basic(c, authorization + 6, peer, tls, who, status, err);
        *status = 401;
        uerr_set(err, "28000", "unsupported authorization scheme (use Bearer%s)",
                 tls ? " or Basic" : "");
        return -1;
    }
    /* No credentials: only a trust rule for every user admits the request. "" is no user
     * name a rule can list, so only "all" rules match it. */
    if (pgw_hba_match(c->hba, PGW_LISTENER_TCP, peer, tls, "") == PGW_HBA_TRUST) {
        snprintf(who->user, sizeof who->user, "anonymous");
        who->role = GUARD_ROLE_READ_WRITE;
        who->method = "trust";
        return 0;
    }
    *status = 401;
    uerr_set(err, "28000", "authentication required: send \"Authorization: Bearer TOKEN\"%s",
             tls ? " or HTTP Basic credentials" : "");
    return -1;
}
