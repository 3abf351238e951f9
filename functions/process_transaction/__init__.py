"""process-transaction: the REST API's function (POST /transactions, GET /transactions/{id})."""
