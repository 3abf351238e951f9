"""Benchmarks and the cost model: ``make bench`` (``python -m bench``) writes ``results.md``.

One module per measurement (``api_overhead``, ``cold_start``, ``work_units``,
``rules_throughput``, ``local_pipeline``), the cost model (``cost_model`` with ``prices`` and
``platform_facts``), and what they share: ``stats`` (medians and ranges), ``capacity``
(DynamoDB request units), ``emulators`` (the handlers on moto), ``report`` (the Markdown).
"""
