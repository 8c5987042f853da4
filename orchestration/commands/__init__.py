"""The `chorus` CLI's command groups, one module each; orchestration/cli.py lists them."""
