# klp-convert: the two commands a new user needs are `make demo` and `make test`.
# Both install what they need (npm packages; Debian packages through apt-get,
# which needs root) and build the TypeScript first.

SHELL := /bin/bash
NODE_BIN := node_modules/.bin
SAMPLE := symbols-maps/sample
# Where `make demo` writes; override with `make demo DEMO_OUT=...`.
DEMO_OUT ?= build/demo

.PHONY: all build deps npm-deps system-deps demo test unit e2e bench golden sample check clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

npm-deps: node_modules/.package-lock.json

# Debian packages for the unit tests: cross compilers, binutils-multiarch, hyperfine.
system-deps:
	bash test/support/install-deps.sh

deps: npm-deps system-deps

dist/cli/main.js: npm-deps $(shell find src -name '*.ts') tsconfig.json scripts/make-man.mjs
	$(NODE_BIN)/tsc -p tsconfig.json
	node scripts/make-man.mjs
	@touch $@

# The CLI as one script with V8's code cache (bin/load-cli.js), made from dist/ after tsc.
dist/klp-convert.cjs: dist/cli/main.js scripts/build-bundle.mjs bin/load-cli.js
	node scripts/build-bundle.mjs

build: dist/cli/main.js dist/klp-convert.cjs

# Convert the bundled real livepatch module with its bundled map and show what changed.
demo: npm-deps build
	bash scripts/demo.sh $(SAMPLE) $(DEMO_OUT)

# The end-to-end matrix: every cell by default, KERNELS="x86_64-6.12 ppc64le-6.1" for some
# (cells: x86_64-6.1 x86_64-6.12 ppc64le-6.1 s390x-6.1; see docs/e2e.md).
KERNELS ?=
export KERNELS
VITEST_REPORT = $(if $(VITEST_JSON),--reporter=default --reporter=json --outputFile.json=$(VITEST_JSON))

# Every test: unit, fixtures on all architectures, Debian modules, and the qemu end-to-end matrix.
# VITEST_JSON=<file> also writes a machine-readable report (used by .ci/run).
test: deps build
	bash test/e2e/setup.sh
	$(NODE_BIN)/vitest run $(VITEST_REPORT)

# Without the end-to-end boots (no root or qemu needed beyond the unit deps).
unit: deps build
	KLP_E2E=0 $(NODE_BIN)/vitest run

e2e: npm-deps build
	bash test/e2e/setup.sh
	$(NODE_BIN)/vitest run $(VITEST_REPORT) test/e2e

# Issue 10's targets measured in one run, as ratios to baselines timed alongside (docs/bench.md).
# RUNS=n rounds (default 10); downloads Debian's current amd64 kernel image into .cache/debs.
bench: npm-deps build
	bash scripts/bench.sh

# Regenerate the golden readelf outputs of converted fixtures (review the diff before committing).
golden: npm-deps build
	$(NODE_BIN)/vitest run test/convert/arches.test.ts -u

# Rebuild the bundled sample module and map from Debian's packages.
sample: npm-deps build
	KERNELS=x86_64-6.1 bash test/e2e/setup.sh
	bash test/e2e/make-sample.sh

# Types and lint (ESLint: layering of src/, 120 columns); the test suite runs the same lint.
check: build
	$(NODE_BIN)/tsc -p tsconfig.json --noEmit
	$(NODE_BIN)/eslint src test scripts bin '*.js'

clean:
	rm -rf dist build
