# memcoord - a memory coordinator for libvirt/KVM hosts.
#
#   make            build ./memcoord
#   make check      unit tests, simulator scenarios, sanitizers, e2e (if it can)
#   make demo       the course's Test 3 on a simulated host
#   make bench      policy scorecard and overhead -> docs/
#   make e2e        real QEMU guests under libvirtd (root)
#   make e2e-ksm    KSM on 4 real guests (root)
#   make bench-e2e  course-shaped tests on real guests -> docs/e2e-scorecard.md
#   make deb-check  build, lintian, install, run and purge the .deb (root)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
CC        ?= cc
PKGS      := libvirt lua5.4 libxml-2.0
BUILD     ?= build

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# CPPFLAGS, CFLAGS are the user's (the sanitizer build's, dpkg-buildflags'); MC_CFLAGS is ours.
CFLAGS   ?= -O2 -g
MC_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -D_GNU_SOURCE -DMC_VERSION='"$(VERSION)"' -Iinclude $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm
ALL_CFLAGS = $(MC_CFLAGS) $(CPPFLAGS) $(CFLAGS)

SRCS     := $(filter-out src/main.c,$(wildcard src/*.c))
OBJS     := $(SRCS:src/%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libmemcoord.a
TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all check check-all unit unit-only asan cli sim e2e e2e-ksm demo demo-all bench clean deps \
	fuzz fuzz-build fuzz-replay install uninstall bench-e2e deb-check
all: memcoord

# Every compile writes the headers it read to a .d file beside its output,
# so touching a header rebuilds only what includes it; -MP keeps a deleted
# header from breaking the build.  One source per compile: with two, gcc
# writes both lists to the same .d and the last one wins.
DEPFLAGS := -MMD -MP

memcoord: $(BUILD)/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

# The policy helper module is embedded by .incbin (src/policy_mc.c).
$(BUILD)/policy_mc.o: src/policy_mc.lua

$(LIB): $(OBJS)
	ar rcs $@ $^

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

$(TESTS): $(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

# Unit tests run from the top so they can find policies/.
unit: memcoord $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

# The same unit tests under AddressSanitizer and UBSan, in their own tree.
SAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
asan:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN)" LDFLAGS="-fsanitize=address,undefined" unit-only fuzz-replay

unit-only: $(TESTS)
	@echo "== unit tests in $(BUILD)"
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

cli: memcoord
	tests/cli/run.sh

# Fuzzing: libFuzzer (clang) for FUZZ_SECONDS per target; new inputs go to
# build-fuzz/, the seed corpus and every crash kept stay in tests/fuzz/.
FUZZ_SECONDS ?= 30
FUZZERS      := config result trace
FUZZ_SAN     := -O1 -g -fsanitize=fuzzer-no-link,address,undefined
fuzz:
	@./scripts/deps.sh fuzz
	$(MAKE) CC=clang BUILD=build-fuzz CFLAGS="$(FUZZ_SAN)" fuzz-build
	@set -e; for f in $(FUZZERS); do \
		mkdir -p build-fuzz/corpus-$$f; \
		echo "== fuzz_$$f for $(FUZZ_SECONDS)s"; \
		build-fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix=build-fuzz/crash-$$f- \
			build-fuzz/corpus-$$f tests/fuzz/corpus/$$f; \
	done

fuzz-build: $(FUZZERS:%=$(BUILD)/fuzz_%)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB) $(LDLIBS)

# The seed corpus and kept crashes, replayed without libFuzzer (gcc): each
# target's fuzz_*.c linked with replay.c's main() instead.
REPLAYS := $(FUZZERS:%=$(BUILD)/tests/replay_%)
fuzz-replay: $(REPLAYS)
	@set -e; for f in $(FUZZERS); do \
		echo "== replay fuzz_$$f"; $(BUILD)/tests/replay_$$f tests/fuzz/corpus/$$f/*; \
	done

$(BUILD)/tests/%.o: tests/fuzz/%.c | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(REPLAYS): $(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz_%.o $(BUILD)/tests/replay.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

sim: memcoord
	@if [ -x tests/sim/run.sh ]; then tests/sim/run.sh; else echo "sim: no scenario tests yet"; fi

e2e: memcoord $(BUILD)/tests/e2e_score
	tests/e2e/run.sh

# KSM on 4 real guests (~2-3 min; not part of check: see tests/e2e/README.md).
# Under the lock the e2e suite takes, so the two never share the machine.
e2e-ksm: memcoord
	flock /tmp/memcoord-libvirt.lock tests/e2e/ksm.sh

# The README's two commands work on a fresh machine: each installs what it
# needs first, then runs its -all target in a new make, so pkg-config sees
# the freshly installed libraries.
check demo: deps
	$(MAKE) $@-all

check-all: unit cli asan sim $(BUILD)/tests/e2e_score
	@if [ -x tests/e2e/run.sh ]; then tests/e2e/run.sh --if-possible; else echo "e2e: SKIPPED (no tests/e2e/run.sh)"; fi
	tests/e2e/unprivileged.sh --if-possible
	tests/pkg/deb.sh --if-possible

deps:
	@./scripts/deps.sh

demo-all: memcoord
	./memcoord --simulate conf/scenarios/course_test3.ini -p policies/balance_unused.lua

bench: memcoord
	tests/bench/run.sh

# Real guests, three policies x two periods x three tests: ~40 min (root).
bench-e2e: memcoord $(BUILD)/tests/e2e_score
	tests/e2e/bench.sh
	tests/e2e/score.sh

$(BUILD)/tests/e2e_score: tests/e2e/score.c $(LIB) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# PREFIX and DESTDIR as usual; the config goes to $(DESTDIR)/etc/memcoord,
# never over an existing one, and uninstall leaves it there.  The unit and
# sysusers directories are systemd's own (pkg-config systemd); without
# systemd.pc, Debian 12's.
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR    ?= $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
INSTALL_ENV = PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" SYSTEMDUNITDIR="$(SYSTEMDUNITDIR)" \
	SYSUSERSDIR="$(SYSUSERSDIR)"
install: memcoord
	$(INSTALL_ENV) scripts/install.sh install

uninstall:
	$(INSTALL_ENV) scripts/install.sh uninstall

# The Debian package built (in a copy under /tmp), lintian'd, installed,
# run as its user, purged: root only, it changes this host's dpkg database.
deb-check:
	tests/pkg/deb.sh

clean:
	rm -rf build build-asan build-fuzz memcoord

# The header lists the compiler wrote; none on the first build.
-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
