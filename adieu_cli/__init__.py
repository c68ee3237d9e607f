"""The ``adieu`` command-line tool for operators."""
