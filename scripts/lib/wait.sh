# shellcheck shell=bash
# Waiting for something on a node, bounded. Time is counted by the waits, not the clock, so that a
# test's `sleep` can stand in for them.

# wait_until SECONDS INTERVAL MESSAGE COMMAND...: runs COMMAND every INTERVAL seconds until it
# succeeds; after SECONDS, fails saying MESSAGE ("… within <SECONDS>s").
wait_until() {
  local seconds="$1" interval="$2" message="$3" waited=0
  shift 3
  until "$@"; do
    if ((waited >= seconds)); then
      echo "$message within ${seconds}s" >&2
      return 1
    fi
    sleep "$interval"
    waited=$((waited + interval))
  done
}
