# shellcheck shell=bash
# Copies to and from the stack's snapshot bucket with the AWS CLI and the instance's role.
# Needs AWS_REGION set by the script that sources this.
s3_upload() {
  local file="$1" url="$2"
  aws s3 cp "$file" "$url" --region "$AWS_REGION" --only-show-errors
}

s3_copy() {
  local from="$1" to="$2"
  aws s3 cp "$from" "$to" --region "$AWS_REGION" --only-show-errors
}

s3_download() {
  local url="$1" file="$2"
  aws s3 cp "$url" "$file" --region "$AWS_REGION" --only-show-errors
}

# Whether BUCKET holds KEY: 0 yes, 3 no, 1 when the bucket could not be asked. It lists the key's
# prefix, which the control plane's role may do, so a missing key is a definite no, never a 403.
s3_has_object() {
  local bucket="$1" key="$2" keys
  if ! keys=$(aws s3api list-objects-v2 --bucket "$bucket" --prefix "$key" --query 'Contents[].Key' \
    --output text --region "$AWS_REGION"); then
    return 1
  fi
  if grep -qxF "$key" <<<"${keys//$'\t'/$'\n'}"; then
    return 0
  fi
  return 3
}
