# shellcheck shell=bash
# Bootstrap tokens are Secrets bootstrap-token-<id> in kube-system; their description says whose they
# are. Deleting the Secret deletes the token (what `kubeadm token delete` does). Needs KUBECONFIG.

# One line "<secret name> <description, base64>" per bootstrap token.
bootstrap_tokens() {
  kubectl -n kube-system get secrets --field-selector type=bootstrap.kubernetes.io/token \
    -o jsonpath='{range .items[?(@.type=="bootstrap.kubernetes.io/token")]}{.metadata.name}{" "}{.data.description}{"\n"}{end}'
}

# Deletes every bootstrap token whose description is exactly DESCRIPTION; prints their ids.
delete_bootstrap_tokens_described() {
  local description="$1" name encoded
  while read -r name encoded; do
    if [[ -n "$name" && "$(base64 -d <<<"$encoded" 2>/dev/null)" == "$description" ]]; then
      kubectl -n kube-system delete secret "$name" --ignore-not-found >/dev/null
      echo "deleted bootstrap token ${name#bootstrap-token-} ($description)" >&2
    fi
  done < <(bootstrap_tokens)
}
