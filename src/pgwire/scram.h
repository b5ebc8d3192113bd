/* pgwire SCRAM-SHA-256: the server side of RFC 5802 / RFC 7677 as PostgreSQL 15 speaks it, as a
 * sans-I/O state machine (client messages in, server messages out), plus PostgreSQL's verifier
 * format "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>" and SASLprep of passwords. */
#ifndef DUCKD_PGWIRE_SCRAM_H
#define DUCKD_PGWIRE_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define PGW_SCRAM_MECH "SCRAM-SHA-256"
#define PGW_SCRAM_MECH_PLUS "SCRAM-SHA-256-PLUS"
#define PGW_SCRAM_KEY_LEN 32       /* SHA-256 output */
#define PGW_SCRAM_SALT_LEN 16      /* salt of generated verifiers, as PostgreSQL */
#define PGW_SCRAM_NONCE_RAW_LEN 18 /* random bytes in the server nonce, as PostgreSQL */
#define PGW_SCRAM_DEFAULT_ITERATIONS 4096
#define PGW_SCRAM_FIRST_MAX 1024 /* cap on client-first-message bytes */
#define PGW_SCRAM_FINAL_MAX 2048 /* cap on client-final-message bytes */
#define PGW_SCRAM_CB_MAX 64      /* cap on channel-binding data (SHA-512 size) */

typedef struct pgw_scram pgw_scram_t;

/* Channel binding the connection can offer. For TLS this is tls-server-end-point (RFC 5929):
 * the hash of the server's DER certificate with the certificate's signature hash (SHA-256
 * when that is MD5 or SHA-1), exactly what PostgreSQL's be_tls_get_certificate_hash returns. */
typedef struct pgw_scram_cb {
    const uint8_t *data; /* borrowed for the pgw_scram_new call only (it is copied) */
    size_t len;          /* 1..PGW_SCRAM_CB_MAX */
} pgw_scram_cb_t;

typedef enum {
    PGW_SCRAM_CONTINUE = 0, /* out holds server-first-message: send AuthenticationSASLContinue */
    PGW_SCRAM_DONE_OK = 1,  /* out holds server-final-message: send AuthenticationSASLFinal,
                             * then AuthenticationOk */
    PGW_SCRAM_FAIL = -1     /* *err is set: send it as FATAL and close */
} pgw_scram_rc_t;

/* The SASLInitialResponse payload, decoded; both pointers borrow from the payload. */
typedef struct pgw_scram_initial {
    const char *mechanism; /* NUL-terminated inside the payload */
    const uint8_t *data;   /* client-first-message; NULL when the client sent length -1 */
    size_t len;
} pgw_scram_initial_t;

/* The mechanisms to list in AuthenticationSASL, in PostgreSQL's order: SCRAM-SHA-256-PLUS
 * first (only when plus_available, i.e. TLS with a certificate hash), then SCRAM-SHA-256.
 * Returns a static array and its length in *n. */
const char *const *pgw_scram_mechanisms(bool plus_available, size_t *n);

/* Decodes a SASLInitialResponse payload ('p' after AuthenticationSASL): mechanism name, int32
 * length (-1 = no data) and that many bytes, nothing after. Returns 0, or -1 with *err set to
 * 08P01. */
int pgw_scram_decode_initial(const uint8_t *p, size_t n, pgw_scram_initial_t *out, uerr_t *err)
    __attribute__((warn_unused_result));

/* Starts an exchange for the startup `user` (the SCRAM user name is ignored, as PostgreSQL
 * does). `verifier` is the user's stored verifier, or NULL for an unknown user; an unknown user
 * or an unparsable verifier gets a mock verifier derived from SHA-256(user || mock_secret), so
 * the exchange looks the same as for a real user and fails only at the proof check with the
 * wrong-password error. mock_secret (mock_len bytes) should be random and stable for the
 * server's lifetime (a persisted secret also keeps the mock salts stable across restarts);
 * NULL uses a random secret made once per process. `cb` is the channel binding this connection
 * offers, or NULL when none (plain TCP, Unix socket). All arguments are copied; the caller
 * frees the result with pgw_scram_free. Never returns NULL. */
pgw_scram_t *pgw_scram_new(const char *user, const char *verifier, const uint8_t *mock_secret,
                           size_t mock_len, const pgw_scram_cb_t *cb);
/* Wipes every secret and frees the state; NULL is ignored. */
void pgw_scram_free(pgw_scram_t *s);

/* Validates the mechanism the client named in SASLInitialResponse and records it; call it once
 * before the first pgw_scram_step (without it the exchange is plain SCRAM-SHA-256).
 * SCRAM-SHA-256-PLUS is accepted only when channel binding was offered. Returns 0, or -1 with
 * *err set to 08P01 ("client selected an invalid SASL authentication mechanism"). */
int pgw_scram_select_mechanism(pgw_scram_t *s, const char *mechanism, uerr_t *err)
    __attribute__((warn_unused_result));

/* Feeds the next client message: first the SASLInitialResponse data (client-first-message),
 * then the SASLResponse payload (client-final-message). Appends the reply to `out` (cleared
 * first) and returns a pgw_scram_rc_t. On PGW_SCRAM_FAIL *err carries 28P01
 * `password authentication failed for user "NAME"` for a wrong proof or unknown user, 08P01
 * for a malformed message (message "malformed SCRAM message" plus a detail, as PostgreSQL),
 * 0A000 for an authorization identity or a mandatory extension, 28000 for a channel-binding
 * mismatch; after a failure or success every further call fails. */
int pgw_scram_step(pgw_scram_t *s, const uint8_t *in, size_t in_len, ubuf_t *out, uerr_t *err)
    __attribute__((warn_unused_result));

/* Builds a verifier for `password` (SASLprep-normalised, see pgw_scram_saslprep) with a fresh
 * 16-byte random salt and `iterations` (0 = PGW_SCRAM_DEFAULT_ITERATIONS; otherwise at least
 * 4096 and at most 100000000). Appends it to `out` (cleared first) as a C string. Returns 0, or
 * -1 with *err set (22023 bad iterations, 58000 no randomness). */
int pgw_scram_make_verifier(const char *password, int iterations, ubuf_t *out, uerr_t *err)
    __attribute__((warn_unused_result));

/* A parsed verifier: salt bytes (owned; free with pgw_scram_verifier_free) and the two keys. */
typedef struct pgw_scram_verifier {
    int iterations; /* >= 1 */
    uint8_t *salt;  /* owned, salt_len bytes */
    size_t salt_len;
    uint8_t stored_key[PGW_SCRAM_KEY_LEN];
    uint8_t server_key[PGW_SCRAM_KEY_LEN];
} pgw_scram_verifier_t;

/* Parses PostgreSQL's verifier format strictly: the exact "SCRAM-SHA-256$" prefix, decimal
 * iterations 1..INT_MAX, a non-empty canonical base64 salt and two base64 keys of exactly 32
 * bytes; at most 1024 bytes in all. Returns true and fills *v, or false with *v zeroed. */
bool pgw_scram_parse_verifier(const char *text, pgw_scram_verifier_t *v)
    __attribute__((warn_unused_result));
/* Wipes the keys and frees the salt; safe on a zeroed struct. */
void pgw_scram_verifier_free(pgw_scram_verifier_t *v);

/* SASLprep (RFC 4013, stored-string rules) as PostgreSQL applies it to passwords: pure ASCII
 * is used as is, and a password that is not valid UTF-8 or that SASLprep rejects is used as
 * the raw bytes unchanged. Returns a malloc'ed string the caller frees (wipe it first). */
char *pgw_scram_saslprep(const char *password);

/* Strict base64 (RFC 4648 with padding): pgw_b64_encode appends to out; pgw_b64_decode writes
 * at most cap bytes to dst and returns the decoded length, or -1 for anything non-canonical
 * (bad characters, length not a multiple of 4, misplaced padding, non-zero trailing bits) or
 * output longer than cap. */
void pgw_b64_encode(ubuf_t *out, const uint8_t *p, size_t n);
long pgw_b64_decode(const char *s, size_t n, uint8_t *dst, size_t cap)
    __attribute__((warn_unused_result));

/* ---- Test hooks (not for production callers) ---- */

/* Replaces the random server nonce with `nonce` (printable, no ','); call before the first
 * step. */
void pgw_scram__set_nonce(pgw_scram_t *s, const char *nonce);
/* pgw_scram_make_verifier with a given salt and no lower bound on iterations (>= 1). */
int pgw_scram__make_verifier_salt(const char *password, int iterations, const uint8_t *salt,
                                  size_t salt_len, ubuf_t *out, uerr_t *err)
    __attribute__((warn_unused_result));

#endif
