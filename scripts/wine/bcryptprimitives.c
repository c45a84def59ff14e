/*
 * Test tooling only — never shipped. Rust's standard library (1.78 and later) draws random bytes
 * with ProcessPrng from bcryptprimitives.dll, which Windows has and Debian's Wine 8 lacks: without
 * it every Windows binary exits at start with "c0000135" (DLL not found). scripts/test.sh builds
 * this stand-in with mingw-w64 and puts it beside the test binaries it runs under Wine; it draws
 * the bytes from RtlGenRandom (advapi32's SystemFunction036), which Wine implements.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
