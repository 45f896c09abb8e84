"""Two app hosts in network namespaces behind HAProxy: shared sessions and limits, readiness, load and a kill."""
