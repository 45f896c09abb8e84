"""gunicorn's settings for the back office (README, "Production"): ``gunicorn -c config/gunicorn.conf.py
admin_app.wsgi:app``. Each can be changed from the environment (GUNICORN_*) or the command line (``--bind``...)."""

import os

# Threaded workers: a moderator's page mostly waits on PostgreSQL, so threads serve others meanwhile, and a thread
# busy with a long request does not stop its worker's heartbeat (sync workers are killed after `timeout`).
cores = len(os.sched_getaffinity(0))
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, cores)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# A request's statements stop at WEB_STATEMENT_TIMEOUT_S (15 s); anything longer is a job. `timeout` only catches
# a worker that stopped answering its heartbeat; `graceful_timeout` lets requests in flight end on a restart.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Longer than nginx's upstream keepalive_timeout (60 s by default there), so nginx closes idle connections first.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))

# Each worker is replaced after about this many requests (jitter: not all at once), bounding any slow growth.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 200))

# Proxy headers are the app's business alone (TRUSTED_PROXIES, admin_app/proxy.py): gunicorn trusts none.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

# gunicorn's access log on standard output, a line per request in the combined format with the app's request id
# and the time to the last byte in milliseconds (the app's own JSON line, on standard error, adds the user and the
# SQL work of the same request id).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms id=%({x-request-id}o)s "%(a)s"'
# Its own messages (workers started, stopped, timed out) on standard error, beside the app's.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# gunicorn's control socket sits at one path per user ($HOME/.gunicorn/gunicorn.ctl): several servers on one host
# would take it from each other. The process manager's signals do the same work.
control_socket_disable = True
