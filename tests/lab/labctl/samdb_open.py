"""Open the lab's sam.ldb offline (Samba must not be running)."""

from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB


def loadparm(paths):
    lp = LoadParm()
    lp.load(paths.smb_conf)
    return lp


def open_samdb(paths):
    lp = loadparm(paths)
    return SamDB(url=paths.sam_ldb, session_info=system_session(lp), lp=lp)
