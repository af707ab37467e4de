"""Building and validating the shipped demo corpus (``arnews-corpus build|validate``)."""
