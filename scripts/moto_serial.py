"""moto server with requests applied one at a time.

moto's server is threaded and its DynamoDB backend takes no locks, so two concurrent
TransactWriteItems can both pass the same condition: real DynamoDB never allows that. Serialising
requests behind one lock restores the isolation the code under test relies on, while connections
are still served by threads. Usage: python3 scripts/moto_serial.py [-H HOST] [-p PORT]
"""

import argparse
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


class Serialised:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # Materialise the body inside the lock: the backend works while it is iterated.
            return list(self.app(environ, start_response))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, Serialised(app), threaded=True)


if __name__ == "__main__":
    main()
