# `make run` and `make test` do all set-up: a .venv is created on demand and reinstalled only
# when a requirements file changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ARGS ?=

.PHONY: run test test-fast lint bench bench-deps venv

venv: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $@

# browser-side clients the tests drive (socket.io-client); the server itself never needs node
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the browser Socket.IO test will be skipped"; fi

run: $(STAMP)
	$(BIN)/python server.py $(ARGS)

# The engine's own tests (`parallel`: real models, no server, browser or clock) run two at a time,
# one a core, each single-threaded (numpy's BLAS here, OpenCV's in tests/conftest.py); then the
# rest, whose servers, browsers and timings want the machine to themselves. Exit status 5 is
# pytest's "no tests collected": ARGS may pick tests of one kind only.
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m ruff check .
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 -m parallel $(ARGS) || [ $$? -eq 5 ]
	$(BIN)/python -m pytest -m "not parallel" $(ARGS) || [ $$? -eq 5 ]

# the unit tier: pure policy, fakes, no server, no browser (about 20 s on a 2-core machine)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(ARGS)

lint: $(STAMP)
	$(BIN)/python -m ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench.engine

# the independent recognizer bench.quality judges with (dlib), kept out of the server's requirements;
# and the photographs of `bench.quality --faces press`: face_recognition's test images, from its
# source package on PyPI (the package itself is not installed)
PRESS := .cache/press
PRESS_PHOTOS := obama.jpg obama2.jpg obama3.jpg biden.jpg
PRESS_VERSION := 1.3.0
PRESS_SDIST := face_recognition-$(PRESS_VERSION)

# ... and those of `bench.quality --faces social`: group photographs in two npm packages' demos
# (fetched with npm pack; without npm that set is left out and everything else still works)
SOCIAL := .cache/social
SOCIAL_FACE_API := vladmandic-face-api-1.7.15
SOCIAL_TRACKING := tracking-1.1.3

bench-deps: $(STAMP) $(PRESS)/.fetched $(SOCIAL)/.fetched
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt

$(PRESS)/.fetched: | $(STAMP)
	mkdir -p $(PRESS)
	$(BIN)/pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
		face_recognition==$(PRESS_VERSION) -d $(PRESS)
	tar -xzf $(PRESS)/$(PRESS_SDIST).tar.gz -C $(PRESS) --strip-components=3 \
		$(addprefix $(PRESS_SDIST)/tests/test_images/,$(PRESS_PHOTOS))
	rm $(PRESS)/$(PRESS_SDIST).tar.gz
	touch $@

$(SOCIAL)/.fetched:
	@command -v npm >/dev/null || { echo "npm not found: bench.quality --faces social will not run"; exit 0; }; \
	set -e; mkdir -p $(SOCIAL); \
	cd $(SOCIAL) && npm pack --silent @vladmandic/face-api@1.7.15 tracking@1.1.3 >/dev/null; \
	tar -xzf $(SOCIAL_FACE_API).tgz --no-same-owner --strip-components=2 $(foreach n,1 2 3 4 5 6,package/demo/sample$(n).jpg); \
	tar -xzf $(SOCIAL_TRACKING).tgz --no-same-owner --strip-components=3 package/examples/assets/faces.jpg; \
	rm $(SOCIAL_FACE_API).tgz $(SOCIAL_TRACKING).tgz; touch .fetched
