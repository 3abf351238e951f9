"""The smoke test: one set of scenarios (:mod:`smoke.scenarios`) that drives the API as a client
does, against two targets (:mod:`smoke.targets`): a running local mode, or a deployment.

``make smoke STACK=local`` (against ``make local SIGV4=1``) and ``make smoke STACK=qa`` run it;
tests/local/test_smoke.py runs the same scenarios against a local mode of its own.
"""
