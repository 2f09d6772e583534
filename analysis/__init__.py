"""Turning runs into answers: the command line, tables and result files."""
