/* wallclock: a settable wall clock for MicroPython's 32-bit unix port in the device suite.
 * SPDX-License-Identifier: MIT
 *
 * Preloaded (LD_PRELOAD) into the dynamically linked build of tests/runner/unix.py. time() --
 * the clock mbedTLS checks certificate dates against (MBEDTLS_HAVE_TIME_DATE: mbedtls_time is
 * libc's time) -- answers the real time plus $HADIR_WALL_OFFSET seconds, read at every call, so
 * a test moves it with os.putenv() as the ESP32's RTC moves the time mbedTLS reads there
 * (machine.RTC().datetime() sets the system time, which ESP-IDF's time() returns). Only time()
 * moves: MicroPython's time.time() and ticks (clock_gettime, gettimeofday) stay real. Debian's
 * faketime has no 32-bit library on an amd64 system, and cannot reach a static binary at all.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

typedef int64_t (*time64_fn)(int64_t *);
typedef int32_t (*time32_fn)(int32_t *);

static int64_t offset(void) {
    const char *s = getenv("HADIR_WALL_OFFSET");
    return s ? strtoll(s, NULL, 10) : 0;
}

/* glibc's time() when built with 64-bit time_t (_TIME_BITS=64, as MicroPython's unix port is) */
int64_t __time64(int64_t *out) {
    static time64_fn real;
    if (!real) {
        real = (time64_fn)dlsym(RTLD_NEXT, "__time64");
    }
    int64_t now = real(NULL) + offset();
    if (out) {
        *out = now;
    }
    return now;
}

/* ... and with a 32-bit time_t */
int32_t time(int32_t *out) {
    static time32_fn real;
    if (!real) {
        real = (time32_fn)dlsym(RTLD_NEXT, "time");
    }
    int32_t now = (int32_t)(real(NULL) + offset());
    if (out) {
        *out = now;
    }
    return now;
}
