# SPDX-License-Identifier: Apache-2.0
"""The sentinel before a negative assertion, instead of a sleep.

settle(agent) runs /bin/true with an argument of its own after the action
under test and waits for its exec event in the agent's export. Every event
goes through the one BPF ring buffer and the agent's single pipeline in
order, and the action's processes have exited (or its syscalls returned)
before the sentinel starts: once the sentinel is exported, any event the
action caused is exported too, so "no such event" can be asserted."""

import itertools
import os
import subprocess

_seq = itertools.count()


def settle(agent, timeout=15):
    tag = "tg-sentinel-%d-%d" % (os.getpid(), next(_seq))
    subprocess.run(["/bin/true", tag], check=True)
    agent.wait_for(lambda ev: ev.get("process_exec", {}).get("process", {}).get("arguments") == tag,
                   timeout=timeout, what="the sentinel exec (/bin/true %s)" % tag)
