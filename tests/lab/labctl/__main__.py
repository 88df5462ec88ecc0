"""Python half of cradle-lab.  Usage: python3 -m labctl LABDIR COMMAND [ARGS]

Commands: state | provision | env | kinit USER...
(The bash front-end tests/lab/cradle-lab calls these.)
"""

import sys

from . import config, envvars, kinit, provision


def _die(msg, code=1):
    print("cradle-lab: " + msg, file=sys.stderr)
    sys.exit(code)


def main(argv):
    if len(argv) < 2:
        _die(__doc__.strip(), 2)
    paths = config.Paths(argv[0])
    cmd, args = argv[1], argv[2:]

    if cmd == "state":
        print(provision.state(paths))
        return 0
    if cmd == "recipe":
        print(config.RECIPE_VERSION)
        return 0
    if cmd == "provision":
        provision.run(paths)
        return 0

    st = provision.state(paths)
    if st == "missing":
        _die("the lab in %s is not provisioned; run `cradle-lab up` first"
             % paths.root)
    if st == "stale":
        print("cradle-lab: warning: %s was provisioned by an older recipe; "
              "the next `cradle-lab up` reprovisions it" % paths.root,
              file=sys.stderr)

    if cmd == "env":
        sys.stdout.write(envvars.render(paths))
        return 0
    if cmd == "kinit":
        rc = 0
        for user in args:
            if user not in kinit.users():
                _die("unknown lab user %r (known: %s)"
                     % (user, ", ".join(kinit.users())), 2)
            code, out, ccache = kinit.kinit(paths, user)
            if code != 0:
                print("cradle-lab: kinit %s failed: %s" % (user, out),
                      file=sys.stderr)
                rc = 1
            else:
                print("cradle-lab: ticket for %s@%s in %s"
                      % (user, config.REALM, ccache))
        return rc
    _die("unknown labctl command %r" % cmd, 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
