# shellcheck shell=bash
# Waiting for something on a node, bounded twice: by the time the waits add up to (so that a test's
# `sleep` can stand in for them) and by the clock (a COMMAND that itself takes long, e.g. a probe of an
# address that does not answer, counts too).

# wait_until SECONDS INTERVAL MESSAGE COMMAND...: runs COMMAND every INTERVAL seconds until it
# succeeds; after SECONDS, fails saying MESSAGE ("… within <SECONDS>s"). COMMAND runs as an `until`
# condition, where set -e does not apply: it must return non-zero itself when a step of it fails.
wait_until() {
  local seconds="$1" interval="$2" message="$3" waited=0 deadline=$((SECONDS + $1))
  shift 3
  until "$@"; do
    if ((waited >= seconds || SECONDS >= deadline)); then
      echo "$message within ${seconds}s" >&2
      return 1
    fi
    sleep "$interval"
    waited=$((waited + interval))
  done
}
