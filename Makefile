# rtcgate — the two commands a new user types are `make run` and `make test`.
# Everything else here is a wrapper around CMake builds in build*/ folders.

MAKEFLAGS += --no-print-directory
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 15

.PHONY: all setup build build-asan test test-unit test-asan test-e2e fuzz-smoke bench-srtp bench-relay run clean

all: build

setup:
	@scripts/setup

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DRG_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: build-asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# Every libFuzzer target, a bounded short run each.
fuzz-smoke: setup
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DRG_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@scripts/fuzz-smoke $(FUZZ_BUILD)/bin $(FUZZ_SECONDS)

# Browser end-to-end: Debian's chromium driven by playwright-core, inside a
# private network namespace (needs root; see tests/e2e/run.sh).
test-e2e: build
	@tests/e2e/run.sh

test: test-unit test-asan fuzz-smoke test-e2e
	@echo "make test: all passed"

bench-srtp: build
	@$(BUILD)/bin/bench_srtp

# rtcgate serve + rtcgate-load at 100, 1,000 and 5,000 concurrent audio calls.
bench-relay: build
	@scripts/bench-relay $(BUILD)/bin

# The embedded default: gateway + broker in one process on 127.0.0.1, a
# self-signed certificate and an application key in ./var, the demo on.
run: build
	@exec $(BUILD)/bin/rtcgate serve --demo

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
