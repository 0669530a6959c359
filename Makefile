# memonline: bring hot-added memory online the right way.
VERSION := 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
DESTDIR ?=

PKG_CONFIG ?= pkg-config
# Where udev, systemd and bash-completion want their files, asked of their
# own .pc files; the fallbacks are the Debian/Fedora defaults.
pc_var = $(or $(shell $(PKG_CONFIG) --variable=$(2) $(1) 2>/dev/null),$(3))
UDEVDIR ?= $(call pc_var,udev,udevdir,/usr/lib/udev)
UDEVRULESDIR ?= $(UDEVDIR)/rules.d
SYSTEMDUNITDIR ?= $(call pc_var,systemd,systemdsystemunitdir,/usr/lib/systemd/system)
BASHCOMPDIR ?= $(call pc_var,bash-completion,completionsdir,/usr/share/bash-completion/completions)
# Headers only, loaded with dlopen() where they are used: libkmod by
# lib/drivers.c for a driver report, libmount by lib/ctx.c when sysfs or
# procfs is not at /sys or /proc, libudev by lib/monitor.c for watch's
# events, libsmartcols by bin/scols.c for the tables of list and status.
# Linked, they and what they bring were most of the dynamic loader's work
# at every start, one per udev event, which needs none of them.
DLOPEN_PC := libkmod mount libudev smartcols

CC ?= gcc
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wformat=2 -Wno-unused-parameter
ifdef WERROR
WARNFLAGS += -Werror
endif
PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DLOPEN_PC))
ALL_CFLAGS := -std=gnu11 $(WARNFLAGS) $(CPPFLAGS) $(CFLAGS) -Ilib $(PC_CFLAGS) \
	-DMO_VERSION='"$(VERSION)"' -DMO_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-MMD -MP
ALL_LDFLAGS := $(LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# O=DIR builds out of tree (the sanitizer build lives in build/asan).
O ?= .
LIB_SRC := $(wildcard lib/*.c)
BIN_SRC := $(wildcard bin/*.c)
LIB_OBJ := $(patsubst %.c,$(O)/%.o,$(LIB_SRC))
BIN_OBJ := $(patsubst %.c,$(O)/%.o,$(BIN_SRC))
LIBMO := $(O)/lib/libmemonline.a
TEST_SRC := $(wildcard tests/unit/test-*.c)
TEST_BIN := $(patsubst %.c,$(O)/%,$(TEST_SRC))
FAKESYS := $(O)/tests/fakesys.so
NOLIB := $(O)/tests/nolib.so

all: $(O)/memonline

$(LIBMO): $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(O)/memonline: $(BIN_OBJ) $(LIBMO)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

$(O)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/unit/%: tests/unit/%.c tests/unit/tap.h $(LIBMO)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(LIBMO)

# LD_PRELOAD shims: fakesys.so (the kernel's writes), nolib.so (no optional library).
$(O)/tests/%.so: tests/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 $(WARNFLAGS) -O2 -g -fPIC -shared -o $@ $< -ldl

check-build: $(O)/memonline $(TEST_BIN) $(FAKESYS) $(NOLIB)

BATS := $(wildcard tests/bats/*.bats)
# A failed test shows its diagnostics in the log (CI keeps nothing else).
PROVE ?= prove --failures --comments
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
# fakesys.so is preloaded ahead of the ASan runtime on purpose.
SAN_ENV := ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# Unit tests (TAP) and the command's bats suites, through one prove run;
# then all of them again against an ASan+UBSan build; then a real kernel
# and a real Xen in QEMU.
check: deps check-suites
	$(MAKE) --no-print-directory check-sanitize
	$(MAKE) --no-print-directory check-qemu

# Debian's kernel under QEMU (TCG), memory hot-added over QMP: about a
# minute idle, and the starved guest's 38 boots about five more;
# tests/qemu/README.md.  The host only runs QEMU.
check-qemu: $(O)/memonline
	MEMONLINE=$(abspath $(O)/memonline) $(PROVE) tests/qemu/run tests/qemu/run-xen \
		tests/qemu/run-xen-domu tests/qemu/run-differential tests/qemu/starved

# The .deb as installed, not the build tree: scripts/build-deb, then the udev
# rule and daemon scenarios run the package's /usr/bin/memonline, its
# /lib/udev/rules.d rule and its unit's ExecStart in the guest; a PVH domU
# grown by xl runs them too.
MEMONLINE_DEB = $(CURDIR)/build/deb/memonline_$$(dpkg-parsechangelog -l debian/changelog \
	-S Version)_amd64.deb
check-qemu-deb:
	scripts/build-deb
	MEMONLINE_QEMU_DEB=$(MEMONLINE_DEB) \
		$(PROVE) tests/qemu/run :: udev-memonline-rule watch-dimm-movable
	MEMONLINE_QEMU_DEB=$(MEMONLINE_DEB) $(PROVE) tests/qemu/run-xen-domu :: xen-domu-pvh

# The suites alone, against this build: what a package build runs
# (debian/rules, the RPM spec's %check), with no apt-get and no sanitizers;
# each skipped test is shown with its reason.
check-suites: check-build
	MEMONLINE=$(abspath $(O)/memonline) FAKESYS=$(abspath $(FAKESYS)) \
		$(PROVE) --directives -e tests/run-test $(TEST_BIN) $(BATS)

check-sanitize:
	$(MAKE) --no-print-directory O=build/asan CFLAGS="-O1 -g $(SAN_FLAGS)" \
		LDFLAGS="$(SAN_FLAGS)" check-build
	$(SAN_ENV) MEMONLINE=$(abspath build/asan/memonline) \
		FAKESYS=$(abspath build/asan/tests/fakesys.so) \
		$(PROVE) -e tests/run-test $(patsubst %.c,build/asan/%,$(TEST_SRC)) $(BATS)

# Install build and test dependencies when they are missing (Debian, Ubuntu).
deps:
	@scripts/install-deps tests/qemu/apt-packages.txt

UDEV_RULES := $(patsubst %.in,%,$(wildcard udev/*.rules.in))
UNITS := $(patsubst %.in,%,$(wildcard systemd/*.in))
GENERATED := $(UDEV_RULES) $(UNITS)
MAN8 := $(wildcard man/*.8)
MAN5 := $(wildcard man/*.5)
INSTALL ?= install

all: $(GENERATED)

# Never runs systemctl or udevadm: enabling is the packager's or admin's call.
install: all
	$(INSTALL) $(INSTALL_STRIP) -Dm0755 memonline $(DESTDIR)$(BINDIR)/memonline
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	@# An existing config is the admin's: never overwrite it.
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/memonline.conf ]; then \
		echo "  KEEP    $(DESTDIR)$(SYSCONFDIR)/memonline.conf"; else \
		$(INSTALL) -Dm0644 etc/memonline.conf $(DESTDIR)$(SYSCONFDIR)/memonline.conf; fi
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/memonline.conf.d
	$(if $(UDEV_RULES),$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR) && \
		$(INSTALL) -m0644 $(UDEV_RULES) $(DESTDIR)$(UDEVRULESDIR)/)
	$(if $(UNITS),$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR) && \
		$(INSTALL) -m0644 $(UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/)
	$(if $(wildcard completion/memonline),$(INSTALL) -Dm0644 completion/memonline \
		$(DESTDIR)$(BASHCOMPDIR)/memonline)
	$(INSTALL) -Dm0644 prometheus/memonline-alerts.yml \
		$(DESTDIR)$(DATADIR)/memonline/memonline-alerts.yml

STRIP ?= strip
install-strip:
	$(MAKE) INSTALL_STRIP="-s --strip-program=$(STRIP)" install

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/memonline $(DESTDIR)$(BASHCOMPDIR)/memonline
	rm -f $(DESTDIR)$(DATADIR)/memonline/memonline-alerts.yml
	rmdir $(DESTDIR)$(DATADIR)/memonline 2>/dev/null || :
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(UDEVRULESDIR)/,$(notdir $(UDEV_RULES)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)))

# Read-only: this machine's memory, as memonline sees it.
run: deps memonline
	./memonline status

# libFuzzer targets for every parser; each runs FUZZ_SECONDS, growing its
# corpus in build/fuzz/ from the committed seeds in tests/fuzz/corpus/.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard lib/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -Ilib $(PC_CFLAGS) -o $@ $< $(LIB_SRC)

fuzz: $(FUZZ_BIN)
	@for t in $(FUZZ_BIN); do \
		n=$${t##*/}; mkdir -p build/fuzz/corpus/$$n; \
		echo "  RUN     $$n for $(FUZZ_SECONDS) s"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>build/fuzz/$$n.log || \
			{ tail -40 build/fuzz/$$n.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|Done' build/fuzz/$$n.log | tail -2; \
	done

# Benchmarks against lsmem, the seed's loop and rule, and kernel auto-online:
# not part of check.  A private build, so that a rebuild meanwhile cannot
# change the binary under measurement; writes docs/benchmarks.md.
BENCH_O := build/bench/obj
bench:
	@scripts/install-deps scripts/bench-deps.txt tests/qemu/apt-packages.txt
	$(MAKE) --no-print-directory O=$(BENCH_O) $(BENCH_O)/memonline $(BENCH_O)/tests/fakesys.so
	scripts/bench --memonline $(BENCH_O)/memonline --fakesys $(BENCH_O)/tests/fakesys.so \
		$(BENCH_ARGS)

# Files made from a .in template: paths substituted at build time.
SUBST_VARS := BINDIR=$(BINDIR) SYSCONFDIR=$(SYSCONFDIR) VERSION=$(VERSION)
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@VERSION@|$(VERSION)|g'
# Remade when a substituted value changes, so that 'make PREFIX=/usr install'
# after a plain 'make' does not install a rule that runs /usr/local/bin.
.subst-vars: FORCE
	$(Q)echo '$(SUBST_VARS)' | cmp -s - $@ || echo '$(SUBST_VARS)' >$@
udev/%: udev/%.in .subst-vars
	@echo "  GEN     $@"
	$(Q)$(SUBST) $< >$@
systemd/%: systemd/%.in .subst-vars
	@echo "  GEN     $@"
	$(Q)$(SUBST) $< >$@

clean:
	rm -f memonline lib/libmemonline.a $(LIB_OBJ) $(BIN_OBJ) $(TEST_BIN) $(GENERATED) .subst-vars \
		$(FAKESYS) $(NOLIB) $(wildcard lib/*.d bin/*.d tests/unit/*.d)
	rm -rf build

.PHONY: FORCE all bench check check-build check-qemu check-qemu-deb check-sanitize check-suites fuzz deps run clean install install-strip uninstall

-include $(wildcard $(O)/lib/*.d $(O)/bin/*.d $(O)/tests/unit/*.d)
