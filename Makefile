# rtcgate — the two commands a new user types are `make run` and `make test`.
# Everything else here is a wrapper around CMake builds in build*/ folders.

MAKEFLAGS += --no-print-directory
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 15

.PHONY: all setup build build-asan test test-unit test-asan fuzz-smoke bench-srtp run clean

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

test: test-unit test-asan fuzz-smoke
	@echo "make test: all passed"

bench-srtp: build
	@$(BUILD)/bin/bench_srtp

# The embedded server (gateway + broker) is not built yet: until it is, `make run`
# builds the core and says so plainly instead of pretending to start something.
run: build
	@if [ -x $(BUILD)/bin/rtcgate ]; then exec $(BUILD)/bin/rtcgate serve --demo; fi
	@echo "make run: the security core is built and tested (make test), but the server"
	@echo "          'rtcgate serve' does not exist yet (it is issue 3); nothing to start." >&2
	@exit 1

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
