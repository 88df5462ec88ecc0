"""The lab CA: an AD CS-style enterprise CA for cradle-lab, in Python.

An independent implementation (it shares no code with Cradle's client):
certsrv web enrollment, MS-XCEP (CEP), MS-WSTEP (CES), EST, an approval
queue, and the template rules of AD CS's policy module, all evaluated
against the lab's Samba directory.  Run with Debian's /usr/bin/python3:

    python3 -m labca LABDIR serve | requests | approve ID | deny ID | prepare
"""
