"""The load test (issue 8): locust against gunicorn, PostgreSQL, S3 (moto) and an RQ worker."""
