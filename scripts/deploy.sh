#!/usr/bin/env bash
# make deploy: build the functions, deploy the stack, build the web client, write its config.json
# from the stack's outputs, upload it behind CloudFront and print the URL.
#   ARCH=x86_64|arm64 (default x86_64)   STACK=<stack name> (default: samconfig.toml's, tenant-chat)
#   WAF=on|off (default on): the web ACL of infra/waf.yaml (stack $STACK-waf, in us-east-1, where
#   CloudFront's web ACLs live) in front of the page and both APIs, which are then served through
#   the site's distribution.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH="${ARCH:-x86_64}"
PATH="$(scripts/toolchain-path.sh "$ARCH")"
export PATH SAM_CLI_TELEMETRY=0
STACK="${STACK:-tenant-chat}"
WAF="${WAF:-on}"
command -v aws >/dev/null || { echo "make deploy needs the AWS CLI (aws) with credentials"; exit 1; }

output() { aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text; }
stack_exists() { aws cloudformation describe-stacks --stack-name "$STACK" >/dev/null 2>&1; }

sam build --beta-features --parameter-overrides "Architecture=$ARCH"

WEB_ACL=""
if [ "$WAF" = on ]; then
  aws cloudformation deploy --region us-east-1 --stack-name "$STACK-waf" --template-file infra/waf.yaml \
    --no-fail-on-empty-changeset
  WEB_ACL=$(aws cloudformation describe-stacks --region us-east-1 --stack-name "$STACK-waf" \
    --query "Stacks[0].Outputs[?OutputKey=='WebAclArn'].OutputValue" --output text)
fi

# The page's CSP names the HTTP API and the attachment bucket, which CloudFormation cannot pass
# to the distribution's headers directly (they depend on the distribution): they come back in
# from the stack's own outputs. A first deploy therefore runs twice.
csp_overrides() {
  local api bucket
  api=$(output HttpApiUrl | sed -E 's#^(https://[^/]+).*#\1#')
  bucket=$(output AttachmentsBucketName)
  # Always named (empty when WAF=off), or SAM would keep the stack's previous value; SAM reads
  # the quoted form as the empty string.
  echo "Architecture=$ARCH CspApiOrigin=$api CspBucketOrigin=$bucket WebAclArn=\"$WEB_ACL\""
}
if ! stack_exists; then
  echo "No stack $STACK yet: sam deploy --guided (answers are saved to samconfig.toml)"
  sam deploy --guided --stack-name "$STACK" --parameter-overrides "Architecture=$ARCH"
fi
# shellcheck disable=SC2046 # the overrides are words on purpose
sam deploy --stack-name "$STACK" --parameter-overrides $(csp_overrides)

# config.json: the shape client/src/lib/config.ts reads.
API_URL=$(output ClientApiUrl) WS_URL=$(output ClientWsUrl) AUTHORITY=$(output OidcAuthority) \
CLIENT_ID=$(output OidcClientId) LOGOUT_URL=$(output OidcLogoutUrl) SITE_URL=$(output SiteUrl) \
python3 - > /tmp/tenant-chat-config.json <<'PY'
import json, os
oidc = {"authority": os.environ["AUTHORITY"], "clientId": os.environ["CLIENT_ID"],
        "redirectUri": os.environ["SITE_URL"] + "/", "postLogoutRedirectUri": os.environ["SITE_URL"] + "/"}
if os.environ.get("LOGOUT_URL") not in (None, "", "None"):
    oidc["logoutUrl"] = os.environ["LOGOUT_URL"]
print(json.dumps({"apiUrl": os.environ["API_URL"], "wsUrl": os.environ["WS_URL"], "devSignIn": False, "oidc": oidc}, indent=2))
PY

(cd client && npm ci --no-audit --no-fund --loglevel=error && npm run build)
cp /tmp/tenant-chat-config.json client/dist/config.json

BUCKET=$(output SiteBucketName)
# Hashed assets never change under their name; the page and its config must be re-read.
aws s3 sync client/dist/assets "s3://$BUCKET/assets" --delete --cache-control "public,max-age=31536000,immutable"
aws s3 sync client/dist "s3://$BUCKET" --delete --exclude "assets/*" --cache-control "no-cache"
aws cloudfront create-invalidation --distribution-id "$(output DistributionId)" --paths "/index.html" "/config.json" "/" >/dev/null

echo
echo "Tenant Chat is at $(output SiteUrl)"
if [ "$(output UserPoolId)" != "None" ]; then
  echo "Create the first admin: scripts/create-user.sh --admin <tenant-id> <email> \"<Full Name>\""
fi
