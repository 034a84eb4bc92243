# gcsync: build, install (Linux) and package (Windows). README "Build and link" and "Build for
# Windows" describe the use; cargo does the building.
#
#   make                         the library (release): target/release/libgcsync.so, include/gcsync.h
#   make install [PREFIX=/usr/local] [DESTDIR=] [RPATH=yes]
#                                $(LIBDIR)/libgcsync.so.N (N = ABI version = SONAME) and the
#                                libgcsync.so link, $(INCLUDEDIR)/gcsync.h, $(PKGCONFIGDIR)/gcsync.pc.
#                                RPATH=yes (default) puts -Wl,-rpath,$(LIBDIR) in the .pc's Libs, so
#                                a host built with `pkg-config --cflags --libs gcsync` also runs
#                                from a non-system prefix; packagers for /usr set RPATH=no.
#   make uninstall [PREFIX=...]  removes exactly those files
#   make windows                 dist/windows/: gcsync.dll, libgcsync.dll.a (MinGW import library),
#                                gcsync.def, gcsync.h; checks the exports and the DLL's imports
#   make check-exports           the built libraries export exactly the functions gcsync.h declares
#
# PROFILE=debug uses the debug build instead of the release one (CI reuses its debug build).

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
RPATH ?= yes
PROFILE ?= release
CARGO ?= cargo
WIN_TARGET := x86_64-pc-windows-gnu

ABI := $(shell sed -n 's/^pub const GCSYNC_ABI_VERSION: u32 = \([0-9][0-9]*\);.*/\1/p' src/host.rs)
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
PROFILE_FLAG := $(if $(filter release,$(PROFILE)),--release,)
PROFILE_DIR := $(if $(filter release,$(PROFILE)),release,debug)
SO := target/$(PROFILE_DIR)/libgcsync.so
DLL_DIR := target/$(WIN_TARGET)/$(PROFILE_DIR)
DIST_WIN := dist/windows
# What gcsync.dll may import: DLLs every Windows 10 / Server 2016 and later has. (Rust's std needs
# bcryptprimitives.dll for ProcessPrng; the Wine tests' shim for it is never shipped.)
WIN_SYSTEM_DLLS := kernel32.dll ntdll.dll advapi32.dll bcrypt.dll bcryptprimitives.dll msvcrt.dll \
                   userenv.dll ws2_32.dll api-ms-win-core-synch-l1-2-0.dll

.PHONY: all build install uninstall windows check-exports clean-dist
all: build

build:
	$(CARGO) build $(PROFILE_FLAG) -p gcsync

install: build
	@test -n "$(ABI)" || { echo "cannot read GCSYNC_ABI_VERSION from src/host.rs" >&2; exit 1; }
	install -d "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(PKGCONFIGDIR)"
	install -m 0755 "$(SO)" "$(DESTDIR)$(LIBDIR)/libgcsync.so.$(ABI)"
	ln -sf "libgcsync.so.$(ABI)" "$(DESTDIR)$(LIBDIR)/libgcsync.so"
	install -m 0644 include/gcsync.h "$(DESTDIR)$(INCLUDEDIR)/gcsync.h"
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@RPATH@|$(if $(filter yes,$(RPATH)), -Wl$(,)-rpath$(,)$${libdir},)|' \
	    packaging/gcsync.pc.in > "$(DESTDIR)$(PKGCONFIGDIR)/gcsync.pc"
	chmod 0644 "$(DESTDIR)$(PKGCONFIGDIR)/gcsync.pc"
	@echo "installed: $(LIBDIR)/libgcsync.so.$(ABI), $(INCLUDEDIR)/gcsync.h, $(PKGCONFIGDIR)/gcsync.pc"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/libgcsync.so.$(ABI)" "$(DESTDIR)$(LIBDIR)/libgcsync.so" \
	      "$(DESTDIR)$(INCLUDEDIR)/gcsync.h" "$(DESTDIR)$(PKGCONFIGDIR)/gcsync.pc"

windows:
	$(CARGO) build $(PROFILE_FLAG) -p gcsync --target $(WIN_TARGET)
	rm -rf "$(DIST_WIN)" && mkdir -p "$(DIST_WIN)"
	cp "$(DLL_DIR)/gcsync.dll" "$(DLL_DIR)/libgcsync.dll.a" include/gcsync.h "$(DIST_WIN)/"
	packaging/exports.sh check "$(DIST_WIN)/gcsync.dll"
	packaging/exports.sh def "$(DIST_WIN)/gcsync.dll" > "$(DIST_WIN)/gcsync.def"
	packaging/dll-imports.sh "$(DIST_WIN)/gcsync.dll" $(WIN_SYSTEM_DLLS)
	@echo "packaged: $$(ls $(DIST_WIN) | tr '\n' ' ')"

check-exports:
	@for f in "$(SO)" "$(DLL_DIR)/gcsync.dll"; do \
	    if [ -f "$$f" ]; then packaging/exports.sh check "$$f" || exit 1; fi; done

clean-dist:
	rm -rf dist

, := ,
