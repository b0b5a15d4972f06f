# contactwatch — GNU make build. `make` builds the two programs into build/,
# `make check` runs every test suite (plain and ASan+UBSan builds), `make demo`
# runs the daemon once on the shipped example config. `V=1` shows commands.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
UNITDIR     ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DESTDIR     ?=

CC          ?= cc
PKG_CONFIG  ?= pkg-config
PKGS        := libsystemd libcurl jansson sqlite3 inih libutf8proc libcrypto
BUILDDIR    ?= build
SAN         ?=

Q := @
ifeq ($(V),1)
Q :=
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(SAN),1)
OPT       := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN     := -fsanitize=address,undefined
else
OPT       := -O2 -g -D_FORTIFY_SOURCE=2
LDSAN     :=
endif
HARDEN    := -fstack-protector-strong -fPIE
CPPFLAGS  += -Iinclude -D_GNU_SOURCE
CFLAGS    ?=
CFLAGS    += -std=gnu11 -pthread $(OPT) $(HARDEN) $(WARN) -MMD -MP $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDFLAGS   += -pie -Wl,-z,relro,-z,now $(LDSAN)
LDLIBS    += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm -pthread

# Every module of the shared library, in dependency order (explicit on purpose).
LIB_SRCS := \
	daemon/strv.c daemon/array.c daemon/diag.c daemon/log.c daemon/fileio.c daemon/date.c daemon/hash.c daemon/secret.c \
	daemon/strbuf.c daemon/credential.c \
	daemon/parse.c \
	daemon/text.c daemon/names.c daemon/relations.c daemon/relations_json.c daemon/relations_csv.c daemon/config.c \
	daemon/contact.c daemon/ingest.c daemon/ingest_csv.c daemon/ingest_crm.c daemon/ingest_vcard.c \
	daemon/ingest_json.c \
	daemon/match.c daemon/match_index.c daemon/pipeline.c daemon/clause.c daemon/store.c daemon/alert.c \
	daemon/alert_text.c daemon/webhook.c daemon/mail.c \
	daemon/deliver_journal.c daemon/deliver_file.c daemon/retry.c daemon/deliver.c daemon/source.c daemon/scan.c \
	daemon/transfer.c daemon/deliver_remote.c daemon/outbox.c
DAEMON_SRCS := daemon/main.c daemon/loop.c
CTL_SRCS    := daemon/ctl.c

UNIT_TESTS := fileio date parse config relations text names ingest_csv ingest_crm ingest_decode ingest_json \
	ingest_vcard match pipeline clause store alert secret retry webhook mail credential transfer strbuf

# One libFuzzer target per parser, all built from tests/fuzz/fuzz_ingest.c
# with the format forced (NAME; "ingest" probes, as Format=auto does, and so
# does "crm": Format=csv without Columns= reads nothing, its corpus steers).
# `make check` replays each corpus (tests/fuzz/corpus/NAME/) as an ordinary
# test; `make fuzz` builds the real fuzzers with clang, `make fuzz-run` runs them.
FUZZERS     := ingest linkedin crm vcard json
fuzz_format  = $(if $(filter ingest crm,$(1)),auto,$(1))
FUZZ_SECONDS ?= 600

LIB_OBJS    := $(LIB_SRCS:%.c=$(BUILDDIR)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILDDIR)/%.o)
CTL_OBJS    := $(CTL_SRCS:%.c=$(BUILDDIR)/%.o)
UNIT_BINS   := $(UNIT_TESTS:%=$(BUILDDIR)/tests/test_%) $(FUZZERS:%=$(BUILDDIR)/tests/test_fuzz_%) \
	$(BUILDDIR)/tests/test_eval
LIBCW       := $(BUILDDIR)/libcontactwatch.a

.PHONY: all deps check unit-tests test-bins integration demo install clean bench lint fuzz fuzz-run
all: $(BUILDDIR)/contactwatchd $(BUILDDIR)/contactwatchctl

$(BUILDDIR)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBCW): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILDDIR)/contactwatchd: $(DAEMON_OBJS) $(LIBCW)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILDDIR)/contactwatchctl: $(CTL_OBJS) $(LIBCW)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Every unit test links the golden-file and labelled-case helpers
# (tests/unit/golden.c, cases.c).
$(BUILDDIR)/tests/test_%: $(BUILDDIR)/tests/unit/test_%.o $(BUILDDIR)/tests/unit/golden.o \
		$(BUILDDIR)/tests/unit/cases.o $(LIBCW)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILDDIR)/tests/test_fuzz_%: tests/fuzz/fuzz_ingest.c $(LIBCW)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -DFUZZ_REPLAY -DFUZZ_CORPUS='"tests/fuzz/corpus/$*"' \
		-DFUZZ_FORMAT='"$(call fuzz_format,$*)"' $(LDFLAGS) -o $@ $< $(LIBCW) $(LDLIBS)

# The matcher's precision/recall/F1 over the labelled sets (tests/eval/),
# TAP like the unit tests; no cmocka: it is a measurement with floors.
$(BUILDDIR)/tests/test_eval: tests/eval/eval.c $(BUILDDIR)/tests/unit/cases.o $(LIBCW)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILDDIR)/tests/unit/cases.o $(LIBCW) $(LDLIBS)

test-bins: all $(UNIT_BINS)

# Real fuzzers (clang + libFuzzer), outside `make check`: they run for minutes.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -D_GNU_SOURCE \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
build/fuzz/fuzz_%: tests/fuzz/fuzz_ingest.c $(LIB_SRCS)
	@mkdir -p $(@D)
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)" >&2; exit 1; }
	clang $(FUZZ_CFLAGS) -DFUZZ_FORMAT='"$(call fuzz_format,$*)"' -o $@ $^ $(LDLIBS)
fuzz: $(FUZZERS:%=build/fuzz/fuzz_%)
fuzz-run: fuzz
	@for f in $(FUZZERS); do \
		mkdir -p build/fuzz/corpus-$$f && \
		build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz/corpus-$$f tests/fuzz/corpus/$$f || exit 1; \
	done

lint:
	$(Q)tests/lint.sh

# Speed and memory, measured (never asserted in a unit test): see tests/bench/run.py.
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)python3 tests/bench/run.py $(BUILDDIR)

# Debian packages the build, the tests and the demo need; quiet and quick
# when all are present (dpkg-query only), apt-get only for what is missing.
DEB_PKGS := gcc make pkg-config libsystemd-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev \
	libinih-dev libutf8proc-dev libssl-dev libcmocka-dev python3 python3-aiosmtpd openssl sqlite3 cppcheck clang-tidy
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS    installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install:" $$missing >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

# make check: plain build + unit and integration tests, then the same suites
# built with ASan+UBSan, after cppcheck and clang-tidy (tests/lint.sh); one
# closing "N passed, N failed" line over all.
check: deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)$(MAKE) --no-print-directory BUILDDIR=build/asan SAN=1 test-bins
	$(Q)tests/lint.sh
	$(Q)tests/run-tests build build/asan

unit-tests: test-bins
	$(Q)tests/run-tests --unit-only $(BUILDDIR)

integration: all
	$(Q)tests/run-tests --integration-only $(BUILDDIR)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/demo.sh $(BUILDDIR)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/contactwatch/conf.d \
		$(DESTDIR)$(SYSCONFDIR)/contactwatch/staff.d $(DESTDIR)$(SYSCONFDIR)/contactwatch/relations \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(BUILDDIR)/contactwatchd $(DESTDIR)$(SBINDIR)/contactwatchd
	install -m 0755 $(BUILDDIR)/contactwatchctl $(DESTDIR)$(BINDIR)/contactwatchctl
	install -m 0644 contrib/man/contactwatchd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 contrib/man/contactwatchctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 contrib/man/contactwatch.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 contrib/systemd/contactwatch.service $(DESTDIR)$(UNITDIR)/
	install -m 0644 contrib/systemd/contactwatch.sysusers $(DESTDIR)$(SYSUSERSDIR)/contactwatch.conf
	install -m 0644 contrib/systemd/contactwatch.tmpfiles $(DESTDIR)$(TMPFILESDIR)/contactwatch.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/contactwatch/contactwatch.conf || \
		install -m 0640 contrib/systemd/contactwatch.conf.default $(DESTDIR)$(SYSCONFDIR)/contactwatch/contactwatch.conf

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(CTL_OBJS:.o=.d) $(UNIT_TESTS:%=$(BUILDDIR)/tests/unit/test_%.d)
