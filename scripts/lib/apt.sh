# shellcheck shell=bash
# apt-get and apt-mark that wait for the dpkg lock (unattended-upgrades holds it while an Ubuntu node
# boots) instead of failing, and an update that retries while another apt holds the package lists'
# lock, which has no timeout option of its own.
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

# Holding a package writes dpkg's selections, under the same lock.
apt_mark() {
  apt-mark -o DPkg::Lock::Timeout=600 "$@"
}

apt_update() {
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if apt_get update -q; then
      return 0
    fi
    echo "apt-get update failed (attempt $attempt of 10); retrying in 15s" >&2
    sleep 15
  done
  return 1
}
