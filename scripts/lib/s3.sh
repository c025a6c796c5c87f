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

# Returns 0 with the object in FILE, 3 when there is no such object, 1 on any other failure.
s3_download() {
  local url="$1" file="$2" output
  if output=$(aws s3 cp "$url" "$file" --region "$AWS_REGION" --only-show-errors 2>&1); then
    return 0
  fi
  if [[ "$output" == *"(404)"* || "$output" == *"Not Found"* || "$output" == *NoSuchKey* ]]; then
    return 3
  fi
  echo "$output" >&2
  return 1
}
