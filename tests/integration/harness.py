#!/usr/bin/python3
"""Integration test harness: runs every test_* function of the modules
tests/integration/test_*.py against the real binaries in $CW_BUILD and
prints TAP. Each test gets a fresh temporary directory (cw.Tree)."""
import glob
import importlib.util
import os
import shutil
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def discover():
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for attr, fn in vars(mod).items():
            if attr.startswith("test_") and callable(fn):
                tests.append((f"{name}.{attr}", fn, fn.__code__.co_firstlineno))
    return tests


def main():
    import cw
    only = sys.argv[1:]
    tests = [t for t in discover() if not only or any(o in t[0] for o in only)]
    tests.sort(key=lambda t: (t[0].split(".")[0], t[2]))
    print(f"1..{len(tests)}", flush=True)
    failed = 0
    for i, (name, fn, _) in enumerate(tests, 1):
        tmp = tempfile.mkdtemp(prefix="cw-it-")
        tree = cw.Tree(tmp)
        try:
            fn(tree)
            print(f"ok {i} - {name}", flush=True)
        except Exception:
            failed += 1
            tb = traceback.format_exc()
            tree.cleanup()  # stops daemons and adds their logs to the transcript
            print(f"not ok {i} - {name}", flush=True)
            for line in tb.splitlines():
                print("# " + line)
            for line in tree.transcript[-30:]:
                print("# | " + line)
        finally:
            tree.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
