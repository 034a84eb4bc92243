/* ffi-harness/util.c - allocation, file reading and string helpers (time: portable_posix.c, portable_win32.c). */
#include "host.h"

/* ---- small utilities ------------------------------------------------------------------------ */

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "host: out of memory\n");
        exit(2);
    }
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen_utf8(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (n == cap) {
        char *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            return NULL;
        }
        buf = nb;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* ---- UTF-16 ---------------------------------------------------------------------------------- */

/* UTF-8 (valid) to UTF-16 code units; with out == NULL only counts them. */
size_t utf8_to_utf16(const unsigned char *s, size_t n, uint16_t *out)
{
    size_t units = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        c &= len == 1 ? 0x7F : len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07;
        for (size_t k = 1; k < len && i + k < n; k++)
            c = (c << 6) | (s[i + k] & 0x3F);
        i += len;
        if (c >= 0x10000) {
            if (out) {
                out[units] = (uint16_t)(0xD800 | ((c - 0x10000) >> 10));
                out[units + 1] = (uint16_t)(0xDC00 | ((c - 0x10000) & 0x3FF));
            }
            units += 2;
        } else {
            if (out)
                out[units] = (uint16_t)c;
            units++;
        }
    }
    return units;
}

/* The UTF-16 form of s[0..n) in a malloc'd buffer of exactly *units units (no terminator), so that
 * a library reading past the length shows up under ASan/Valgrind. */
uint16_t *utf16_dup(const char *s, size_t n, size_t *units)
{
    *units = utf8_to_utf16((const unsigned char *)s, n, NULL);
    uint16_t *p = xmalloc(*units ? *units * sizeof *p : 1);
    utf8_to_utf16((const unsigned char *)s, n, p);
    return p;
}
