#!/usr/bin/env bash
# Runs one Pulumi action over the given layers, in the order given, on stack $STACK.
# Stops at the first layer that fails and names it; later layers are not touched.
#
#   scripts/layers.sh preview|up|destroy <layer>...
#   scripts/layers.sh config-set <layer>...      (KEY and VALUE from the environment)
#   scripts/layers.sh outputs
#
# The Makefile calls it (`make deploy-all`, `make destroy`, ...); `make help` lists the targets.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack=${STACK:-dev}
action=${1:?usage: scripts/layers.sh preview|up|destroy|config-set|outputs [layer...]}
shift

fail() {
  echo "error: $*" >&2
  exit 1
}

require_pulumi_cli() {
  command -v pulumi >/dev/null 2>&1 || fail "the Pulumi CLI is not on PATH. Install it with
  'curl -fsSL https://get.pulumi.com | sh' (or see https://www.pulumi.com/docs/iac/download-install/),
  open a new shell, and run the make target again."
}

require_aws_credentials() {
  # Resolves credentials the way the AWS provider does (env, profile, SSO, instance role)
  # without calling AWS.
  "$root/.venv/bin/python" -c 'import boto3, sys; sys.exit(boto3.Session().get_credentials() is None)' \
    || fail "no AWS credentials found. Export AWS_PROFILE (after 'aws sso login' or 'aws configure')
  or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then run the make target again."
}

select_backend() {
  if [[ -n ${PULUMI_BACKEND_URL:-} ]] || pulumi whoami --non-interactive </dev/null >/dev/null 2>&1; then
    return
  fi
  export PULUMI_BACKEND_URL="file://$root/.pulumi-state"
  mkdir -p "$root/.pulumi-state"
  echo "No Pulumi backend is configured: using the self-managed file backend in .pulumi-state/"
  echo "(run 'pulumi login' first to keep state in Pulumi Cloud or an S3 bucket instead)."
  [[ -n ${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-} ]] || fail "the file backend
  encrypts stack secrets with a passphrase: export PULUMI_CONFIG_PASSPHRASE (or
  PULUMI_CONFIG_PASSPHRASE_FILE) and run the make target again."
}

confirm_flag() {
  [[ ${YES:-} == 1 ]] && echo "--yes" || true
}

run_in_layer() {  # run_in_layer <layer> <pulumi args...>
  local layer=$1
  shift
  (cd "$root/stacks/$layer" && pulumi "$@")
}

act_on_layer() {
  local layer=$1
  [[ -d $root/stacks/$layer ]] || fail "unknown layer '$layer'"
  echo "==> pulumi $action: $layer (stack $stack)"
  case $action in
    preview | up)
      run_in_layer "$layer" stack select --create "$stack" \
        && run_in_layer "$layer" "$action" --stack "$stack" $(confirm_flag)
      ;;
    destroy)
      if ! run_in_layer "$layer" stack select "$stack" >/dev/null 2>&1; then
        echo "    no stack '$stack' in $layer: nothing to destroy"
        return 0
      fi
      run_in_layer "$layer" destroy --stack "$stack" $(confirm_flag)
      ;;
    config-set)
      run_in_layer "$layer" stack select --create "$stack" \
        && run_in_layer "$layer" config set --stack "$stack" "${KEY:?set KEY=...}" "${VALUE:?set VALUE=...}"
      ;;
    *) fail "unknown action '$action'" ;;
  esac || fail "pulumi $action failed in layer $layer (stack $stack); the layers after it were not touched."
}

require_pulumi_cli
case $action in
  outputs)
    select_backend
    api_url=$(run_in_layer edge-apigateway stack output apiUrl --stack "$stack") \
      || fail "no apiUrl output in edge-apigateway (stack $stack): deploy it first"
    bucket=$(run_in_layer data-dynamodb-s3-kms stack output reportsBucketName --stack "$stack") \
      || fail "no reportsBucketName output in data-dynamodb-s3-kms (stack $stack): deploy it first"
    echo "apiUrl:            $api_url"
    echo "reportsBucketName: $bucket"
    ;;
  config-set)
    select_backend
    for layer in "$@"; do act_on_layer "$layer"; done
    ;;
  *)
    require_aws_credentials
    select_backend
    for layer in "$@"; do act_on_layer "$layer"; done
    echo "pulumi $action done: $* (stack $stack)"
    ;;
esac
