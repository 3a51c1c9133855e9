"""The edge in front of the APIs (issue 23.5), checked on the templates `make deploy` deploys.

CloudFront web ACLs cannot be exercised without an AWS account, so this pins what the deploy
relies on: rate rules by client address and by token (both the HTTP API's Authorization header
and the WebSocket's ?token=), refused with the API's 429 shape and a Retry-After; the web ACL on
the site's distribution; both APIs routed through it uncached with every header but Host; the
page told to call the fronted URLs; no error response that would rewrite the APIs' answers.
Run by `make infra-lint`.
"""

import pathlib
import unittest

from cfnlint.decode import cfn_yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def fronted(value):
    """The FrontApis branch of an Fn::If."""
    condition, when_true, _ = value["Fn::If"]
    assert condition == "FrontApis", condition
    return when_true


class WebAcl(unittest.TestCase):
    def setUp(self):
        acl = cfn_yaml.load(str(ROOT / "infra/waf.yaml"))["Resources"]["WebAcl"]["Properties"]
        self.acl = acl
        self.rules = {r["Name"]: r for r in acl["Rules"]}

    def test_it_is_a_cloudfront_acl_that_allows_by_default(self):
        self.assertEqual(self.acl["Scope"], "CLOUDFRONT")
        self.assertEqual(dict(self.acl["DefaultAction"]), {"Allow": {}})

    def test_rates_by_address_and_by_token_on_both_apis(self):
        keys = {}
        for name, rule in self.rules.items():
            statement = rule["Statement"]["RateBasedStatement"]
            if statement["AggregateKeyType"] == "IP":
                keys[name] = "ip"
            else:
                (key,) = statement["CustomKeys"]
                kind, spec = next(iter(key.items()))
                keys[name] = f"{kind}:{spec['Name']}"
            self.assertEqual(statement["EvaluationWindowSec"], 300)
        self.assertEqual(
            sorted(keys.values()), ["Header:authorization", "QueryArgument:token", "ip"], keys
        )

    def test_a_refusal_is_the_apis_429_with_retry_after(self):
        body = self.acl["CustomResponseBodies"]["rate-limited"]
        self.assertIn('"code":"rate_limited"', body["Content"])
        for rule in self.rules.values():
            response = rule["Action"]["Block"]["CustomResponse"]
            self.assertEqual(response["ResponseCode"], 429)
            self.assertEqual(response["CustomResponseBodyKey"], "rate-limited")
            self.assertEqual([h["Name"] for h in response["ResponseHeaders"]], ["Retry-After"])


class Distribution(unittest.TestCase):
    def setUp(self):
        self.template = cfn_yaml.load(str(ROOT / "template.yaml"))
        self.config = self.template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]

    def test_the_acl_is_attached_when_given(self):
        self.assertEqual(dict(fronted(self.config["WebACLId"])), {"Ref": "WebAclArn"})

    def test_both_apis_go_through_uncached_with_every_header_but_host(self):
        origins = {o["Id"]: o for o in fronted(self.config["Origins"])}
        behaviours = fronted(self.config["CacheBehaviors"])
        targets = {}
        for b in behaviours:
            pattern = b["PathPattern"]
            pattern = pattern if isinstance(pattern, str) else pattern["Fn::Sub"]
            targets[pattern] = b["TargetOriginId"]
            self.assertEqual(b["CachePolicyId"], CACHING_DISABLED)
            self.assertEqual(b["OriginRequestPolicyId"], ALL_VIEWER_EXCEPT_HOST)
            self.assertEqual(b["ViewerProtocolPolicy"], "https-only")
            self.assertIn(b["TargetOriginId"], origins)
        self.assertEqual(targets, {"/api/*": "http-api", "/${Stage}": "websocket-api"})
        api_methods = next(b for b in behaviours if b["TargetOriginId"] == "http-api")["AllowedMethods"]
        self.assertEqual(set(api_methods), {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"})
        self.assertEqual(origins["http-api"]["OriginPath"]["Fn::Sub"], "/${Stage}")

    def test_no_error_response_rewrites_the_apis_answers(self):
        self.assertNotIn("CustomErrorResponses", self.config)
        (association,) = self.config["DefaultCacheBehavior"]["FunctionAssociations"]
        self.assertEqual(association["EventType"], "viewer-request")

    def test_the_page_is_told_the_fronted_urls(self):
        outputs = self.template["Outputs"]
        self.assertEqual(fronted(outputs["ClientApiUrl"]["Value"])["Fn::Sub"], "https://${Distribution.DomainName}")
        self.assertEqual(fronted(outputs["ClientWsUrl"]["Value"])["Fn::Sub"], "wss://${Distribution.DomainName}/${Stage}")
        deploy = (ROOT / "scripts/deploy.sh").read_text()
        self.assertIn("API_URL=$(output ClientApiUrl) WS_URL=$(output ClientWsUrl)", deploy)
        self.assertIn('WAF="${WAF:-on}"', deploy)
        # Named even when empty: a parameter left out keeps the stack's previous value.
        self.assertIn('WebAclArn=\\"$WEB_ACL\\"', deploy)


if __name__ == "__main__":
    unittest.main()
