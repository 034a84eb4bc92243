/*
 * ffi-harness/win/processprng-shim.c - TEST-ONLY stand-in for bcryptprimitives.dll under Wine.
 *
 * Rust's std on Windows imports ProcessPrng from bcryptprimitives.dll (Windows 10 / Server 2016
 * and later have it). Debian bookworm's Wine 8 does not, so LoadLibrary of gcsync.dll fails with
 * error 126 there. The Wine test runs put this DLL beside host.exe; it exports ProcessPrng over
 * RtlGenRandom (advapi32!SystemFunction036). It is never shipped with gcsync: on real Windows the
 * system's own bcryptprimitives.dll is used.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x40000000u ? 0x40000000u : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
