"""Click commands, one module per topic; each is registered in publish/cli/__init__.py."""
