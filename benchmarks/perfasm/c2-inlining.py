#!/usr/bin/env python3
"""What C2 refused to inline, from a HotSpot compilation log.

For every method whose name matches PATTERN (a regular expression over "Class::method"), takes its last C2
compilation in LOG and prints the calls it did not inline, with C2's reason ("already compiled into a big method",
"hot method too big", ...) and the call's profile count. Make the log with
    -jvmArgsAppend "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -XX:+UnlockDiagnosticVMOptions
                    -XX:+LogCompilation -XX:LogFile=/tmp/c2.log"
on a one-fork JMH run (benchmarks/README.md, "Seeing what C2 inlined").

    benchmarks/perfasm/c2-inlining.py /tmp/c2.log 'jmhStub|RelayWriter::output'
"""
import re
import sys


def main(log_path, pattern):
    log = open(log_path, errors="replace").read()
    last = {}
    for task in re.finditer(r"<task compile_id='(\d+)'([^>]*)>(.*?)</task>", log, re.S):
        head = task.group(2)
        m = re.search(r"method='([^' ]*) ([^' ]*)", head)
        # C1 tasks carry a tier (level='1'..'3'); C2's do not.
        if m and "level='" not in head:
            name = m.group(1).split("/")[-1] + "::" + m.group(2)
            if re.search(pattern, name):
                last[name] = task
    if not last:
        print("no C2 compilation of a method matching %r in %s" % (pattern, log_path))
        return 1
    for name, task in sorted(last.items()):
        body = task.group(3)
        klass = {k.group(1): k.group(2) for k in re.finditer(r"<klass id='(\d+)' name='([^']*)'", body)}
        methods = {m.group(1): klass.get(m.group(2), "?").split("/")[-1] + "::" + m.group(3)
                   for m in re.finditer(r"<method id='(\d+)' holder='(\d+)' name='([^']*)'", body)}
        kind = " (OSR)" if "compile_kind='osr'" in task.group(2) else ""
        print("%s, compile %s%s" % (name, task.group(1), kind))
        call = None
        refused = []
        for line in body.split("\n"):
            if line.startswith("<call method="):
                count = re.search(r"count='(\d+)'", line)
                call = (methods.get(re.search(r"method='(\d+)'", line).group(1)), count.group(1) if count else "?")
            elif line.startswith("<inline_fail") and call:
                reason = re.search(r"reason='([^']*)'", line).group(1).replace("&lt;", "<")
                refused.append("    %s (count %s): %s" % (call[0], call[1], reason))
        print("\n".join(sorted(set(refused))) if refused else "    everything inlined")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: c2-inlining.py LOG PATTERN")
    sys.exit(main(sys.argv[1], sys.argv[2]))
