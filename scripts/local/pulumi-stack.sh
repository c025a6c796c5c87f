# shellcheck shell=bash
# What the local scripts read from a stack (an output, the state), each failure told as what to do:
# a missing passphrase, an output the stack does not have yet, a stack that does not exist; never a
# traceback of a parser fed nothing.

# Says why `pulumi` failed for STACK reading WHAT, from its error output ERROR.
explain_pulumi_failure() {
  local stack="$1" what="$2" error="$3"
  case "$error" in
    *"passphrase must be set"* | *"incorrect passphrase"*)
      echo "cannot decrypt stack $stack: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the" \
        "passphrase chosen when the stack was created, then run this again" >&2
      ;;
    *"does not have output property"*)
      echo "stack $stack has no $what output yet: run make up STACK=$stack" >&2
      ;;
    *"no stack named"*)
      echo "there is no stack $stack here: make up STACK=$stack creates it" >&2
      ;;
    *)
      printf '%s\n' "$error" >&2
      echo "pulumi could not read $what of stack $stack (its message is above)" >&2
      ;;
  esac
}

# Runs `pulumi ARGS...` for STACK, printing what it prints; a failure is explained as reading WHAT.
pulumi_reading() {
  local stack="$1" what="$2" error status=0
  shift 2
  error=$(mktemp)
  pulumi "$@" --stack "$stack" 2>"$error" || status=$?
  ((status == 0)) || explain_pulumi_failure "$stack" "$what" "$(<"$error")"
  rm -f "$error"
  return "$status"
}

# Prints output NAME of STACK; more arguments (--json, --show-secrets) go to pulumi.
stack_output() {
  local stack="$1" name="$2"
  shift 2
  pulumi_reading "$stack" "$name" stack output "$name" "$@"
}

# Runs the Python program CODE over the state of STACK (pulumi stack export), which it finds in the
# file named by $STATE (a state is too large for a variable). Variables set before the call reach it.
read_state() {
  local stack="$1" code="$2" state status=0
  state=$(mktemp)
  pulumi_reading "$stack" "the state" stack export >"$state" || status=$?
  ((status != 0)) || STATE="$state" python3 -c "$code" || status=$?
  rm -f "$state"
  return "$status"
}
