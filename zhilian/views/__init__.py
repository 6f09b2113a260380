"""Stage 4: view models.  ``public`` can only hold public data; ``internal`` is for the
committee (youth masked)."""
