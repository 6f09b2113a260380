"""Stage 5: render view models to files with Jinja2 templates from ``<root>/templates``."""
