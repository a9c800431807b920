"""Tests of bisnap's published test vectors (``vectors/``)."""
