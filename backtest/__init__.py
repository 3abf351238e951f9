"""The backtest: a labelled benchmark, and a replay of past traffic through the live rules.

``python -m backtest generate`` writes the benchmark (``generator``); ``run`` reads a labelled
CSV (``dataset``), replays it in time order through ``common.scoring.score``, the function
detect-fraud runs (``replay``), and measures the verdicts (``metrics``, ``evaluation``) in
text (``summary``), a scores file (``scores``) and an HTML page (``report``). Training and
numpy stay here: nothing of this package goes into a Lambda function.
"""
