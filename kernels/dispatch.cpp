// dispatch.cpp: picks the kernel table once, from what the CPU and the OS
// support. xsimd 8.1's own detection reads CPUID only; a CPU can report AVX or
// AVX-512 while the OS does not save those registers on a context switch, so
// the OS side is checked here with XGETBV.
#include <cstdlib>
#include <cstring>

#include "kernels.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace fsvae::kernels {

#if defined(FSVAE_KERNELS_X86)
const KernelTable& kernels_sse2();
const KernelTable& kernels_avx2();
const KernelTable& kernels_avx512();
#endif
#if defined(FSVAE_KERNELS_NEON64)
const KernelTable& kernels_neon64();
#endif

namespace {

#if defined(FSVAE_KERNELS_X86)
struct X86Features {
    bool sse2 = false, avx2 = false, avx512f = false;
};

uint64_t xgetbv0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (uint64_t(edx) << 32) | eax;
}

X86Features detect_x86() {
    X86Features f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    f.sse2 = (d >> 26) & 1;
    const bool osxsave = (c >> 27) & 1;
    const bool avx = (c >> 28) & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    const bool os_avx = (xcr0 & 0x6) == 0x6;            // XMM and YMM state
    const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;       // plus opmask, ZMM_Hi256, Hi16_ZMM
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    f.avx2 = avx && os_avx && ((b >> 5) & 1);
    // The avx512 table is built with AVX-512F and BW (the int8 kernels'
    // 16-bit lanes): both must be present.
    f.avx512f = f.avx2 && os_avx512 && ((b >> 16) & 1) && ((b >> 30) & 1);
    return f;
}
#endif

}  // namespace

size_t available_kernels(const KernelTable** out, size_t capacity) {
    const KernelTable* found[8];
    size_t n = 0;
#if defined(FSVAE_KERNELS_X86)
    static const X86Features f = detect_x86();
    if (f.avx512f) found[n++] = &kernels_avx512();
    if (f.avx2) found[n++] = &kernels_avx2();
    if (f.sse2) found[n++] = &kernels_sse2();
#endif
#if defined(FSVAE_KERNELS_NEON64)
    found[n++] = &kernels_neon64();
#endif
    found[n++] = &scalar_kernels();
    size_t i = 0;
    for (; i < n && i < capacity; ++i) out[i] = found[i];
    return i;
}

const KernelTable* find_kernels(const char* isa) {
    const KernelTable* tables[8];
    const size_t n = available_kernels(tables, 8);
    for (size_t i = 0; i < n; ++i)
        if (std::strcmp(tables[i]->isa, isa) == 0) return tables[i];
    return nullptr;
}

const KernelTable& select_kernels(const char** note) {
    const KernelTable* tables[8];
    available_kernels(tables, 8);
    if (note) *note = nullptr;
    const char* want = std::getenv("FSVAE_ISA");
    if (want && *want) {
        if (const KernelTable* t = find_kernels(want)) return *t;
        if (note) *note = "FSVAE_ISA names an instruction set this build or CPU lacks; using the best available";
    }
    return *tables[0];
}

}  // namespace fsvae::kernels
