"""Cradle test lab: a Samba AD DC dressed as an AD CS forest.

Run with Debian's /usr/bin/python3 (Samba's Python modules live there).
The bash front-end tests/lab/cradle-lab is the entry point; see README.md.
"""
