# brownie: the two things a new machine needs are `make run` and `make test`.
PYTHON ?= /usr/bin/python3
BUNDLE := bundles/busybox

.PHONY: run rootfs test deps bench check clean

# Run the example container (builds its rootfs first).
run: rootfs
	cd $(BUNDLE) && ../../brownie.py run busybox-demo-$$$$

rootfs: $(BUNDLE)/rootfs/bin/busybox

$(BUNDLE)/rootfs/bin/busybox: $(BUNDLE)/make-rootfs.sh
	$(BUNDLE)/make-rootfs.sh

# What the tests need that a fresh Debian machine lacks.
deps:
	@missing=; \
	$(PYTHON) -c 'import pytest' 2>/dev/null || missing="$$missing python3-pytest"; \
	busybox_static=; for b in /bin/busybox /usr/bin/busybox; do \
	  [ -x $$b ] && ! ldd $$b >/dev/null 2>&1 && busybox_static=1; done; \
	[ -n "$$busybox_static" ] || missing="$$missing busybox-static"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test: deps rootfs
	$(PYTHON) -m pytest -q tests

bench: rootfs
	$(PYTHON) tests/bench.py

clean:
	rm -rf $(BUNDLE)/rootfs
