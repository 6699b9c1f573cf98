"""gunicorn's settings for every way Fabrika is served: `make run`, `make serve-prod`, `make loadtest`.

gunicorn reads this file by itself when started in the checkout (its default ./gunicorn.conf.py);
the scripts also name it with --config. Workers, threads and the bind address stay on the command
line (scripts/serve_prod.sh takes them from the environment).

Keep-alive: gunicorn's default closes an idle keep-alive connection after 2 s. A client that waits
longer between requests (a person reading a page, locust's users waiting 1-3 s, nginx's pool of
upstream connections) may send its next request on the connection at the moment the server closes
it, and gets "connection reset by peer" (the load test saw 1-3 per run). The server must keep an
idle connection longer than any client keeps one: nginx's upstream `keepalive_timeout` is 60 s by
default (docs/nginx-fabrika.conf), so 75 s here. Idle connections cost a file descriptor each in the
gthread worker's poller, not a thread.
"""

import os

keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
worker_class = "gthread"  # threads share a worker's pools and caches; --threads sets how many
