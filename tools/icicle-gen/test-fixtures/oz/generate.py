#!/usr/bin/python3
"""Regenerates the expected ICICLE files by running Oz's own code (not a copy of it).

Needs Debian's python3-lxml and the files of Debian 12's `oz` package, e.g.
    apt-get install python3-lxml && apt-get download oz && dpkg -x oz_*.deb /tmp/oz
    /usr/bin/python3 generate.py /tmp/oz/usr/lib/python3/dist-packages
For each case in cases.json, Oz's RedHat/Debian `do_icicle` runs against the recorded
command output (the `oz` object of the case) and its XML is written to <case>.xml
exactly as oz-install -i writes it.
"""
import json
import logging
import os
import sys
import types

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else '/usr/lib/python3/dist-packages')
# Guest.py imports these at module level; do_icicle never touches them.
for missing in ('guestfs', 'libvirt', 'M2Crypto', 'monotonic', 'requests', 'pycurl'):
    if missing not in sys.modules:
        try:
            __import__(missing)
        except ImportError:
            stub = types.ModuleType(missing)
            # ozutil subclasses requests.adapters.BaseAdapter at import time.
            stub.adapters = types.SimpleNamespace(BaseAdapter=object)
            sys.modules[missing] = stub

import oz.Guest  # noqa: E402
import oz.RedHat  # noqa: E402
import oz.Debian  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'cases.json'), encoding='utf-8') as f:
    cases = json.load(f)

for case in cases:
    outputs = case['oz']

    def execute(addr, command, timeout=10, tunnels=None, outputs=outputs):
        return outputs[command], '', 0

    guest = types.SimpleNamespace(
        log=logging.getLogger('oz-fixture'),
        tdl=types.SimpleNamespace(description=case.get('description'),
                                  icicle_extra_cmd=case.get('extraCommand')),
        guest_execute_command=execute,
    )
    guest._output_icicle_xml = lambda lines, description, extra=None: \
        oz.Guest.Guest._output_icicle_xml(guest, lines, description, extra)
    if case['format'] == 'rpm':
        xml = oz.RedHat.RedHatLinuxCDGuest.do_icicle(guest, '127.0.0.1')
    else:
        xml = oz.Debian.DebianGuest.do_icicle(guest, '127.0.0.1')
    with open(os.path.join(here, case['name'] + '.xml'), 'w', encoding='utf-8') as out:
        out.write(xml)
    print(case['name'])
