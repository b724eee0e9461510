# toolchain-aarch64.cmake: cross-compiling for AArch64 Linux on a Debian
# host, with Debian's cross compiler (g++-aarch64-linux-gnu) and the arm64
# multiarch libraries (libtbb-dev:arm64, ...: /usr/lib/aarch64-linux-gnu,
# headers shared in /usr/include). No sysroot: multiarch keeps the two
# architectures apart by library directory, so CMake only has to be told the
# architecture to search. Tools that run at build time (flatc) are the host's.
# Tests run under qemu-aarch64 (Debian's qemu-user). scripts/aarch64.sh uses this.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Packages and libraries: the arm64 multiarch directory, never the host's.
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/cmake)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# try_run, doctest's test discovery and ctest run target programs through
# this. `-L /`: the loader is the arm64 multiarch one (/lib/ld-linux-aarch64.so.1,
# from libc6:arm64, which the -dev packages pull in), matching the libc.so.6
# the programs then load from /lib/aarch64-linux-gnu. With
# -L /usr/aarch64-linux-gnu the loader would be the cross toolchain's
# (glibc 2.36-8cross1) and libc.so.6 still the multiarch one (2.36-9+deb12u14):
# a mismatched pair, under which a oneTBB program spins forever before
# starting its first worker thread.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /)
