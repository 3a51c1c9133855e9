#!/usr/bin/env bash
# Create a user in the stack's Cognito user pool; Cognito emails them a temporary password, which
# the Hosted UI asks them to change at first sign-in. The tenant is fixed at creation (the
# attribute is immutable and users cannot write it).
#   scripts/create-user.sh [--admin|--super-admin] <tenant-id> <email> "<Full Name>"
#   STACK=<stack name> (default tenant-chat)
set -euo pipefail
STACK="${STACK:-tenant-chat}"
GROUP=""
case "${1:-}" in
  --admin) GROUP="admin"; shift ;;
  --super-admin) GROUP="super-admin"; shift ;;
esac
[ $# -eq 3 ] || { echo "usage: $0 [--admin|--super-admin] <tenant-id> <email> \"<Full Name>\""; exit 2; }
TENANT="$1" EMAIL="$2" NAME="$3"
[[ "$TENANT" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || { echo "tenant id: letters, digits, - and _ (at most 64)"; exit 2; }
POOL=$(aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].Outputs[?OutputKey=='UserPoolId'].OutputValue" --output text)
[ -n "$POOL" ] && [ "$POOL" != "None" ] || { echo "stack $STACK has no user pool (IdentityProvider=external?)"; exit 1; }

aws cognito-idp admin-create-user --user-pool-id "$POOL" --username "$EMAIL" --desired-delivery-mediums EMAIL \
  --user-attributes Name=email,Value="$EMAIL" Name=email_verified,Value=true Name=name,Value="$NAME" \
    Name=custom:tenant_id,Value="$TENANT" >/dev/null
if [ -n "$GROUP" ]; then
  aws cognito-idp admin-add-user-to-group --user-pool-id "$POOL" --username "$EMAIL" --group-name "$GROUP"
fi
echo "Created $EMAIL in tenant $TENANT${GROUP:+ (group $GROUP)}: Cognito has emailed a temporary password."
