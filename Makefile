# The two commands of the README: `make up` brings the cluster up, `make test` runs the tests.

PYTHON ?= python3
VENV := .venv
STACK ?= dev
CLOUD_INIT_DIR := $(CURDIR)/.cache/cloud-init
CLOUD_INIT_PACKAGE := $(CLOUD_INIT_DIR)/usr/lib/python3/dist-packages/cloudinit
VM_ROOTFS := $(CURDIR)/.cache/vm/rootfs

# State lives in a folder of the project unless PULUMI_BACKEND_URL says otherwise (e.g. s3://bucket).
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state

.PHONY: up destroy preview preview-policy stack test vm-rootfs

$(VENV)/.installed: requirements.txt requirements-dev.txt examples/nginx-workload/requirements.txt policy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(CLOUD_INIT_PACKAGE):
	bash .ci/fetch-cloud-init.sh $(CLOUD_INIT_DIR)

# The node-preparation VM test needs a Debian root file system, which only root can build.
vm-rootfs:
	@if [ "$$(id -u)" = 0 ] && command -v debootstrap >/dev/null && command -v qemu-system-x86_64 >/dev/null; then \
		bash tests/vm/build-rootfs.sh $(VM_ROOTFS); \
	else \
		echo "not building the VM image (needs root, debootstrap and qemu-system-x86): the VM test will be skipped"; \
	fi

test: $(VENV)/.installed $(CLOUD_INIT_PACKAGE) vm-rootfs
	CLOUD_INIT_DIR=$(CLOUD_INIT_DIR) VM_ROOTFS=$(VM_ROOTFS) $(VENV)/bin/python -m pytest

stack: $(VENV)/.installed
	mkdir -p .pulumi-state
	pulumi stack select $(STACK) 2>/dev/null || pulumi stack init $(STACK) --secrets-provider passphrase
	@# Secure by default: the first run opens SSH and the API only to this machine's public address.
	grep -q '^ *kubeadm-aws:allowedCidrs:' Pulumi.$(STACK).yaml 2>/dev/null || \
		pulumi config set --path 'allowedCidrs[0]' "$$(curl -fsS https://checkip.amazonaws.com | tr -d '[:space:]')/32"

up: stack
	pulumi up --stack $(STACK)

preview: stack
	pulumi preview --stack $(STACK)

# The policy pack, locally: advisory exposure check (STRICT=1 makes it mandatory).
preview-policy: stack policy/.venv
	pulumi preview --stack $(STACK) --policy-pack policy $(if $(STRICT),--policy-pack-config policy/strict.json)

policy/.venv: policy/requirements.txt
	$(PYTHON) -m venv policy/.venv
	policy/.venv/bin/pip install --quiet -r policy/requirements.txt

destroy:
	pulumi destroy --stack $(STACK)
