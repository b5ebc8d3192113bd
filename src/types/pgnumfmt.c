/* pgnf: PostgreSQL's numeric to_char / to_number (see pgnumfmt.h). The template is parsed into
 * nodes (patterns and literal characters) and a description (digits before and after the
 * decimal point, sign style, fill mode, ...); one pass over the nodes then writes the number's
 * digits where the template has digit positions, with PostgreSQL's placement of the sign, of
 * leading blanks and zeros and of fill mode's trimming, or reads them back for to_number. */
#include "types/pgnumfmt.h"

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* ---- template ---- */

typedef enum {
    NF_COMMA,
    NF_DEC,
    NF_0,
    NF_9,
    NF_B,
    NF_C,
    NF_D,
    NF_E,
    NF_FM,
    NF_G,
    NF_L,
    NF_MI,
    NF_PL,
    NF_PR,
    NF_RN,
    NF_SG,
    NF_SP,
    NF_S,
    NF_TH,
    NF_V,
    NF_rn,
    NF_th,
} nf_key_t;

/* PostgreSQL's keyword order: among keywords with the same first character the first match
 * wins, so longer spellings come first ("SG", "SP" before "S"). */
static const struct {
    const char *name;
    nf_key_t key;
} nf_keywords[] = {
    {",", NF_COMMA}, {".", NF_DEC},  {"0", NF_0},   {"9", NF_9},   {"B", NF_B},   {"C", NF_C},
    {"D", NF_D},     {"EEEE", NF_E}, {"FM", NF_FM}, {"G", NF_G},   {"L", NF_L},   {"MI", NF_MI},
    {"PL", NF_PL},   {"PR", NF_PR},  {"RN", NF_RN}, {"SG", NF_SG}, {"SP", NF_SP}, {"S", NF_S},
    {"TH", NF_TH},   {"V", NF_V},    {"b", NF_B},   {"c", NF_C},   {"d", NF_D},   {"eeee", NF_E},
    {"fm", NF_FM},   {"g", NF_G},    {"l", NF_L},   {"mi", NF_MI}, {"pl", NF_PL}, {"pr", NF_PR},
    {"rn", NF_rn},   {"sg", NF_SG},  {"sp", NF_SP}, {"s", NF_S},   {"th", NF_th}, {"v", NF_V},
};

#define NF_F_DECIMAL (1 << 1)
#define NF_F_LDECIMAL (1 << 2)
#define NF_F_ZERO (1 << 3)
#define NF_F_BLANK (1 << 4)
#define NF_F_FILLMODE (1 << 5)
#define NF_F_LSIGN (1 << 6)
#define NF_F_BRACKET (1 << 7)
#define NF_F_MINUS (1 << 8)
#define NF_F_PLUS (1 << 9)
#define NF_F_ROMAN (1 << 10)
#define NF_F_MULTI (1 << 11)
#define NF_F_EEEE (1 << 12)

#define NF_LSIGN_PRE (-1)
#define NF_LSIGN_NONE 0
#define NF_LSIGN_POST 1

typedef struct nf_desc {
    int pre, post;     /* digit positions before / after the decimal point */
    int lsign;         /* S: before or after the number */
    int flag;          /* NF_F_* */
    int pre_lsign_num; /* pre when S was seen */
    int multi;         /* digits after V */
    int zero_start;    /* 1-based position of the first 0, 0 = none */
    int zero_end;      /* position of the last 0 */
} nf_desc_t;

typedef struct nf_node {
    bool action;  /* a pattern (key) or a literal character (ch) */
    nf_key_t key; /* when action */
    char ch[5];   /* when not: one UTF-8 character, NUL-terminated */
} nf_node_t;

typedef struct nf_tmpl {
    nf_node_t *nodes;
    size_t n;
    nf_desc_t d;
} nf_tmpl_t;

static bool nf_fail(pgnf_err_t *err, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool nf_fail(pgnf_err_t *err, const char *state, const char *fmt, ...)
{
    va_list ap;
    memcpy(err->sqlstate, state, 5);
    err->sqlstate[5] = '\0';
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

static size_t nf_mblen(const char *s, size_t left)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return n > left ? (left ? left : 1) : n;
}

/* PostgreSQL's NUMDesc_prepare: a pattern's effect on the description, or a syntax error. */
static bool nf_prepare(nf_desc_t *d, nf_key_t k, pgnf_err_t *err)
{
    const char *syn = "42601";
    if ((d->flag & NF_F_EEEE) && k != NF_E)
        return nf_fail(err, syn, "\"EEEE\" must be the last pattern used");
    switch (k) {
    case NF_9:
        if (d->flag & NF_F_BRACKET)
            return nf_fail(err, syn, "\"9\" must be ahead of \"PR\"");
        if (d->flag & NF_F_MULTI)
            d->multi++;
        else if (d->flag & NF_F_DECIMAL)
            d->post++;
        else
            d->pre++;
        break;
    case NF_0:
        if (d->flag & NF_F_BRACKET)
            return nf_fail(err, syn, "\"0\" must be ahead of \"PR\"");
        if (!(d->flag & NF_F_ZERO) && !(d->flag & NF_F_DECIMAL)) {
            d->flag |= NF_F_ZERO;
            d->zero_start = d->pre + 1;
        }
        if (!(d->flag & NF_F_DECIMAL))
            d->pre++;
        else
            d->post++;
        d->zero_end = d->pre + d->post;
        break;
    case NF_B:
        if (d->pre == 0 && d->post == 0 && !(d->flag & NF_F_ZERO))
            d->flag |= NF_F_BLANK;
        break;
    case NF_D:
    case NF_DEC:
        if (k == NF_D)
            d->flag |= NF_F_LDECIMAL;
        if (d->flag & NF_F_DECIMAL)
            return nf_fail(err, syn, "multiple decimal points");
        if (d->flag & NF_F_MULTI)
            return nf_fail(err, syn, "cannot use \"V\" and decimal point together");
        d->flag |= NF_F_DECIMAL;
        break;
    case NF_FM: d->flag |= NF_F_FILLMODE; break;
    case NF_S:
        if (d->flag & NF_F_LSIGN)
            return nf_fail(err, syn, "cannot use \"S\" twice");
        if (d->flag & (NF_F_PLUS | NF_F_MINUS | NF_F_BRACKET))
            return nf_fail(err, syn, "cannot use \"S\" and \"PL\"/\"MI\"/\"SG\"/\"PR\" together");
        if (!(d->flag & NF_F_DECIMAL)) {
            d->lsign = NF_LSIGN_PRE;
            d->pre_lsign_num = d->pre;
            d->flag |= NF_F_LSIGN;
        } else if (d->lsign == NF_LSIGN_NONE) {
            d->lsign = NF_LSIGN_POST;
            d->flag |= NF_F_LSIGN;
        }
        break;
    case NF_MI:
        if (d->flag & NF_F_LSIGN)
            return nf_fail(err, syn, "cannot use \"S\" and \"MI\" together");
        d->flag |= NF_F_MINUS;
        break;
    case NF_PL:
        if (d->flag & NF_F_LSIGN)
            return nf_fail(err, syn, "cannot use \"S\" and \"PL\" together");
        d->flag |= NF_F_PLUS;
        break;
    case NF_SG:
        if (d->flag & NF_F_LSIGN)
            return nf_fail(err, syn, "cannot use \"S\" and \"SG\" together");
        d->flag |= NF_F_MINUS | NF_F_PLUS;
        break;
    case NF_PR:
        if (d->flag & (NF_F_LSIGN | NF_F_PLUS | NF_F_MINUS))
            return nf_fail(err, syn, "cannot use \"PR\" and \"S\"/\"PL\"/\"MI\"/\"SG\" together");
        d->flag |= NF_F_BRACKET;
        break;
    case NF_RN:
    case NF_rn: d->flag |= NF_F_ROMAN; break;
    case NF_V:
        if (d->flag & NF_F_DECIMAL)
            return nf_fail(err, syn, "cannot use \"V\" and decimal point together");
        d->flag |= NF_F_MULTI;
        break;
    case NF_E:
        if (d->flag & NF_F_EEEE)
            return nf_fail(err, syn, "cannot use \"EEEE\" twice");
        if (d->flag & (NF_F_BLANK | NF_F_FILLMODE | NF_F_LSIGN | NF_F_BRACKET | NF_F_MINUS |
                       NF_F_PLUS | NF_F_ROMAN | NF_F_MULTI))
            return nf_fail(err, syn, "\"EEEE\" is incompatible with other formats");
        d->flag |= NF_F_EEEE;
        break;
    default: break;
    }
    return true;
}

/* Parses a template (PostgreSQL's parse_format for numbers). t is NUL-terminated. */
static bool nf_parse(const char *t, size_t len, nf_tmpl_t *tp, pgnf_err_t *err)
{
    const char *p = t, *end = t + len;
    memset(tp, 0, sizeof *tp);
    if (len > PGNF_MAX_TEMPLATE)
        return nf_fail(err, "54000", "the template is too long (more than %u bytes)",
                       PGNF_MAX_TEMPLATE);
    tp->nodes = xcalloc(len + 1, sizeof *tp->nodes);
    while (p < end) {
        size_t k = 0, nk = sizeof nf_keywords / sizeof nf_keywords[0], kl = 0;
        for (; k < nk; k++) {
            kl = strlen(nf_keywords[k].name);
            if ((size_t)(end - p) >= kl && memcmp(p, nf_keywords[k].name, kl) == 0)
                break;
        }
        if (k < nk) {
            nf_node_t *n = &tp->nodes[tp->n++];
            n->action = true;
            n->key = nf_keywords[k].key;
            if (!nf_prepare(&tp->d, n->key, err))
                return false;
            p += kl;
        } else if (*p == '"') {
            for (p++; p < end;) {
                if (*p == '"') {
                    p++;
                    break;
                }
                if (*p == '\\' && p + 1 < end)
                    p++;
                size_t cl = nf_mblen(p, (size_t)(end - p));
                nf_node_t *n = &tp->nodes[tp->n++];
                memcpy(n->ch, p, cl);
                p += cl;
            }
        } else {
            if (*p == '\\' && p + 1 < end && p[1] == '"')
                p++;
            size_t cl = nf_mblen(p, (size_t)(end - p));
            nf_node_t *n = &tp->nodes[tp->n++];
            memcpy(n->ch, p, cl);
            p += cl;
        }
    }
    return true;
}

static void nf_tmpl_free(nf_tmpl_t *tp)
{
    free(tp->nodes);
    tp->nodes = NULL;
}

/* ---- the pass over the nodes ---- */

typedef struct nf_proc {
    nf_desc_t *d;
    int sign; /* '+', '-' (or 0 for RN) */
    bool sign_wrote, num_in;
    int num_curr, num_count, out_pre_spaces;
    char *number, *number_p; /* the number's text (to_char) or the digits read (to_number) */
    const char *last_relevant;
    char *o;                            /* to_char: the output position */
    const char *ip, *in_start, *in_end; /* to_number: the input position */
    int read_pre, read_post;
    bool read_dec;
} nf_proc_t;

#define NF_IS(pr, f) (((pr)->d->flag & (f)) != 0)

static void nf_put(nf_proc_t *pr, const char *s)
{
    size_t n = strlen(s);
    memcpy(pr->o, s, n);
    pr->o += n;
}

/* 12.0500 -> the '5'; 12.0000 -> the '.'; NULL without a decimal point */
static const char *nf_last_relevant(const char *num)
{
    const char *p = strchr(num, '.'), *r = p;
    if (!p)
        return NULL;
    for (p++; *p; p++)
        if (*p != '0')
            r = p;
    return r;
}

/* the digit the ordinal suffix goes by: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st */
static const char *nf_th(const char *num, bool upper, pgnf_err_t *err, bool *ok)
{
    size_t len = strlen(num);
    char last = len ? num[len - 1] : '\0';
    *ok = true;
    if (!isdigit((unsigned char)last)) {
        *ok = nf_fail(err, "22P02", "\"%s\" is not a number", num);
        return "";
    }
    if (len > 1 && num[len - 2] == '1')
        last = '0';
    switch (last) {
    case '1': return upper ? "ST" : "st";
    case '2': return upper ? "ND" : "nd";
    case '3': return upper ? "RD" : "rd";
    default: return upper ? "TH" : "th";
    }
}

static bool nf_predec_space(const nf_proc_t *pr)
{
    return !NF_IS(pr, NF_F_ZERO) && pr->number == pr->number_p && *pr->number == '0' &&
           pr->d->post != 0;
}

/* One digit position (9, 0) or the decimal point (., D) of to_char. */
static void nf_digit_out(nf_proc_t *pr, nf_key_t id)
{
    nf_desc_t *d = pr->d;
    if (NF_IS(pr, NF_F_ROMAN))
        return;
    pr->num_in = false;
    /* the sign goes just before the first digit written ('0.1' with 9.9 is '  .1') */
    if (!pr->sign_wrote &&
        (pr->num_curr >= pr->out_pre_spaces ||
         (NF_IS(pr, NF_F_ZERO) && d->zero_start == pr->num_curr)) &&
        (!nf_predec_space(pr) || (pr->last_relevant && *pr->last_relevant == '.'))) {
        if (NF_IS(pr, NF_F_LSIGN)) {
            if (d->lsign == NF_LSIGN_PRE) {
                nf_put(pr, pr->sign == '-' ? "-" : "+");
                pr->sign_wrote = true;
            }
        } else if (NF_IS(pr, NF_F_BRACKET)) {
            *pr->o++ = pr->sign == '+' ? ' ' : '<';
            pr->sign_wrote = true;
        } else if (pr->sign == '+') {
            if (!NF_IS(pr, NF_F_FILLMODE))
                *pr->o++ = ' ';
            pr->sign_wrote = true;
        } else if (pr->sign == '-') {
            *pr->o++ = '-';
            pr->sign_wrote = true;
        }
    }
    if (pr->num_curr < pr->out_pre_spaces &&
        (d->zero_start > pr->num_curr || !NF_IS(pr, NF_F_ZERO))) {
        if (!NF_IS(pr, NF_F_FILLMODE))
            *pr->o++ = ' '; /* a leading blank */
    } else if (NF_IS(pr, NF_F_ZERO) && pr->num_curr < pr->out_pre_spaces &&
               d->zero_start <= pr->num_curr) {
        *pr->o++ = '0'; /* a leading zero */
        pr->num_in = true;
    } else {
        if (*pr->number_p == '.') {
            nf_put(pr, "."); /* FM9.9 of 1 is '1.' */
        } else if (pr->last_relevant && pr->number_p > pr->last_relevant && id != NF_0) {
            /* FM: a trailing zero dropped */
        } else if (nf_predec_space(pr)) {
            if (!NF_IS(pr, NF_F_FILLMODE))
                *pr->o++ = ' ';
            else if (pr->last_relevant && *pr->last_relevant == '.')
                *pr->o++ = '0';
        } else {
            /* PostgreSQL writes the number's terminating NUL here when the template has more
             * digit positions than the number has digits (a real cut to DBL_DIG): the text
             * ends there. */
            *pr->o++ = *pr->number_p;
            pr->num_in = true;
        }
        if (*pr->number_p)
            pr->number_p++;
    }
    int end = pr->num_count + (pr->out_pre_spaces ? 1 : 0) + (NF_IS(pr, NF_F_DECIMAL) ? 1 : 0);
    if (pr->last_relevant && pr->last_relevant == pr->number_p)
        end = pr->num_curr;
    if (pr->num_curr + 1 == end) {
        if (pr->sign_wrote && NF_IS(pr, NF_F_BRACKET))
            *pr->o++ = pr->sign == '+' ? ' ' : '>';
        else if (NF_IS(pr, NF_F_LSIGN) && d->lsign == NF_LSIGN_POST)
            nf_put(pr, pr->sign == '-' ? "-" : "+");
    }
    pr->num_curr++;
}

/* to_char's pass: number is the digits to place (no sign), out_pre_spaces the blank digit
 * positions before them, sign '+' or '-'. out has room for any output of this template. */
static bool nf_write(const nf_tmpl_t *tp, nf_desc_t *d, char *number, int out_pre_spaces, int sign,
                     char *out, pgnf_err_t *err)
{
    nf_proc_t pr;
    memset(&pr, 0, sizeof pr);
    pr.d = d;
    pr.number = number;
    if (d->zero_start)
        d->zero_start--;
    if (d->flag & NF_F_EEEE) {
        strcpy(out, number);
        return true;
    }
    if (d->flag & NF_F_ROMAN) {
        d->lsign = d->pre_lsign_num = d->post = d->pre = 0;
        out_pre_spaces = sign = 0;
        d->flag = (d->flag & NF_F_FILLMODE) | NF_F_ROMAN;
    }
    pr.sign = sign;
    if (d->flag & (NF_F_PLUS | NF_F_MINUS)) {
        /* MI / PL / SG write the sign themselves; PL alone still gets the blank column */
        pr.sign_wrote = !((d->flag & NF_F_PLUS) && !(d->flag & NF_F_MINUS));
    } else {
        if (sign != '-' && (d->flag & NF_F_FILLMODE))
            d->flag &= ~NF_F_BRACKET;
        pr.sign_wrote = sign == '+' && (d->flag & NF_F_FILLMODE) && !(d->flag & NF_F_LSIGN);
        if (d->lsign == NF_LSIGN_PRE && d->pre == d->pre_lsign_num)
            d->lsign = NF_LSIGN_POST;
    }
    pr.num_count = d->post + d->pre - 1;
    pr.out_pre_spaces = out_pre_spaces;
    if ((d->flag & NF_F_FILLMODE) && (d->flag & NF_F_DECIMAL)) {
        pr.last_relevant = nf_last_relevant(number);
        /* FM keeps the digits the template's 0s ask for */
        if (pr.last_relevant && d->zero_end > out_pre_spaces) {
            int pos = (int)strlen(number) - 1;
            if (d->zero_end - out_pre_spaces < pos)
                pos = d->zero_end - out_pre_spaces;
            if (pr.last_relevant < number + pos)
                pr.last_relevant = number + pos;
        }
    }
    if (!pr.sign_wrote && out_pre_spaces == 0)
        pr.num_count++;
    pr.number_p = number;
    pr.o = out;
    for (size_t i = 0; i < tp->n; i++) {
        const nf_node_t *n = &tp->nodes[i];
        if (!n->action) {
            nf_put(&pr, n->ch);
            continue;
        }
        switch (n->key) {
        case NF_9:
        case NF_0:
        case NF_DEC:
        case NF_D: nf_digit_out(&pr, n->key); break;
        case NF_COMMA:
        case NF_G:
            if (pr.num_in)
                *pr.o++ = ',';
            else if (!(d->flag & NF_F_FILLMODE))
                *pr.o++ = ' ';
            break;
        case NF_L: *pr.o++ = ' '; break; /* lc_monetary C: no currency symbol */
        case NF_RN:
        case NF_rn: {
            char tmp[32];
            snprintf(tmp, sizeof tmp, (d->flag & NF_F_FILLMODE) ? "%s" : "%15s", pr.number_p);
            for (char *c = tmp; n->key == NF_rn && *c; c++)
                *c = (char)tolower((unsigned char)*c);
            nf_put(&pr, tmp);
            break;
        }
        case NF_TH:
        case NF_th:
            if (!(d->flag & (NF_F_ROMAN | NF_F_DECIMAL)) && *number != '#' && sign != '-') {
                bool ok;
                const char *th = nf_th(number, n->key == NF_TH, err, &ok);
                if (!ok)
                    return false;
                nf_put(&pr, th);
            }
            break;
        case NF_MI:
            if (sign == '-')
                *pr.o++ = '-';
            else if (!(d->flag & NF_F_FILLMODE))
                *pr.o++ = ' ';
            break;
        case NF_PL:
            if (sign == '+')
                *pr.o++ = '+';
            else if (!(d->flag & NF_F_FILLMODE))
                *pr.o++ = ' ';
            break;
        case NF_SG: *pr.o++ = (char)sign; break;
        default: break; /* FM, S, PR, V, B, C, SP: no output of their own */
        }
    }
    *pr.o = '\0';
    return true;
}

/* ---- to_char's number text per input kind ---- */

/* a number's digits as PostgreSQL's numeric_out prints them after round(x, post): sign apart */
typedef struct nf_dec {
    bool neg;
    char *ip; /* integer digits, no leading zeros ("0" for none) */
    char *fp; /* fraction digits */
} nf_dec_t;

static void nf_dec_free(nf_dec_t *x)
{
    free(x->ip);
    free(x->fp);
    x->ip = x->fp = NULL;
}

/* Parses [-|+]digits[.digits] (surrounding blanks allowed). */
static bool nf_dec_parse(const char *s, size_t n, nf_dec_t *x)
{
    size_t i = 0, a, b, c = 0, e;
    memset(x, 0, sizeof *x);
    while (i < n && s[i] == ' ')
        i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        x->neg = s[i++] == '-';
    a = i;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    b = i;
    if (i < n && s[i] == '.') {
        c = ++i;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    e = i;
    while (i < n && s[i] == ' ')
        i++;
    if (i != n || (b == a && (c == 0 || e == c)))
        return false;
    while (a + 1 < b && s[a] == '0')
        a++;
    x->ip = b > a ? xstrndup(s + a, b - a) : xstrdup("0");
    x->fp = c ? xstrndup(s + c, e - c) : xstrdup("");
    return true;
}

static bool nf_dec_is_zero(const nf_dec_t *x)
{
    return strspn(x->ip, "0") == strlen(x->ip) && strspn(x->fp, "0") == strlen(x->fp);
}

/* x * 10^m, exactly */
static void nf_dec_shift(nf_dec_t *x, int m)
{
    size_t fl = strlen(x->fp), il = strlen(x->ip), take = (size_t)m < fl ? (size_t)m : fl;
    char *ni = xmalloc(il + (size_t)m + 1);
    memcpy(ni, x->ip, il);
    memcpy(ni + il, x->fp, take);
    memset(ni + il + take, '0', (size_t)m - take);
    ni[il + (size_t)m] = '\0';
    memmove(x->fp, x->fp + take, fl - take + 1);
    free(x->ip);
    x->ip = ni;
    size_t lead = strspn(x->ip, "0");
    if (lead == strlen(x->ip))
        lead = strlen(x->ip) - 1;
    memmove(x->ip, x->ip + lead, strlen(x->ip + lead) + 1);
}

/* x / 10^m, exactly */
static void nf_dec_unshift(nf_dec_t *x, int m)
{
    size_t il = strlen(x->ip), fl = strlen(x->fp), mm = (size_t)m;
    size_t pad = mm >= il ? mm - il + 1 : 0, tot = pad + il + fl, point = pad + il - mm;
    char *all = xmalloc(tot + 1);
    memset(all, '0', pad);
    memcpy(all + pad, x->ip, il);
    memcpy(all + pad + il, x->fp, fl);
    all[tot] = '\0';
    free(x->ip);
    free(x->fp);
    size_t lead = strspn(all, "0");
    if (lead >= point)
        lead = point - 1;
    x->ip = xstrndup(all + lead, point - lead);
    x->fp = xstrdup(all + point);
    free(all);
}

/* Rounds the digit string d (len digits, of which the first keep are kept) half away from
 * zero; true when the carry runs out of the front (d becomes 000..., a 1 must be prepended). */
static bool nf_round_digits(char *d, size_t len, size_t keep)
{
    bool carry = keep < len && d[keep] >= '5';
    for (size_t i = keep; carry && i-- > 0;) {
        if (d[i] == '9') {
            d[i] = '0';
        } else {
            d[i]++;
            carry = false;
        }
    }
    d[keep] = '\0';
    return carry;
}

/* round(x, post), then the text "int[.frac]" with exactly post fraction digits */
static char *nf_dec_round_text(nf_dec_t *x, int post)
{
    size_t il = strlen(x->ip), fl = strlen(x->fp), pl = (size_t)post;
    char *all = xmalloc(il + (fl > pl ? fl : pl) + 2), *out;
    memcpy(all, x->ip, il);
    memcpy(all + il, x->fp, fl);
    if (fl < pl)
        memset(all + il + fl, '0', pl - fl);
    all[il + (fl > pl ? fl : pl)] = '\0';
    bool carry = nf_round_digits(all, il + (fl > pl ? fl : pl), il + pl);
    out = xmalloc(il + pl + 3);
    size_t o = 0;
    if (carry)
        out[o++] = '1';
    memcpy(out + o, all, il);
    o += il;
    if (pl) {
        out[o++] = '.';
        memcpy(out + o, all + il, pl);
        o += pl;
    }
    out[o] = '\0';
    free(all);
    /* a zero result is positive (numeric's round of -0.001 is 0.00) */
    if (strspn(out, "0.") == strlen(out))
        x->neg = false;
    return out;
}

/* numeric_out_sci: d.ddd e+XX with post digits, the exponent taken before rounding (so 9.99
 * with one digit is 10.0e+00, as in PostgreSQL). */
static char *nf_dec_sci(const nf_dec_t *x, int post)
{
    size_t il = strlen(x->ip), fl = strlen(x->fp), pl = (size_t)post;
    char *all = xmalloc(il + fl + pl + 3), *out = xmalloc(pl + 48);
    memcpy(all, x->ip, il);
    memcpy(all + il, x->fp, fl);
    all[il + fl] = '\0';
    size_t first = strspn(all, "0"), o = 0;
    long exp = 0;
    char *sig = all + first;
    size_t sl = strlen(sig);
    bool zero = sl == 0, carry;
    if (!zero)
        exp = (long)il - (long)first - 1;
    if (sl < pl + 1) {
        memset(sig + sl, '0', pl + 1 - sl);
        sl = pl + 1;
    }
    sig[sl] = '\0';
    carry = nf_round_digits(sig, sl, pl + 1);
    if (x->neg && !zero)
        out[o++] = '-';
    if (carry) { /* all nines rounded up: 10.000 */
        out[o++] = '1';
        out[o++] = '0';
        if (pl) {
            out[o++] = '.';
            memset(out + o, '0', pl);
            o += pl;
        }
    } else {
        out[o++] = sig[0];
        if (pl) {
            out[o++] = '.';
            memcpy(out + o, sig + 1, pl);
            o += pl;
        }
    }
    snprintf(out + o, 40, "e%+03ld", exp);
    free(all);
    return out;
}

static void nf_fill(char *s, char c, int n)
{
    memset(s, c, (size_t)n);
    s[n] = '\0';
}

static const char *const nf_rm1[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"};
static const char *const nf_rm10[] = {"X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"};
static const char *const nf_rm100[] = {"C", "CC", "CCC", "CD", "D", "DC", "DCC", "DCCC", "CM"};

static void nf_roman(long v, char *out /* 16 bytes */)
{
    char num[24];
    out[0] = '\0';
    if (v > 3999 || v < 1) {
        nf_fill(out, '#', 15);
        return;
    }
    int len = snprintf(num, sizeof num, "%ld", v);
    for (const char *p = num; *p; p++, len--) {
        int d = *p - '1';
        if (d < 0)
            continue;
        if (len > 3)
            while (d-- != -1)
                strcat(out, "M");
        else
            strcat(out, len == 3 ? nf_rm100[d] : len == 2 ? nf_rm10[d] : nf_rm1[d]);
    }
}

typedef enum { NF_KIND_DEC, NF_KIND_INT4, NF_KIND_F8, NF_KIND_F4 } nf_kind_t;

typedef struct nf_value {
    nf_kind_t kind;
    const char *num; /* NF_KIND_DEC, NF_KIND_INT4: the decimal text */
    size_t num_len;
    double f8;
    float f4;
} nf_value_t;

/* PostgreSQL's snprintf spells the special values so */
static char *nf_fmt_real(bool sci, int prec, double v)
{
    if (isnan(v))
        return xstrdup("NaN");
    if (isinf(v))
        return xstrdup(v < 0 ? "-Infinity" : "Infinity");
    int n = sci ? snprintf(NULL, 0, "%+.*e", prec, v) : snprintf(NULL, 0, "%.*f", prec, v);
    char *s = xmalloc((size_t)n + 1);
    if (sci)
        snprintf(s, (size_t)n + 1, "%+.*e", prec, v);
    else
        snprintf(s, (size_t)n + 1, "%.*f", prec, v);
    return s;
}

/* the number text, sign and blank digit positions for a real (float4_to_char/float8_to_char) */
static char *nf_real_number(nf_desc_t *d, double v, bool f4, int *sign, int *pre_spaces)
{
    int digmax = f4 ? FLT_DIG : DBL_DIG;
    double val = v;
    if (d->flag & NF_F_MULTI) {
        if (f4)
            val = (double)((float)v * (float)pow(10.0, d->multi));
        else
            val = v * pow(10.0, d->multi);
        d->pre += d->multi;
    }
    char *org = nf_fmt_real(false, 0, fabs(val));
    int prelen = (int)strlen(org);
    free(org);
    if (prelen >= digmax)
        d->post = 0;
    else if (prelen + d->post > digmax)
        d->post = digmax - prelen;
    org = nf_fmt_real(false, d->post, val);
    *sign = org[0] == '-' ? '-' : '+';
    if (org[0] == '-')
        memmove(org, org + 1, strlen(org));
    const char *dot = strchr(org, '.');
    prelen = dot ? (int)(dot - org) : (int)strlen(org);
    if (prelen < d->pre) {
        *pre_spaces = d->pre - prelen;
    } else if (prelen > d->pre) {
        free(org);
        org = xmalloc((size_t)(d->pre + d->post) + 2);
        nf_fill(org, '#', d->pre + d->post + 1);
        org[d->pre] = '.';
    }
    return org;
}

static char *nf_eeee_hashes(const nf_desc_t *d)
{
    char *s = xmalloc((size_t)(d->pre + d->post) + 7);
    nf_fill(s, '#', d->pre + d->post + 6);
    s[0] = ' ';
    s[d->pre + 1] = '.';
    return s;
}

static bool nf_to_char(const nf_value_t *v, const char *tmpl, size_t tmpl_len, ubuf_t *out,
                       pgnf_err_t *err)
{
    nf_tmpl_t tp;
    nf_dec_t x;
    char *t = NULL, *numstr = NULL, *buf = NULL;
    int sign = 0, pre_spaces = 0;
    bool ok = false;
    memset(&x, 0, sizeof x);
    memset(&tp, 0, sizeof tp);
    if (tmpl_len == 0) { /* PostgreSQL: an empty template gives an empty text */
        ok = true;
        goto out;
    }
    t = xstrndup(tmpl, tmpl_len);
    if (!nf_parse(t, tmpl_len, &tp, err))
        goto out;
    nf_desc_t *d = &tp.d;
    if (v->kind == NF_KIND_DEC || v->kind == NF_KIND_INT4) {
        if (v->num_len > PGNF_MAX_INPUT) {
            nf_fail(err, "54000", "the number is too long to format");
            goto out;
        }
        if (!nf_dec_parse(v->num, v->num_len, &x)) {
            nf_fail(err, "22P02", "invalid input syntax for type numeric: \"%.*s\"",
                    (int)(v->num_len < 60 ? v->num_len : 60), v->num);
            goto out;
        }
    }
    if (d->flag & NF_F_ROMAN) {
        long iv;
        if (v->kind == NF_KIND_F8 || v->kind == NF_KIND_F4) {
            double r = rint(v->kind == NF_KIND_F8 ? v->f8 : (double)v->f4);
            iv = isnan(r) || r > 2147483647.0 || r < -2147483648.0 ? 2147483647L : (long)r;
        } else {
            char *r = nf_dec_round_text(&x, 0);
            iv = strlen(r) > 10 ? 2147483647L : strtol(r, NULL, 10);
            iv = x.neg ? -iv : iv;
            free(r);
        }
        numstr = xmalloc(16);
        nf_roman(iv, numstr);
    } else if (d->flag & NF_F_EEEE) {
        if (v->kind == NF_KIND_DEC) {
            numstr = nf_dec_sci(&x, d->post);
            if (numstr[0] != '-') {
                char *s = xmalloc(strlen(numstr) + 2);
                s[0] = ' ';
                strcpy(s + 1, numstr);
                free(numstr);
                numstr = s;
            }
        } else {
            double r = v->kind == NF_KIND_F8   ? v->f8
                       : v->kind == NF_KIND_F4 ? (double)v->f4
                                               : strtod(v->num, NULL);
            if (isnan(r) || isinf(r)) {
                numstr = nf_eeee_hashes(d);
            } else {
                numstr = nf_fmt_real(true, d->post, r);
                if (numstr[0] == '+')
                    numstr[0] = ' ';
            }
        }
    } else if (v->kind == NF_KIND_F8 || v->kind == NF_KIND_F4) {
        numstr = nf_real_number(d, v->kind == NF_KIND_F8 ? v->f8 : (double)v->f4,
                                v->kind == NF_KIND_F4, &sign, &pre_spaces);
    } else {
        if (d->flag & NF_F_MULTI) {
            nf_dec_shift(&x, d->multi);
            d->pre += d->multi;
        }
        numstr = nf_dec_round_text(&x, d->post);
        sign = x.neg ? '-' : '+';
        const char *dot = strchr(numstr, '.');
        int prelen = dot ? (int)(dot - numstr) : (int)strlen(numstr);
        if (prelen < d->pre) {
            pre_spaces = d->pre - prelen;
        } else if (prelen > d->pre) {
            free(numstr);
            numstr = xmalloc((size_t)(d->pre + d->post) + 2);
            nf_fill(numstr, '#', d->pre + d->post + 1);
            numstr[d->pre] = '.';
        }
    }
    buf = xmalloc((tmpl_len + 1) * 16 + strlen(numstr) + 64);
    if (!nf_write(&tp, d, numstr, pre_spaces, sign, buf, err))
        goto out;
    ubuf_puts(out, buf);
    ok = true;
out:
    nf_tmpl_free(&tp);
    nf_dec_free(&x);
    free(t);
    free(numstr);
    free(buf);
    return ok;
}

bool pgnf_to_char_decimal(const char *num, size_t num_len, const char *tmpl, size_t tmpl_len,
                          ubuf_t *out, pgnf_err_t *err)
{
    nf_value_t v = {NF_KIND_DEC, num, num_len, 0, 0};
    return nf_to_char(&v, tmpl, tmpl_len, out, err);
}

bool pgnf_to_char_int4(int32_t i, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err)
{
    char num[16];
    int n = snprintf(num, sizeof num, "%" PRId32, i);
    nf_value_t v = {NF_KIND_INT4, num, (size_t)n, 0, 0};
    return nf_to_char(&v, tmpl, tmpl_len, out, err);
}

bool pgnf_to_char_int64(int64_t i, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, i);
    nf_value_t v = {NF_KIND_DEC, num, (size_t)n, 0, 0};
    return nf_to_char(&v, tmpl, tmpl_len, out, err);
}

bool pgnf_to_char_float8(double f, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err)
{
    nf_value_t v = {NF_KIND_F8, NULL, 0, f, 0};
    return nf_to_char(&v, tmpl, tmpl_len, out, err);
}

bool pgnf_to_char_float4(float f, const char *tmpl, size_t tmpl_len, ubuf_t *out, pgnf_err_t *err)
{
    nf_value_t v = {NF_KIND_F4, NULL, 0, 0, f};
    return nf_to_char(&v, tmpl, tmpl_len, out, err);
}

/* ---- to_number ---- */

#define NF_AT_END(pr) ((pr)->ip >= (pr)->in_end)
#define NF_LEFT(pr, s) ((pr)->ip + (s) <= (pr)->in_end)

/* one digit position or the decimal point of to_number (NUM_numpart_from_char) */
static void nf_digit_in(nf_proc_t *pr, nf_key_t id)
{
    bool isread = false;
    if (NF_AT_END(pr))
        return;
    if (*pr->ip == ' ')
        pr->ip++;
    if (NF_AT_END(pr))
        return;
    /* a sign before the number */
    if (*pr->number == ' ' && (id == NF_0 || id == NF_9) && pr->read_pre + pr->read_post == 0) {
        if (NF_IS(pr, NF_F_LSIGN) && pr->d->lsign == NF_LSIGN_PRE) {
            if (*pr->ip == '-' || *pr->ip == '+')
                *pr->number = *pr->ip++;
        } else if (*pr->ip == '-' || (NF_IS(pr, NF_F_BRACKET) && *pr->ip == '<')) {
            *pr->number = '-';
            pr->ip++;
        } else if (*pr->ip == '+') {
            *pr->number = '+';
            pr->ip++;
        }
    }
    if (NF_AT_END(pr))
        return;
    if (isdigit((unsigned char)*pr->ip)) {
        if (pr->read_dec && pr->read_post == pr->d->post)
            return;
        *pr->number_p++ = *pr->ip;
        if (pr->read_dec)
            pr->read_post++;
        else
            pr->read_pre++;
        isread = true;
    } else if (NF_IS(pr, NF_F_DECIMAL) && !pr->read_dec && *pr->ip == '.') {
        *pr->number_p++ = '.';
        pr->read_dec = true;
        isread = true;
    }
    if (NF_AT_END(pr))
        return;
    /* a sign after the last digit: 9.9S of '.5-', FM9.999999MI of '5.01-' */
    if (*pr->number == ' ' && pr->read_pre + pr->read_post > 0) {
        if (NF_IS(pr, NF_F_LSIGN) && isread && pr->ip + 1 < pr->in_end &&
            !isdigit((unsigned char)pr->ip[1])) {
            if (pr->ip[1] == '-' || pr->ip[1] == '+') {
                pr->ip++;
                *pr->number = *pr->ip;
            }
        } else if (!isread && !NF_IS(pr, NF_F_LSIGN) && NF_IS(pr, NF_F_PLUS | NF_F_MINUS)) {
            if (*pr->ip == '-' || *pr->ip == '+')
                *pr->number = *pr->ip;
        }
    }
}

/* skips n input characters that are not number data */
static void nf_eat_non_data(nf_proc_t *pr, int n)
{
    while (n-- > 0 && !NF_AT_END(pr) && !strchr("0123456789.,+-", *pr->ip))
        pr->ip += nf_mblen(pr->ip, (size_t)(pr->in_end - pr->ip));
}

static bool nf_read(const nf_tmpl_t *tp, nf_desc_t *d, const char *in, size_t in_len, char *number)
{
    nf_proc_t pr;
    memset(&pr, 0, sizeof pr);
    pr.d = d;
    pr.number = number;
    if (d->zero_start)
        d->zero_start--;
    number[0] = ' ';
    number[1] = '\0';
    pr.number_p = number + 1;
    pr.ip = pr.in_start = in;
    pr.in_end = in + in_len;
    for (size_t i = 0; i < tp->n && !NF_AT_END(&pr); i++) {
        const nf_node_t *n = &tp->nodes[i];
        if (!n->action) {
            pr.ip += nf_mblen(pr.ip, (size_t)(pr.in_end - pr.ip));
            continue;
        }
        switch (n->key) {
        case NF_9:
        case NF_0:
        case NF_DEC:
        case NF_D: nf_digit_in(&pr, n->key); break;
        case NF_COMMA:
        case NF_G:
            if (d->flag & NF_F_FILLMODE)
                continue;
            if (*pr.ip != ',')
                continue;
            break;
        case NF_L: nf_eat_non_data(&pr, 1); continue;
        case NF_TH:
        case NF_th:
            if (d->flag & NF_F_DECIMAL)
                continue;
            nf_eat_non_data(&pr, 2);
            continue;
        case NF_MI:
        case NF_PL:
        case NF_SG:
            if ((*pr.ip == '-' && n->key != NF_PL) || (*pr.ip == '+' && n->key != NF_MI)) {
                *number = *pr.ip;
                break;
            }
            nf_eat_non_data(&pr, 1);
            continue;
        default: continue;
        }
        pr.ip++;
    }
    if (pr.number_p[-1] == '.')
        pr.number_p[-1] = '\0';
    else
        *pr.number_p = '\0';
    d->post = pr.read_post;
    return true;
}

bool pgnf_to_number(const char *s, size_t s_len, const char *tmpl, size_t tmpl_len, ubuf_t *out,
                    pgnf_err_t *err)
{
    nf_tmpl_t tp;
    nf_dec_t x;
    char *t = NULL, *in = NULL, *number = NULL;
    bool ok = false;
    memset(&tp, 0, sizeof tp);
    memset(&x, 0, sizeof x);
    if (tmpl_len == 0) {
        nf_fail(err, "22P02", "invalid input syntax for type numeric: \" \"");
        goto out;
    }
    if (s_len > PGNF_MAX_INPUT) {
        nf_fail(err, "54000", "the input of to_number is too long (more than %u bytes)",
                PGNF_MAX_INPUT);
        goto out;
    }
    t = xstrndup(tmpl, tmpl_len);
    if (!nf_parse(t, tmpl_len, &tp, err))
        goto out;
    nf_desc_t *d = &tp.d;
    if (d->flag & NF_F_EEEE) {
        nf_fail(err, "0A000", "\"EEEE\" not supported for input");
        goto out;
    }
    if (d->flag & NF_F_ROMAN) {
        nf_fail(err, "0A000", "\"RN\" not supported for input");
        goto out;
    }
    in = xstrndup(s, s_len);
    number = xmalloc(tmpl_len * 2 + 8);
    nf_read(&tp, d, in, s_len, number);
    if (!nf_dec_parse(number, strlen(number), &x)) {
        nf_fail(err, "22P02", "invalid input syntax for type numeric: \"%.60s\"", number);
        goto out;
    }
    /* numeric_in with the template's typmod: precision pre + V digits + the scale read */
    int scale = d->post, precision = d->pre + d->multi + scale;
    if (!nf_dec_is_zero(&x) && (int)strlen(x.ip) > precision - scale) {
        nf_fail(err, "22003", "numeric field overflow");
        goto out;
    }
    if (d->flag & NF_F_MULTI) /* V: divided by 10^multi */
        nf_dec_unshift(&x, d->multi);
    if (x.neg && !nf_dec_is_zero(&x))
        ubuf_putc(out, '-');
    ubuf_puts(out, x.ip);
    if (*x.fp) {
        ubuf_putc(out, '.');
        ubuf_puts(out, x.fp);
    }
    ok = true;
out:
    nf_tmpl_free(&tp);
    nf_dec_free(&x);
    free(t);
    free(in);
    free(number);
    return ok;
}

int pgnf_number_scale(const char *tmpl, size_t tmpl_len)
{
    nf_tmpl_t tp;
    pgnf_err_t err;
    char *t = xstrndup(tmpl, tmpl_len);
    int scale = -1;
    memset(&tp, 0, sizeof tp);
    if (tmpl_len > 0 && nf_parse(t, tmpl_len, &tp, &err) && !(tp.d.flag & (NF_F_EEEE | NF_F_ROMAN)))
        scale = tp.d.post + tp.d.multi;
    nf_tmpl_free(&tp);
    free(t);
    return scale;
}
