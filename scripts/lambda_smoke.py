"""Runs every Lambda under `cargo lambda watch` and invokes it with its sample events from
events/, asserting each response. Starts what the functions talk to on loopback: moto (table with
a stream, buckets, the Management API) and a stand-in OpenSearch. Usage (from the repo root, with
the venv's python): python scripts/lambda_smoke.py"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start on port {port}")


def main():
    procs = []
    try:
        moto_port, search_port, invoke_port = free_port(), free_port(), free_port()
        moto = f"http://127.0.0.1:{moto_port}"
        procs.append(subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts/moto_serial.py"), "-p", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts/fake_opensearch.py"), str(search_port)]))
        wait_for(moto_port, "moto")
        wait_for(search_port, "fake OpenSearch")

        aws = dict(region_name="us-east-1", endpoint_url=moto, aws_access_key_id="test", aws_secret_access_key="test")
        boto3.client("dynamodb", **aws).create_table(
            TableName="tenant-chat",
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}, {"AttributeName": "SK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        s3 = boto3.client("s3", **aws)
        for bucket in ("attachments", "archive"):
            s3.create_bucket(Bucket=bucket)

        env = dict(os.environ)
        env.update({
            "AWS_ENDPOINT_URL": moto,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_S3_FORCE_PATH_STYLE": "true",
            "TABLE_NAME": "tenant-chat",
            "JWT_ISSUER": "https://issuer.example",
            "JWT_AUDIENCE": "tenant-chat",
            "JWKS_URL": f"http://127.0.0.1:{search_port}/jwks.json",
            "WS_MANAGEMENT_ENDPOINT": moto,
            "ATTACHMENTS_BUCKET": "attachments",
            "ARCHIVE_BUCKET": "archive",
            "OPENSEARCH_ENDPOINT": f"http://127.0.0.1:{search_port}",
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        })
        watch = subprocess.Popen(["cargo", "lambda", "watch", "--invoke-port", str(invoke_port), "--ignore-changes"], cwd=ROOT, env=env)
        procs.append(watch)
        wait_for(invoke_port, "cargo lambda watch", timeout=120)

        def invoke(function, event_file):
            out = subprocess.run(
                ["cargo", "lambda", "invoke", function, "--invoke-port", str(invoke_port), "--data-file", os.path.join(ROOT, "events", event_file), "--output-format", "json"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
            )
            if out.returncode != 0:
                raise SystemExit(f"invoke {function} {event_file} failed:\n{out.stdout}\n{out.stderr}")
            return json.loads(out.stdout)

        checks = []

        def check(name, ok, got):
            checks.append((name, ok))
            print(("ok     " if ok else "FAILED ") + name + ("" if ok else f": {got}"))

        r = invoke("http-api", "http-api-health.json")
        check("http-api GET /api/v1/health → 200 ok", r.get("statusCode") == 200 and json.loads(r.get("body", "{}")).get("status") == "ok", r)
        r = invoke("http-api", "http-api-conversations-unauthenticated.json")
        body = json.loads(r.get("body", "{}"))
        check("http-api without a token → 401 unauthenticated", r.get("statusCode") == 401 and body.get("error", {}).get("code") == "unauthenticated", r)
        r = invoke("ws", "ws-connect.json")
        check("ws $connect with a bad token → 401", r.get("statusCode") == 401, r)
        r = invoke("ws", "ws-default-ping.json")
        check("ws $default ping → 200", r.get("statusCode") == 200, r)
        r = invoke("ws", "ws-disconnect.json")
        check("ws $disconnect → 200", r.get("statusCode") == 200, r)
        r = invoke("stream-indexer", "stream-batch.json")
        check("stream-indexer batch → no failures", r == {"batchItemFailures": []}, r)
        r = invoke("stream-archiver", "stream-batch.json")
        objects = s3.list_objects_v2(Bucket="archive").get("KeyCount", 0)
        check("stream-archiver batch → no failures, archive written", r == {"batchItemFailures": []} and objects == 1, (r, objects))
        r = invoke("fanout", "fanout-batch.json")
        check("fanout batch → no failures", r == {"batchItemFailures": []}, r)
        r = invoke("retention", "retention-schedule.json")
        check("retention scheduled run → a report", isinstance(r, dict) and "deleted" in r, r)

        passed = sum(1 for _, ok in checks if ok)
        print(f"{passed} passed, {len(checks) - passed} failed")
        if passed != len(checks):
            raise SystemExit(1)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
