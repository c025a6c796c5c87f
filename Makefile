# `make up` brings the cluster up; `make test` runs every test, as CI does. `make help` lists the rest.

PYTHON ?= python3
VENV := .venv
STACK ?= dev
STACK_FILE := Pulumi.$(STACK).yaml
CLOUD_INIT_DIR := $(CURDIR)/.cache/cloud-init
CLOUD_INIT_PACKAGE := $(CLOUD_INIT_DIR)/.packages
ETCD_DIR := $(CURDIR)/.cache/etcd
ETCD_PACKAGES := $(ETCD_DIR)/.packages
VM_ROOTFS := $(CURDIR)/.cache/vm/rootfs
# The engine's events of the last `pulumi up` (make timings reads them).
EVENT_LOG := .cache/events/$(STACK).jsonl
# Every change goes through the policy pack, its port rule mandatory (policy/strict.json).
PULUMI_UP := mkdir -p .cache/events && pulumi up --refresh --stack $(STACK) --event-log $(EVENT_LOG) \
	--policy-pack policy --policy-pack-config policy/strict.json
PYTEST := CLOUD_INIT_DIR=$(CLOUD_INIT_DIR) ETCD_DIR=$(ETCD_DIR) VM_ROOTFS=$(VM_ROOTFS) $(VENV)/bin/python -m pytest \
	-n auto --dist loadgroup

.DEFAULT_GOAL := help
.PHONY: help tools aws stack up preview destroy pause resume outputs kubeconfig ssh rerun replace-node allow-my-address timings settings \
	test test-fast vm-rootfs preview-policy

help: ## list the targets
	@awk -F ':.*## ' '/^[a-z-]+:.*## / {printf "  make %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- using the cluster --------------------------------------------------------------------------------

# --refresh: AWS's view first, so that a worker that is gone (a Spot interruption, terminated by hand)
# is replaced and joins again.
up: tools $(VENV)/.program aws stack policy/.venv ## check prerequisites, then create or update the cluster (pulumi up)
	$(PULUMI_UP)

preview: tools $(VENV)/.program aws stack ## show what `make up` would change
	pulumi preview --stack $(STACK)

destroy: tools $(VENV)/.program aws ## remove everything the stack created (pulumi destroy)
	@bash scripts/local/before-destroy.sh $(STACK)
	pulumi destroy --stack $(STACK)

pause: tools $(VENV)/.program aws stack policy/.venv ## stop every instance; disks, addresses and the cluster stay (paused: true)
	pulumi config set paused true --stack $(STACK)
	$(PULUMI_UP)

resume: tools $(VENV)/.program aws stack policy/.venv ## start the instances again and wait until every node is Ready
	pulumi config set paused false --stack $(STACK)
	$(PULUMI_UP)

outputs: tools ## the stack's outputs (secrets shown as [secret])
	pulumi stack output --stack $(STACK)

kubeconfig: tools ## write the admin kubeconfig to ./kubeconfig (mode 600); eval "$(make -s kubeconfig)"
	@bash scripts/local/kubeconfig.sh $(STACK)

ssh: tools ## a shell on a node: make ssh NODE=kubeadm-lab-worker-1
	@bash scripts/local/ssh-node.sh $(STACK) "$(NODE)"

rerun: tools ## run one bootstrap step again: make rerun STEP=kubeadm-lab-worker-1-join
	@bash scripts/local/replace.sh $(STACK) step "$(STEP)"

replace-node: tools ## a new instance for one node, with the current image: make replace-node NODE=kubeadm-lab-worker-1
	@bash scripts/local/replace.sh $(STACK) node "$(NODE)"

allow-my-address: tools ## point allowedCidrs[0] at this machine's current address (then make up)
	bash scripts/local/allowed-cidrs.sh $(STACK) --replace

timings: tools ## each step's start and duration in the last make up, and the critical path to Ready
	@$(PYTHON) scripts/local/timings.py $(STACK) $(EVENT_LOG)

tools: ## check Python 3.10+ with venv and the Pulumi CLI
	@bash scripts/local/check-tools.sh

aws: $(VENV)/.program ## check AWS credentials and name the account and region the stack builds in
	@$(VENV)/bin/python scripts/local/check-aws.py $(STACK_FILE)

stack: $(VENV)/.program
	@bash scripts/local/select-stack.sh $(STACK)
	@bash scripts/local/allowed-cidrs.sh $(STACK)

# What the program needs: `make up` installs only this.
$(VENV)/.program: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# --- developing ----------------------------------------------------------------------------------------

settings: $(VENV)/.program ## write Pulumi.yaml's config block and the README's settings table from components/settings/table.py
	$(VENV)/bin/python -m components.settings.docs

test: $(VENV)/.dev $(CLOUD_INIT_PACKAGE) $(ETCD_PACKAGES) vm-rootfs ## every test, the VM boot included (what CI runs)
	$(PYTEST)

test-fast: $(VENV)/.dev ## the tests that need no download, no VM and no fresh-node matrix (minutes)
	$(PYTEST) -m "not slow"

# The policy pack, locally: the exposure check is advisory (STRICT=1 makes it mandatory).
preview-policy: tools $(VENV)/.program aws stack policy/.venv ## make preview with the policy pack
	pulumi preview --stack $(STACK) --policy-pack policy $(if $(STRICT),--policy-pack-config policy/strict.json)

$(VENV)/.dev: $(VENV)/.program requirements-dev.txt examples/nginx-workload/requirements.txt policy/requirements.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

policy/.venv: policy/requirements.txt
	$(PYTHON) -m venv policy/.venv
	policy/.venv/bin/pip install --quiet -r policy/requirements.txt

# Real programs from Debian's current release: cloud-init's schema validator, and etcd for the backups.
$(CLOUD_INIT_PACKAGE):
	bash .ci/fetch-debian-packages.sh $(CLOUD_INIT_DIR) cloud-init

$(ETCD_PACKAGES):
	bash .ci/fetch-debian-packages.sh $(ETCD_DIR) etcd-server etcd-client

# The node-preparation VM test needs a Debian root file system, which only root can build.
vm-rootfs:
	@if [ "$$(id -u)" = 0 ] && command -v debootstrap >/dev/null && command -v qemu-system-x86_64 >/dev/null; then \
		bash tests/vm/build-rootfs.sh $(VM_ROOTFS); \
	else \
		echo "not building the VM image (needs root, debootstrap and qemu-system-x86): the VM test will be skipped"; \
	fi
