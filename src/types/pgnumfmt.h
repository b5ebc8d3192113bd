/* pgnf: PostgreSQL 15's numeric formatting, to_char(number, template) and
 * to_number(text, template), as its formatting.c defines them for the C locale (D is '.', G is
 * ',', S/PL/SG print '+'/'-', L prints a space: lc_monetary C has no currency symbol).
 *
 * Template patterns: 9 0 . D , G FM S MI PL SG PR L V EEEE RN rn TH th (B, C, SP are accepted
 * and print nothing, as in PostgreSQL); "quoted text" and any other character are copied.
 * Decimals are formatted from their exact digits (rounding half away from zero, as numeric's
 * round); reals as PostgreSQL's float4/float8 to_char do (printf, at most FLT_DIG/DBL_DIG
 * significant digits). Pure C: no DuckDB, no allocation beyond the caller's ubuf. */
#ifndef DUCKD_TYPES_PGNUMFMT_H
#define DUCKD_TYPES_PGNUMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define PGNF_MAX_TEMPLATE 1024u /* longer templates are refused (54000) */
#define PGNF_MAX_INPUT 4096u    /* longer to_number / decimal inputs are refused (54000) */

typedef struct pgnf_err {
    char sqlstate[6];
    char message[200];
} pgnf_err_t;

/* to_char of an exact decimal written as text: [-]digits[.digits]. Appends the formatted text
 * to out; false with err set (42601 for a bad template, 22P02 for a bad number). */
bool pgnf_to_char_decimal(const char *num, size_t num_len, const char *tmpl, size_t tmpl_len,
                          ubuf_t *out, pgnf_err_t *err);
/* to_char of an int4 (PostgreSQL's int4_to_char: EEEE goes through float8). */
bool pgnf_to_char_int4(int32_t v, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err);
/* to_char of an int8 or wider integer: the decimal path (exact). */
bool pgnf_to_char_int64(int64_t v, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err);
/* to_char of a float8 / float4. */
bool pgnf_to_char_float8(double v, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err);
bool pgnf_to_char_float4(float v, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err);

/* to_number: the number read from s per the template, appended to out as [-]digits[.digits]
 * (the digits after the point are those read, shifted by V). false with err set: 22P02 when
 * nothing numeric was read, 22003 on overflow of the template's digits, 42601 / 0A000 for a
 * bad or unsupported (EEEE, RN) template. */
bool pgnf_to_number(const char *s, size_t s_len, const char *tmpl, size_t tmpl_len, ubuf_t *out,
                    pgnf_err_t *err);
/* The most digits after the decimal point to_number can give with this template (its digits
 * after D / '.', plus V's): the scale of its result type. -1 for a template to_number refuses. */
int pgnf_number_scale(const char *tmpl, size_t tmpl_len);

#endif
