/* LD_PRELOAD shim for tests/test_numerics.py: names every MKL vector-math (VML) function a process
 * calls, once each, on stderr ("vml_spy: vmsSqrt"), then forwards the call to MKL's own definition in
 * libtorch_cpu.so. torch reaches these through that library's PLT, so a preloaded definition sees
 * every call. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*vml_fn)(long long, const void *, void *, long long);

static void forward(const char *name, int *seen, long long n, const void *a, void *r, long long mode) {
    if (!*seen) {
        *seen = 1;
        fprintf(stderr, "vml_spy: %s\n", name);
    }
    void *torch = dlopen("libtorch_cpu.so", RTLD_NOW | RTLD_NOLOAD); /* loaded by torch, not in the global scope */
    vml_fn real = torch ? (vml_fn)dlsym(torch, name) : NULL;
    if (!real) {
        fprintf(stderr, "vml_spy: cannot find %s in libtorch_cpu.so\n", name);
        abort();
    }
    real(n, a, r, mode);
}

#define SPY(name)                                                          \
    void name(long long n, const void *a, void *r, long long mode) {      \
        static int seen;                                                   \
        forward(#name, &seen, n, a, r, mode);                              \
    }
#define SPY_BOTH(op) SPY(vms##op) SPY(vmd##op) SPY(vms##op##_64) SPY(vmd##op##_64)

SPY_BOTH(Acos) SPY_BOTH(Asin) SPY_BOTH(Atan) SPY_BOTH(Cos) SPY_BOTH(Erf) SPY_BOTH(ErfInv) SPY_BOTH(Erfc)
SPY_BOTH(Exp) SPY_BOTH(Ln) SPY_BOTH(Log10) SPY_BOTH(Log2) SPY_BOTH(Sin) SPY_BOTH(Sqrt) SPY_BOTH(Tan)
SPY_BOTH(Tanh) SPY_BOTH(Trunc)
