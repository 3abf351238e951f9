#!/usr/bin/env bash
# Runs one Pulumi action over the given layers, in the order given, on stack $STACK.
# Stops at the first layer that fails and names it; later layers are not touched.
#
#   scripts/layers.sh preview|up|destroy <layer>...
#   scripts/layers.sh config-set <layer>...      (KEY and VALUE from the environment)
#   scripts/layers.sh outputs
#   scripts/layers.sh account up|destroy         (the region's API Gateway role: account/)
#   scripts/layers.sh smoke                      (the smoke scenarios against stack $STACK)
#
# `up` runs the preflight (shared/preflight.py) before the first layer; `preview` stops, saying
# so, at the first layer whose upstream layers are not deployed yet. Every preview and up runs
# the policy pack in policy/ (--policy-pack: its policies are mandatory). The file backend in
# the checkout serves STACK=dev only; `destroy` of a production stack asks for its name.
#
# The Makefile calls it (`make deploy-all`, `make destroy`, ...); `make help` lists the targets.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python="$root/.venv/bin/python"
stack=${STACK:-dev}
action=${1:?usage: scripts/layers.sh preview|up|destroy|config-set|outputs|account [layer...]}
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
  "$python" -c 'import boto3, sys; sys.exit(boto3.Session().get_credentials() is None)' \
    || fail "no AWS credentials found. Export AWS_PROFILE (after 'aws sso login' or 'aws configure')
  or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then run the make target again."
}

backend_setup_help="  Pulumi Cloud: pulumi login (a token from app.pulumi.com; secrets are encrypted by the
    service), or
  an S3 bucket of your own with a KMS key for the stack secrets:
    aws s3api create-bucket --bucket <state-bucket> --region $REGION \\
      --create-bucket-configuration LocationConstraint=$REGION   (versioning and SSE-KMS on)
    aws kms create-alias --alias-name alias/pulumi-secrets --target-key-id <key id>
    pulumi login 's3://<state-bucket>?region=$REGION'
    export SECRETS_PROVIDER='awskms://alias/pulumi-secrets?region=$REGION'
  then run the make target again."

current_backend() {  # the backend URL the CLI would use, or nothing when not logged in
  if [[ -n ${PULUMI_BACKEND_URL:-} ]]; then
    echo "$PULUMI_BACKEND_URL"
    return
  fi
  local who
  who=$(pulumi whoami --verbose --non-interactive </dev/null 2>/dev/null) || return 0
  sed -n 's/^ *Backend URL: *//p' <<<"$who"
  [[ $who == *"Backend URL:"* ]] || echo "logged-in"
}

select_backend() {
  local backend
  backend=$(current_backend)
  if [[ -n $backend && $backend != file://* ]]; then
    if [[ $backend == s3://* && $stack != dev && ${SECRETS_PROVIDER:-} != awskms://* ]]; then
      fail "stack $stack keeps its state in $backend: its secrets must be encrypted with a KMS key,
  not a passphrase. Export SECRETS_PROVIDER='awskms://alias/<key alias>?region=$REGION' (used
  when a layer's stack is created), then run the make target again."
    fi
    return
  fi
  if [[ $stack != dev ]]; then
    fail "stack $stack needs a real Pulumi backend: the file backend${backend:+ ($backend)} in this
  checkout is for STACK=dev only (one machine, no locking, state lost with the clone). Set up
$backend_setup_help"
  fi
  [[ -n $backend ]] && return
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

# The pack is run by every preview and up; a mandatory violation fails the layer.
policy_pack_flags() {
  echo "--policy-pack $root/policy"
}

secrets_provider_flags() {  # for a stack created now
  [[ -n ${SECRETS_PROVIDER:-} ]] && echo "--secrets-provider $SECRETS_PROVIDER" || true
}

confirm_production_destroy() {  # confirm_production_destroy <layer>...
  local environment answer
  [[ ${YES:-} == 1 ]] && return
  environment=$("$python" -m shared.stack_config environment "$stack" "$@")
  [[ $environment == production ]] || return 0
  echo "Stack $stack is a production environment (fraud:environment = production): destroying"
  echo "it deletes its tables, reports and keys (after the key's deletion window)."
  printf 'Type the stack name (%s) to destroy it: ' "$stack"
  read -r answer || true
  [[ $answer == "$stack" ]] || fail "not confirmed: nothing was destroyed (type the stack name, or
  pass YES=1 to destroy without asking)."
}

run_in_layer() {  # run_in_layer <layer> <pulumi args...>
  local layer=$1
  shift
  (cd "$root/stacks/$layer" && pulumi "$@")
}

# `pulumi stack select` of a stack that does not exist says so with this; anything else (a
# wrong passphrase, an unreachable backend) is a failure, not "nothing there".
stack_missing() {  # stack_missing <stderr of stack select>
  grep -qE "no stack named '[^']*' found" <<<"$1"
}

upstream_deployed() {  # upstream_deployed <layer>: every layer it reads has outputs
  local upstream outputs
  for upstream in $("$python" -m shared.layers upstream "$1"); do
    outputs=$(run_in_layer "$upstream" stack output --json --stack "$stack" 2>/dev/null) || return 1
    [[ -n $outputs && $outputs != "{}" ]] || return 1
  done
}

stop_preview() {  # stop_preview <layer> <layers previewed so far...>
  local layer=$1
  shift
  echo "==> $layer and the layers after it cannot be previewed yet: $layer reads the outputs of" \
    "$("$python" -m shared.layers upstream "$layer" | sed 's/ /, /g') (stack $stack), which are" \
    "not deployed. On a new environment only $("$python" -m shared.layers independent |
      sed 's/ / and /g') can be previewed before anything is deployed; deploy the layers before $layer" \
    "(make deploy-<layer> STACK=$stack) to preview the rest."
  echo "pulumi preview done: ${*:-no layer} (stack $stack)"
  exit 0
}

act_on_layer() {
  local layer=$1
  [[ -d $root/stacks/$layer ]] || fail "unknown layer '$layer'"
  echo "==> pulumi $action: $layer (stack $stack)"
  case $action in
    preview | up)
      run_in_layer "$layer" stack select --create "$stack" $(secrets_provider_flags) \
        && run_in_layer "$layer" "$action" --stack "$stack" $(policy_pack_flags) $(confirm_flag)
      ;;
    destroy)
      local selected
      if ! selected=$(run_in_layer "$layer" stack select "$stack" 2>&1 >/dev/null); then
        if stack_missing "$selected"; then
          echo "    no stack '$stack' in $layer: nothing to destroy"
          return 0
        fi
        fail "cannot select stack $stack in layer $layer: ${selected:-pulumi stack select failed}
  Nothing was destroyed in $layer or the layers before it."
      fi
      run_in_layer "$layer" destroy --stack "$stack" $(confirm_flag)
      ;;
    config-set)
      run_in_layer "$layer" stack select --create "$stack" $(secrets_provider_flags) \
        && run_in_layer "$layer" config set --stack "$stack" "$KEY" "$VALUE"
      ;;
    *) fail "unknown action '$action'" ;;
  esac || fail "pulumi $action failed in layer $layer (stack $stack); the layers after it were not touched."
}

account() {  # account up|destroy: the stack of region $REGION in account/
  local region=${REGION:-us-east-2} verb=${1:?usage: scripts/layers.sh account up|destroy}
  echo "==> pulumi $verb: account/ (API Gateway CloudWatch role, stack $region)"
  (cd "$root/account" \
    && pulumi stack select --create "$region" \
    && pulumi config set --stack "$region" aws:region "$region" \
    && pulumi "$verb" --stack "$region" $([[ $verb == up ]] && policy_pack_flags) $(confirm_flag)) \
    || fail "pulumi $verb failed in account/ (stack $region)"
}

case $action in
  config-set)
    # Checked before anything: a missing KEY must not leave half-created stacks behind.
    [[ -n ${KEY:-} && -n ${VALUE:-} ]] || fail "usage: make config-set STACK=<stack> KEY=<key> VALUE=<value>
  e.g. make config-set STACK=qa KEY=fraud:alertEmail VALUE=fraud-team@example.com"
    ;;
esac

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
  account)
    require_aws_credentials
    select_backend
    account "$@"
    ;;
  preview)
    require_aws_credentials
    select_backend
    previewed=()
    for layer in "$@"; do
      upstream_deployed "$layer" || stop_preview "$layer" "${previewed[@]}"
      act_on_layer "$layer"
      previewed+=("$layer")
    done
    echo "pulumi preview done: $* (stack $stack)"
    ;;
  smoke)
    require_aws_credentials
    select_backend
    api_url=$(run_in_layer edge-apigateway stack output apiUrl --stack "$stack") \
      || fail "no apiUrl output in edge-apigateway (stack $stack): deploy it first"
    # The key, with fraud:apiAuth=api-key, reaches the client by the environment, not argv.
    SMOKE_API_KEY=$(run_in_layer edge-apigateway stack output apiKey --show-secrets \
      --stack "$stack" 2>/dev/null || true) \
      "$python" -m smoke deployed --stack "$stack" --api-url "$api_url" \
      || fail "the smoke test of stack $stack failed (above)."
    ;;
  *)
    require_aws_credentials
    select_backend
    [[ $action == destroy ]] && confirm_production_destroy "$@"
    if [[ $action == up ]]; then
      echo "==> preflight: what the account must offer (stack $stack)"
      (cd "$root" && "$python" -m shared.preflight "$stack" "$@") \
        || fail "the preflight stopped the deploy before any layer changed (stack $stack)."
    fi
    for layer in "$@"; do act_on_layer "$layer"; done
    echo "pulumi $action done: $* (stack $stack)"
    ;;
esac
