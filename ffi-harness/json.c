/* ffi-harness/json.c - a tiny JSON scanner (spans, not a parser): members, array elements, text. */
#include "host.h"

/* ---- a tiny JSON scanner: spans, not a parser ---------------------------------------------- */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at '"'; returns the position after the closing quote, or NULL. */
static const char *scan_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Returns the end of the value starting at p (string, object, array or literal), or NULL. */
static const char *scan_value(const char *p, const char *e)
{
    if (p >= e)
        return NULL;
    if (*p == '"')
        return scan_string(p, e);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            char c = *p;
            if (c == '"') {
                p = scan_string(p, e);
                if (!p)
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    const char *s = p;
    while (p < e && *p != ',' && *p != ']' && *p != '}' && *p != ' ' && *p != '\t' && *p != '\n' &&
           *p != '\r')
        p++;
    return p > s ? p : NULL;
}

/* The value of member `key` of the object in `obj` (top level only). */
bool obj_get(struct span obj, const char *key, struct span *out)
{
    const char *e = obj.p + obj.n;
    const char *p = skip_ws(obj.p, e);
    if (p >= e || *p != '{')
        return false;
    p++;
    for (;;) {
        p = skip_ws(p, e);
        if (p >= e || *p != '"')
            return false;
        const char *ks = p + 1, *ke = scan_string(p, e);
        if (!ke)
            return false;
        size_t kl = (size_t)(ke - 1 - ks);
        p = skip_ws(ke, e);
        if (p >= e || *p != ':')
            return false;
        p = skip_ws(p + 1, e);
        const char *ve = scan_value(p, e);
        if (!ve)
            return false;
        if (kl == strlen(key) && memcmp(ks, key, kl) == 0) {
            out->p = p;
            out->n = (size_t)(ve - p);
            return true;
        }
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        return false;
    }
}

/* Splits the array in `arr` into its elements' raw texts. Returns the count, or -1 if malformed. */
long array_elements(struct span arr, struct span **out)
{
    const char *e = arr.p + arr.n;
    const char *p = skip_ws(arr.p, e);
    *out = NULL;
    if (p >= e || *p != '[')
        return -1;
    p = skip_ws(p + 1, e);
    long n = 0, cap = 0;
    struct span *v = NULL;
    if (p < e && *p == ']')
        return 0;
    for (;;) {
        const char *ve = scan_value(p, e);
        if (!ve) {
            free(v);
            return -1;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct span *nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) {
                free(v);
                return -1;
            }
            v = nv;
        }
        v[n].p = p;
        v[n].n = (size_t)(ve - p);
        n++;
        p = skip_ws(ve, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        if (p < e && *p == ']') {
            *out = v;
            return n;
        }
        free(v);
        return -1;
    }
}

static void put_utf8(char **o, unsigned long cp)
{
    unsigned char *q = (unsigned char *)*o;
    if (cp < 0x80) {
        *q++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *q++ = (unsigned char)(0xC0 | (cp >> 6));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *q++ = (unsigned char)(0xE0 | (cp >> 12));
        *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *q++ = (unsigned char)(0xF0 | (cp >> 18));
        *q++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *q++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)q;
}

static long hex4(const char *p, const char *e)
{
    if (e - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* A value as text: a string is unescaped, `null` gives NULL, anything else is copied raw. */
char *value_text(struct span v)
{
    if (v.n == 4 && memcmp(v.p, "null", 4) == 0)
        return NULL;
    if (v.n < 2 || v.p[0] != '"')
        return xstrndup(v.p, v.n);
    const char *p = v.p + 1, *e = v.p + v.n - 1;
    char *out = xmalloc(v.n * 2 + 1), *o = out;
    while (p < e) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        if (p >= e)
            break;
        char c = *p++;
        switch (c) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            long cp = hex4(p, e);
            if (cp < 0)
                break;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                long lo = hex4(p + 2, e);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            put_utf8(&o, (unsigned long)cp);
            break;
        }
        default: *o++ = c; break; /* \" \\ \/ */
        }
    }
    *o = '\0';
    return out;
}

/* The text of member `key` ("-" when absent or null); caller frees. */
char *field_text(struct span obj, const char *key)
{
    struct span v;
    char *t = obj_get(obj, key, &v) ? value_text(v) : NULL;
    return t ? t : xstrndup("-", 1);
}
