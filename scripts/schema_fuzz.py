"""Schema fuzzing: starts the local stack (the built binary) on a free port with fresh data, signs
in as a tenant admin, and runs schemathesis against the served OpenAPI document: no 5xx, every
status and body as documented, invalid input refused. Bounded: EXAMPLES per operation (default
20), a fixed SEED (set SEED=random to explore). Usage: python scripts/schema_fuzz.py"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)


def main():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="schema-fuzz-")
    env = dict(os.environ, LOCAL_ADDR=f"127.0.0.1:{port}", DATA_DIR=data, RUST_LOG="warn",
               RATE_LIMIT_SENDS="off", RATE_LIMIT_UPLOADS="off", RATE_LIMIT_SUBSCRIBES="off",
               RATE_LIMIT_MESSAGE_CHANGES="off", RATE_LIMIT_MEMBERSHIP="off", RATE_LIMIT_CHANNELS="off",
               RATE_LIMIT_DMS="off", RATE_LIMIT_READS="off", RATE_LIMIT_CONVERSATION_WRITES="off")
    server = subprocess.Popen([os.environ.get("SERVER_BIN", os.path.join(ROOT, "target/debug/tenant-chat-local"))], env=env)
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("the local stack did not start")
                time.sleep(0.1)
        request = urllib.request.Request(
            f"{base}/api/v1/dev/token",
            data=json.dumps({"tenantId": "acme", "userId": "alice", "displayName": "Alice", "roles": ["admin"]}).encode(),
            headers={"content-type": "application/json"},
        )
        token = json.load(urllib.request.urlopen(request))["token"]
        command = [
            os.path.join(VENV_BIN, "schemathesis"), "run", f"{base}/api/v1/openapi.json",
            "-H", f"Authorization: Bearer {token}",
            "-n", os.environ.get("EXAMPLES", "20"),
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection",
        ]
        seed = os.environ.get("SEED", "20261126")
        if seed != "random":
            command += ["--seed", seed]
        result = subprocess.run(command)
        raise SystemExit(result.returncode)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
